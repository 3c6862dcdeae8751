"""The end-to-end suite: what `explain --json` predicts is what a real containerd does.

Run by tests/e2e/run, as PID 1 of fresh network, mount and PID namespaces (it refuses to run
anywhere else: it mounts a tmpfs over /run and binds a file over /etc/hosts, which must stay
private). Standard library plus Debian's python3-grpcio only.

For every scenario (tests/e2e/scenarios.py) it
  1. writes the scenario's registries.yaml and renders it with `k3s-registries render
     --config-version 2 --data-dir /run/e2e/<scenario>/data`, as K3s would on a node,
  2. asks `k3s-registries explain --containerd 1.6 --json` what containerd will do, twice: from the
     registries file, and from the rendered certs.d and config.toml (--hosts-dir); both must agree
     (and, where a scenario names audit codes, `audit --containerd 1.6` must report them),
  3. starts containerd on the rendered config.toml, changed in one respect only: `--log-level
     debug` on the command line (the state directory /run/k3s/containerd and the socket in it are
     the config's own; /run is a private tmpfs here),
  4. pulls the image through the CRI plugin (runtime.v1.ImageService/PullImage over containerd's
     socket, hand-encoded protobuf: what the kubelet calls),
  5. checks, request by request, what containerd did against the prediction: the first manifest
     request to each host, in order, is exactly explain's URL for that attempt; hosts are tried
     until one answers; credentials are sent (a retry after the 401) exactly where explain says;
     every other request goes to a host explain listed; the registry that served is the one the
     scenario expects (every registry holds its own variant of the image, so the image ID, the
     config digest, names it); each registry's access log shows the same requests (a request that
     failed in TLS never reaches it).

Observation: containerd's debug log (`do request` and `fetch response received` carry each exact
URL and status, `trying next host` each error) and each registry's access log.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import traceback
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import grpc  # Debian's python3-grpcio

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scenarios as scenario_table  # noqa: E402

WORK = Path("/run/e2e")
PKI = WORK / "pki"
HOSTS_FILE = WORK / "hosts"
# containerd's state directory and socket, as K3s's config.toml names them.
CTD_STATE = Path("/run/k3s/containerd")
CTD_SOCKET = CTD_STATE / "containerd.sock"
REPOSITORY = "library/e2e"
TAG = "1"
LABEL = "io.k3s-registries.e2e.served-by"


# --------------------------------------------------------------------------------------------
# The registries


@dataclass
class Registry:
    """One `docker-registry serve` (distribution 2.8.2) on loopback, with its own image variant."""

    name: str
    port: int
    ip: str = "127.0.0.1"
    # Host names that resolve to it (/etc/hosts); default `<name>.test`.
    names: tuple = ()
    # None: plain http; "public": a certificate from the CA standing in for the system roots;
    # "private": from the private CA (configured with ca_file); "rogue": from a CA nobody trusts.
    tls: str = None
    client_certs: bool = False  # require a client certificate from the private CA
    htpasswd: tuple = None  # (user, password): HTTP basic authentication required
    prefix: str = None  # distribution's http.prefix: the API lives under <prefix>v2/
    content: bool = True  # holds library/e2e:1 (its own variant); False: answers 404
    proc: subprocess.Popen = None
    push_proc: subprocess.Popen = None

    @property
    def hostnames(self):
        return self.names or (f"{self.name}.test",)

    @property
    def storage(self):
        return WORK / "registries" / self.name

    def log_path(self, logs):
        return logs / "registries" / f"{self.name}.log"


HUB = "registry-1.docker.io"
FLEET = [
    Registry("hub", 443, names=(HUB,), tls="public"),
    Registry("hub-auth", 443, ip="127.0.0.2", names=(HUB,), tls="public", htpasswd=("hub-user", "hub-secret")),
    Registry("mirror-a", 5000),
    Registry("mirror-b", 5001),
    Registry("mirror-empty", 5002, content=False),
    Registry("mirror-prefix", 5003, prefix="/mirror/"),
    Registry("mirror-auth", 5443, tls="private", htpasswd=("mirror-user", "mirror-secret")),
    Registry("mirror-ca", 5444, tls="private"),
    Registry("mirror-mtls", 5445, tls="private", client_certs=True),
    Registry("mirror-rogue", 5446, tls="rogue"),
    Registry("own", 6443, tls="private"),
]
BY_NAME = {r.name: r for r in FLEET}
# A host name that resolves but where nothing listens.
DOWN = ("mirror-down.test", 5009)


def hosts_map(hub):
    """Host name -> IP for one scenario: every name of the fleet, `registry-1.docker.io` for the
    registry `hub` (the anonymous one or the one requiring a password)."""
    m = {DOWN[0]: "127.0.0.1"}
    for r in FLEET:
        for n in r.hostnames:
            if n == HUB and r.name != hub:
                continue
            m[n] = r.ip
    return m


def registry_at(host, port, hmap):
    """The fleet registry listening where a URL's host and port lead, or None."""
    ip = hmap.get(host, host)
    for r in FLEET:
        if r.ip == ip and r.port == port:
            return r
    return None


# --------------------------------------------------------------------------------------------
# Processes


class Procs:
    """Every daemon the suite starts, by its own PID (Popen runs the daemon itself, no shell)."""

    def __init__(self, out):
        self.live = {}
        self.out = out

    def start(self, name, argv, log, env=None):
        f = open(log, "ab")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        f.close()
        self.live[p.pid] = (name, p)
        self.out(f"   started {name}: pid {p.pid}")
        return p

    def stop(self, procs, timeout=10):
        """SIGTERM all at once, then wait (distribution takes about 2 s to drain); SIGKILL
        whatever is still there after `timeout`."""
        procs = [p for p in procs if p is not None and p.pid in self.live]
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            self.live.pop(p.pid, None)

    def stop_all(self):
        self.stop([p for _, p in list(self.live.values())])


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, **kw)


def wait_port(ip, port, proc, what, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {ip}:{port}")
        try:
            with socket.create_connection((ip, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} is not listening on {ip}:{port} after {timeout} s")


# --------------------------------------------------------------------------------------------
# Certificates (openssl), credentials (htpasswd), images (written here, pushed with skopeo)


def openssl(*args):
    run(["openssl", *args])


def make_ca(name, cn):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(PKI / f"{name}.key"), "-out", str(PKI / f"{name}.crt"), "-days", "2",
            "-subj", f"/CN={cn}", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def make_leaf(name, ca, sans, usage):
    key, csr, crt, ext = (PKI / f"{name}.{x}" for x in ("key", "csr", "crt", "ext"))
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}")
    lines = [f"extendedKeyUsage={usage}"]
    if sans:
        lines.append("subjectAltName=" + ",".join(f"DNS:{s}" for s in sans))
    ext.write_text("\n".join(lines) + "\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(PKI / f"{ca}.crt"), "-CAkey", str(PKI / f"{ca}.key"),
            "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
            "-extfile", str(ext), "-out", str(crt))


def make_pki():
    """public-ca: stands in for the system roots (containerd's SSL_CERT_FILE); private-ca: a
    registry's own CA, known to containerd only through ca_file; rogue-ca: trusted by nobody.
    client: a client certificate from the private CA (cert_file/key_file)."""
    PKI.mkdir(parents=True)
    make_ca("public-ca", "e2e public root (stands in for the system roots)")
    make_ca("private-ca", "e2e private registry CA")
    make_ca("rogue-ca", "e2e CA trusted by nobody")
    ca_of = {"public": "public-ca", "private": "private-ca", "rogue": "rogue-ca"}
    for r in FLEET:
        if r.tls:
            make_leaf(r.name, ca_of[r.tls], r.hostnames, "serverAuth")
    make_leaf("client", "private-ca", (), "clientAuth")


def oci_layout(dest, variants, arch):
    """A minimal OCI layout holding one image per variant: the same layer (one small file) and a
    config whose label names the variant, so each variant's config digest (the image ID the CRI
    returns) is its own. Returns variant -> image ID."""
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(b):
        d = hashlib.sha256(b).hexdigest()
        (blobs / d).write_bytes(b)
        return "sha256:" + d

    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w", format=tarfile.USTAR_FORMAT) as t:
        data = b"k3s-registries end-to-end test image\n"
        info = tarfile.TarInfo("e2e")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        t.addfile(info, io.BytesIO(data))
    raw = tar.getvalue()
    layer = gzip.compress(raw, mtime=0)
    layer_digest = put(layer)
    index, ids = [], {}
    for v in variants:
        config = json.dumps({
            "architecture": arch, "os": "linux",
            "config": {"Labels": {LABEL: v}},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
        }, sort_keys=True).encode()
        ids[v] = put(config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ids[v], "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": len(layer)}],
        }, sort_keys=True).encode()
        index.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(manifest),
                      "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": v}})
    (dest / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (dest / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": index}))
    return ids


def registry_config(r, port, prefix):
    lines = [
        "version: 0.1",
        "log: {level: info, formatter: text, fields: {service: " + r.name + "}}",
        "storage: {filesystem: {rootdirectory: " + str(r.storage) + "}, "
        "maintenance: {uploadpurging: {enabled: false}}}",
        "http:",
        f"  addr: {r.ip}:{port}",
        "  secret: e2e",
    ]
    if prefix:
        lines.append(f"  prefix: {prefix}")
    if r.tls:
        lines += ["  tls:", f"    certificate: {PKI / (r.name + '.crt')}", f"    key: {PKI / (r.name + '.key')}"]
        if r.client_certs:
            lines.append(f"    clientcas: [{PKI / 'private-ca.crt'}]")
    if r.htpasswd:
        lines += ["auth:", "  htpasswd:", "    realm: e2e", f"    path: {WORK / 'registries' / (r.name + '.htpasswd')}"]
    return "\n".join(lines) + "\n"


def start_fleet(procs, logs):
    (WORK / "registries").mkdir()
    (logs / "registries").mkdir(parents=True, exist_ok=True)
    for r in FLEET:
        if r.htpasswd:
            out = run(["htpasswd", "-Bbn", *r.htpasswd]).stdout
            (WORK / "registries" / f"{r.name}.htpasswd").write_bytes(out)
        conf = WORK / "registries" / f"{r.name}.yml"
        conf.write_text(registry_config(r, r.port, r.prefix))
        r.proc = procs.start(r.name, ["docker-registry", "serve", str(conf)], r.log_path(logs))
        if r.prefix and r.content:
            # skopeo pushes to <host>/v2/ only: a second instance on the same storage, without
            # the prefix, takes the push; the prefixed one serves.
            conf = WORK / "registries" / f"{r.name}-push.yml"
            conf.write_text(registry_config(r, r.port + 1000, None))
            r.push_proc = procs.start(f"{r.name} (push side, port {r.port + 1000})",
                                      ["docker-registry", "serve", str(conf)], logs / "registries" / f"{r.name}-push.log")
    for r in FLEET:
        wait_port(r.ip, r.port, r.proc, r.name)
        if r.push_proc:
            wait_port(r.ip, r.port + 1000, r.push_proc, r.name + " (push side)")


def push_images(procs, logs, arch):
    """skopeo copy --preserve-digests of each registry's own variant into it, all in parallel."""
    layout = WORK / "oci"
    ids = oci_layout(layout, [r.name for r in FLEET if r.content], arch)
    certdir = WORK / "skopeo-certs"
    certdir.mkdir()
    shutil.copy(PKI / "client.crt", certdir / "client.cert")
    shutil.copy(PKI / "client.key", certdir / "client.key")
    pushes = []
    for r in FLEET:
        if not r.content:
            continue
        port = r.port + 1000 if r.prefix else r.port
        argv = ["skopeo", "--insecure-policy", "copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false",
                f"oci:{layout}:{r.name}", f"docker://{r.ip}:{port}/{REPOSITORY}:{TAG}"]
        if r.client_certs:
            argv.insert(-2, f"--dest-cert-dir={certdir}")
        if r.htpasswd:
            argv.insert(-2, "--dest-creds=" + ":".join(r.htpasswd))
        log = open(logs / "registries" / f"{r.name}.push.log", "wb")
        pushes.append((r, subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT), log))
    for r, p, log in pushes:
        p.wait()
        log.close()
        if p.returncode != 0:
            raise RuntimeError(f"skopeo push to {r.name} failed: see {logs}/registries/{r.name}.push.log")
    procs.stop([r.push_proc for r in FLEET])
    return {v: k for k, v in ids.items()}


# --------------------------------------------------------------------------------------------
# containerd and the CRI


def pb_bytes(field_no, payload):
    """A length-delimited protobuf field."""
    out = bytearray([field_no << 3 | 2])
    n = len(payload)
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out) + payload


def pb_first_string(msg):
    """Field 1 (a string) of a protobuf message."""
    if not msg or msg[0] != (1 << 3 | 2):
        return ""
    n, shift, i = 0, 0, 1
    while True:
        b = msg[i]
        n |= (b & 0x7F) << shift
        shift += 7
        i += 1
        if not b & 0x80:
            return msg[i:i + n].decode()


def cri_pull(image, timeout=60):
    """runtime.v1.ImageService/PullImage {image: {image: IMAGE}}: (image ID, None) or (None,
    error)."""
    channel = grpc.insecure_channel(f"unix://{CTD_SOCKET}")
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        call = channel.unary_unary("/runtime.v1.ImageService/PullImage")
        resp = call(pb_bytes(1, pb_bytes(1, image.encode())), timeout=timeout)
        return pb_first_string(resp), None
    except grpc.RpcError as e:
        return None, f"{e.code().name}: {e.details()}"
    finally:
        channel.close()


def start_containerd(procs, config, log):
    if CTD_STATE.exists():
        shutil.rmtree(CTD_STATE)
    env = dict(os.environ, SSL_CERT_FILE=str(PKI / "public-ca.crt"))
    p = procs.start("containerd", ["containerd", "--config", str(config), "--log-level", "debug"], log, env=env)
    deadline = time.monotonic() + 15
    while not CTD_SOCKET.exists():
        if p.poll() is not None:
            raise RuntimeError(f"containerd exited with {p.returncode}: see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"containerd did not create {CTD_SOCKET}: see {log}")
        time.sleep(0.02)
    # The socket comes before the CRI plugin is ready ("server is not initialized yet"): wait
    # until it answers ListImages.
    channel = grpc.insecure_channel(f"unix://{CTD_SOCKET}")
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        list_images = channel.unary_unary("/runtime.v1.ImageService/ListImages")
        while True:
            try:
                list_images(b"", timeout=5)
                break
            except grpc.RpcError as e:
                if "not initialized" not in (e.details() or "") or time.monotonic() > deadline:
                    raise RuntimeError(f"containerd's CRI plugin does not answer: {e.details()} (see {log})")
                time.sleep(0.02)
    finally:
        channel.close()
    return p


# --------------------------------------------------------------------------------------------
# Reading the logs

LOGFMT = re.compile(r'([A-Za-z_][\w.\-]*)=("(?:[^"\\]|\\.)*"|\S*)')


def logfmt(line):
    out = {}
    for k, v in LOGFMT.findall(line):
        if v.startswith('"'):
            try:
                v = json.loads(v)
            except ValueError:
                v = v[1:-1]
        out[k] = v
    return out


@dataclass
class Request:
    """One request containerd made, as its debug log shows it."""

    url: str
    method: str
    headers: dict = None  # lower-case name -> values, as logged (Authorization never is)
    status: str = None  # "200 OK" ...
    error: str = None  # the error it moved on with


def containerd_requests(text):
    """Every request in order, with its response status or the error containerd moved on with."""
    reqs = []
    for line in text.splitlines():
        if 'msg="do request"' in line:
            f = logfmt(line)
            headers = {}
            for k, v in f.items():
                if k.startswith("request.header."):
                    name, _, i = k[len("request.header."):].partition(".")
                    headers.setdefault(name, []).insert(int(i or 0), v)
            reqs.append(Request(f.get("url", ""), f.get("request.method", ""), headers))
        elif 'msg="fetch response received"' in line:
            f = logfmt(line)
            for r in reversed(reqs):
                if r.url == f.get("url") and r.status is None and r.error is None:
                    r.status = f.get("response.status")
                    break
        elif 'msg="trying next host"' in line:
            f = logfmt(line)
            for r in reversed(reqs):
                if r.status is None and r.error is None:
                    r.error = f.get("error", "")
                    break
    return reqs


ACCESS = re.compile(r'"(HEAD|GET|PUT|POST|PATCH|DELETE) (\S+) HTTP/[\d.]+" (\d{3})')


def access_log(text):
    """(method, request URI, status) for every line of a registry's access log."""
    return [m.groups() for m in map(ACCESS.search, text.splitlines()) if m]


def is_resolve(path, obj):
    """A manifest request by tag: what the resolver sends to each host in turn."""
    return path.split("?", 1)[0].endswith("/manifests/" + obj)


def collapse(seq, key):
    """Consecutive requests for the same URL are one attempt (the retry after a 401)."""
    out = []
    for x in seq:
        if out and key(out[-1][-1]) == key(x):
            out[-1].append(x)
        else:
            out.append([x])
    return out


def hostport(u):
    p = urllib.parse.urlsplit(u)
    return p.hostname, p.port or (443 if p.scheme == "https" else 80)


# --------------------------------------------------------------------------------------------
# One scenario


class Suite:
    def __init__(self, args):
        self.bin = args.bin
        self.logs = Path(args.logs)
        self.explain_mode = [] if args.containerd_mode == "none" else ["--containerd", args.containerd_mode]
        self.procs = Procs(self.say)
        self.variants = {}
        self.ctd = None

    def say(self, msg):
        print(msg, flush=True)

    def k3s_registries(self, *argv, check=True):
        p = subprocess.run([self.bin, *argv], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError(f"k3s-registries {' '.join(argv)} exited {p.returncode}: {p.stderr}")
        return p

    def explain(self, s, data, etc):
        image = s.image
        from_file = self.k3s_registries("explain", image, "--json", *self.explain_mode,
                                        "--registries", str(data.parent / "registries.yaml"),
                                        "--data-dir", str(data), *s.flags)
        if not (etc / "certs.d").is_dir():
            # K3s wrote no certs.d (no registry needs a directory); containerd then has none to
            # read, and explain --hosts-dir has nothing to read either.
            return json.loads(from_file.stdout), None
        from_dir = self.k3s_registries("explain", image, "--json", *self.explain_mode,
                                       "--hosts-dir", str(etc / "certs.d"),
                                       "--containerd-config", str(etc / "config.toml"))
        return json.loads(from_file.stdout), json.loads(from_dir.stdout)

    def run_scenario(self, s):
        """Returns the list of what did not hold."""
        problems = []
        base = WORK / s.name
        data = base / "data"
        etc = data / "agent" / "etc" / "containerd"
        out = self.logs / s.name
        out.mkdir(parents=True, exist_ok=True)
        base.mkdir()
        (base / "registries.yaml").write_text(s.registries)
        # render --output creates only the last component of DIR (a mistyped path is refused);
        # K3s's own data dir exists on a node.
        etc.parent.mkdir(parents=True)
        self.k3s_registries("render", "--registries", str(base / "registries.yaml"), "--config-version", "2",
                            "--data-dir", str(data), "--output", str(etc), *s.flags)
        for name, text in s.hosts_dir.items():
            # Written by hand, as on a node that is not K3s's: only explain --hosts-dir can see it.
            (etc / "certs.d" / name).mkdir(parents=True)
            (etc / "certs.d" / name / "hosts.toml").write_text(text)
        shutil.copytree(etc, out / "rendered", dirs_exist_ok=True)
        (out / "registries.yaml").write_text(s.registries)

        ex, ex_dir = self.explain(s, data, etc)
        if s.hosts_dir:
            ex, ex_dir = ex_dir, None
        (out / "explain.json").write_text(json.dumps(ex, indent=2))
        if ex_dir:
            (out / "explain-hosts-dir.json").write_text(json.dumps(ex_dir, indent=2))

        def essence(e):
            return ([(a["url"], a["method"], a["default_endpoint"], a["tls"]["mode"],
                      a["credentials"] and (a["credentials"]["key"], a["credentials"]["username"]))
                     for a in e["attempts"]], e["error"], e["hosts_toml"]["status"])

        if ex_dir and essence(ex) != essence(ex_dir):
            problems.append(f"explain from the registries file and from the rendered files disagree:\n"
                            f"     {essence(ex)}\n     {essence(ex_dir)}")
        attempts = ex["attempts"]
        obj = ex["object"]

        # containerd, with registry-1.docker.io wherever the scenario wants it.
        hmap = hosts_map(s.hub)
        HOSTS_FILE.write_text("".join(f"{ip} {n}\n" for n, ip in sorted(hmap.items())))
        marks = {r.name: r.log_path(self.logs).stat().st_size for r in FLEET}
        ctd_log = out / "containerd.log"
        if ctd_log.exists():
            ctd_log.unlink()
        self.ctd = start_containerd(self.procs, etc / "config.toml", ctd_log)
        t0 = time.monotonic()
        image_id, error = cri_pull(s.image)
        pull_s = time.monotonic() - t0
        self.procs.stop([self.ctd])
        self.ctd = None
        text = ctd_log.read_text(errors="replace")
        reqs = containerd_requests(text)
        served = self.variants.get(image_id) if image_id else None
        (out / "result.txt").write_text(f"image_id {image_id}\nserved_by {served}\nerror {error}\npull {pull_s:.2f} s\n")

        # The outcome the scenario states.
        if s.served_by is None:
            if image_id:
                problems.append(f"the pull was to fail, but {served or image_id} served it")
        elif error:
            problems.append(f"the pull was to be served by {s.served_by}, but it failed: {error}")
        elif served != s.served_by:
            problems.append(f"served by {served or image_id}, expected {s.served_by}")
        for want in s.pull_error:
            if not error or want not in error:
                problems.append(f"the pull error should mention {want!r}: {error}")

        # The resolve requests, one attempt per host (a retry after a 401 is the same attempt).
        resolves = collapse([r for r in reqs if is_resolve(urllib.parse.urlsplit(r.url).path, obj)], key=lambda r: r.url)
        seen = [a[0].url for a in resolves]
        predicted = [a["url"] for a in attempts]
        if ex["error"]:
            problems.append(f"explain says containerd fails before any request: {ex['error']}")
        if seen != predicted[:len(seen)]:
            problems.append("containerd's first manifest requests are not explain's:\n"
                            + "".join(f"     containerd {u}\n" for u in seen)
                            + "".join(f"     explain    {u}\n" for u in predicted))
        elif image_id and len(seen) == 0:
            problems.append("no manifest request in containerd's log")
        elif error and len(seen) != len(predicted):
            problems.append(f"the pull failed after {len(seen)} of the {len(predicted)} hosts explain lists")

        for i, group in enumerate(resolves):
            if i >= len(attempts) or group[0].url != attempts[i]["url"]:
                break
            a, first, last = attempts[i], group[0], group[-1]
            if first.method != a["method"]:
                problems.append(f"{first.url}: method {first.method}, explain says {a['method']}")
            # hosts.toml headers: exactly explain's, besides what containerd always sends.
            sent = {k: v for k, v in first.headers.items() if k not in ("accept", "user-agent")}
            said = {h["name"].lower(): h["values"] for h in a["headers"]}
            if sent != said:
                problems.append(f"{first.url}: headers sent {sent}, explain says {said}")
            ok = bool(last.status) and last.status[:1] == "2"
            is_last = i == len(resolves) - 1
            if ok and not is_last:
                problems.append(f"{first.url} answered {last.status}, yet containerd went on")
            if is_last and image_id and not ok:
                problems.append(f"the pull succeeded but the last host tried ({first.url}) answered {last.status or last.error}")
            # Credentials: containerd answers a 401 with the host's credentials, if it has any.
            if first.status and first.status.startswith("401"):
                retried = len(group) > 1
                if retried != bool(a["credentials"]):
                    problems.append(f"{first.url}: 401, containerd {'retried with' if retried else 'had no'} "
                                    f"credentials, explain says {a['credentials']}")
            elif a["credentials"] and len(group) > 1:
                problems.append(f"{first.url}: sent twice without a 401")
            for prefix, want in s.outcomes.items():
                if first.url.startswith(prefix) and want not in (first.status or first.error or ""):
                    problems.append(f"{first.url}: expected {want!r}, got {first.status or first.error}")

        # Every request, blobs and by-digest manifests included, goes to a host explain listed.
        listed = {hostport(a["url"]) for a in attempts}
        for r in reqs:
            if hostport(r.url) not in listed:
                problems.append(f"containerd requested {r.url}, a host explain does not list")

        # The registries' own access logs: the same resolve requests, in the same order.
        time.sleep(0.05)
        by_registry = {}
        for group in resolves:
            reg = registry_at(*hostport(group[0].url), hmap)
            if reg:
                by_registry.setdefault(reg.name, []).append(group)
        for r in FLEET:
            with open(r.log_path(self.logs), "rb") as f:
                f.seek(marks[r.name])
                lines = access_log(f.read().decode(errors="replace"))
            logged = collapse([x for x in lines if is_resolve(x[1], obj)], key=lambda x: x[1])
            expect = [g for g in by_registry.get(r.name, []) if g[0].status]
            got = [(g[0][1], g[0][2], g[-1][2]) for g in logged]
            want = []
            for g in expect:
                p = urllib.parse.urlsplit(g[0].url)
                want.append((p.path + ("?" + p.query if p.query else ""), g[0].status[:3], g[-1].status[:3]))
            if got != want:
                problems.append(f"{r.name}'s access log shows resolve requests {got}, containerd's log {want}")
            if r.htpasswd and s.served_by == r.name:
                # distribution logs "authorized request" once it has checked the password.
                with open(r.log_path(self.logs), "rb") as f:
                    f.seek(marks[r.name])
                    fields = [logfmt(x) for x in f.read().decode(errors="replace").splitlines()]
                if not any(x.get("msg") == "authorized request" and is_resolve(x.get("http.request.uri", ""), obj)
                           for x in fields):
                    problems.append(f"{r.name} authorized no manifest request: containerd sent no valid credentials")

        # audit, for the same containerd, reports what the scenario is about.
        if s.audit:
            audit_args = ["audit", "--format", "json", *self.explain_mode]
            if s.hosts_dir:
                audit_args += ["--registries", str(base / "registries.yaml"), "--hosts-dir", str(etc / "certs.d")]
            else:
                audit_args += ["--registries", str(base / "registries.yaml"), "--data-dir", str(data), *s.flags]
            a = self.k3s_registries(*audit_args, check=False)
            (out / "audit.json").write_text(a.stdout)
            if a.returncode not in (0, 1):
                problems.append(f"audit exited {a.returncode}: {a.stderr}")
            else:
                found = {f["code"] for f in json.loads(a.stdout)["findings"]}
                for c in s.audit:
                    if c not in found:
                        problems.append(f"audit should report {c}; it reports {sorted(found)}")

        codes = {w["code"] for w in ex["warnings"]}
        for c in s.warnings:
            if c not in codes:
                problems.append(f"explain should warn {c}; it warns {sorted(codes)}")
        for want in s.log:
            if want not in text:
                problems.append(f"containerd's log should contain {want!r}")
        if s.check:
            problems += s.check(ex)
        return problems

    def main(self, names):
        t_start = time.monotonic()
        if os.getpid() != 1:
            sys.exit("suite.py runs only as PID 1 of its own namespaces: use tests/e2e/run")
        run(["ip", "link", "set", "lo", "up"])
        run(["mount", "-t", "tmpfs", "-o", "mode=0755", "e2e-run", "/run"])
        WORK.mkdir()
        HOSTS_FILE.write_text("127.0.0.1 localhost\n")
        run(["mount", "--bind", str(HOSTS_FILE), "/etc/hosts"])
        if self.logs.exists():
            shutil.rmtree(self.logs)
        self.logs.mkdir(parents=True)
        arch = run(["dpkg", "--print-architecture"], text=True).stdout.strip()

        table = scenario_table.SCENARIOS
        unknown = set(names) - {s.name for s in table}
        if unknown:
            sys.exit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
        chosen = [s for s in table if not names or s.name in names]

        self.say("== e2e: certificates, registries, images")
        make_pki()
        start_fleet(self.procs, self.logs)
        self.variants = push_images(self.procs, self.logs, arch)
        t_ready = time.monotonic()
        self.say(f"   {len(FLEET)} registries up with their variants in {t_ready - t_start:.1f} s")

        results = []
        for s in chosen:
            t0 = time.monotonic()
            try:
                problems = self.run_scenario(s)
            except Exception:
                problems = ["the scenario could not run:\n" + traceback.format_exc()]
                if self.ctd:
                    self.procs.stop([self.ctd])
                    self.ctd = None
            dt = time.monotonic() - t0
            results.append((s, problems, dt))
            self.say(f"{'PASS' if not problems else 'FAIL'} {s.name} ({dt:.1f} s): {s.proves}")
            for p in problems:
                self.say(f"   - {p}")
        t_stop = time.monotonic()
        self.procs.stop_all()
        failed = [s.name for s, p, _ in results if p]
        self.say(f"== e2e: {len(results) - len(failed)} of {len(results)} scenarios pass "
                 f"(set-up {t_ready - t_start:.1f} s, scenarios {t_stop - t_ready:.1f} s, "
                 f"shutdown {time.monotonic() - t_stop:.1f} s); logs in {self.logs}")
        if failed:
            self.say("   failing: " + ", ".join(failed))
        return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the k3s-registries binary")
    ap.add_argument("--logs", required=True, help="where logs and each scenario's files go")
    ap.add_argument("--containerd-mode", default="1.6",
                    help="explain's --containerd value (none: leave the flag out)")
    ap.add_argument("names", nargs="*", help="scenarios to run (default: all)")
    args = ap.parse_args()
    suite = Suite(args)

    def on_term(signum, frame):
        suite.procs.stop_all()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        code = suite.main(args.names)
    finally:
        suite.procs.stop_all()
    sys.exit(code)


if __name__ == "__main__":
    main()
