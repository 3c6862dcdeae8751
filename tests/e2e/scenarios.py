"""The scenarios of the end-to-end suite, as data.

Each one is a registries.yaml, the node flags K3s runs with, an image, and the outcome a person
expects: which registry serves the pull (every registry holds its own variant of the image), or
that it fails. The suite checks that outcome, and checks every request containerd makes against
`explain --containerd 1.6 --json` (see suite.py); `outcomes`, `warnings`, `audit`, `log`,
`pull_error` and `check` add what a scenario is specifically about.

The registries (suite.FLEET), all on loopback inside the suite's own network namespace:
  registry-1.docker.io:443  `hub` (anonymous) or, where a scenario says hub="hub-auth", `hub-auth`
                            (HTTP basic auth hub-user/hub-secret); certificates from the CA that
                            stands in for the system roots
  mirror-a.test:5000, mirror-b.test:5001        plain http
  mirror-empty.test:5002                        plain http, no images: answers 404
  mirror-prefix.test:5003                       plain http, API under /mirror/v2/
  mirror-auth.test:5443                         https (private CA), basic auth mirror-user/mirror-secret
  mirror-ca.test:5444                           https (private CA)
  mirror-mtls.test:5445                         https (private CA), client certificate required
  mirror-rogue.test:5446                        https, certificate from a CA nobody trusts
  own.test:6443                                 https (private CA)
  mirror-down.test:5009                         nothing listens
"""

from dataclasses import dataclass, field

PKI = "/run/e2e/pki"
CA = f"{PKI}/private-ca.crt"


@dataclass
class Scenario:
    name: str
    proves: str
    registries: str
    image: str = "e2e:1"
    flags: tuple = ()
    # Which registry answers for registry-1.docker.io: "hub" or "hub-auth".
    hub: str = "hub"
    # The registry whose variant the pull must return; None: the pull must fail.
    served_by: str = None
    # URL prefix -> text that containerd's response status or error for that host must contain.
    outcomes: dict = field(default_factory=dict)
    # Texts the CRI's error must contain (failing pulls).
    pull_error: tuple = ()
    # explain warning codes that must be present.
    warnings: tuple = ()
    # audit (--containerd 1.6) codes that must be reported.
    audit: tuple = ()
    # Texts containerd's log must contain.
    log: tuple = ()
    # Further checks on explain's JSON: a function returning a list of problems.
    check: object = None
    # certs.d/<dir>/hosts.toml written by hand after rendering (a node K3s did not write): explain
    # then reads the node's files (--hosts-dir, --containerd-config) only.
    hosts_dir: dict = field(default_factory=dict)


def attempt_urls(ex):
    return [a["url"] for a in ex["attempts"]]


def expect(cond, msg):
    return [] if cond else [msg]


SCENARIOS = [
    Scenario(
        "mirrors-in-file-order",
        "mirrors are tried in the order of the file; the first that has the image serves",
        """\
mirrors:
  docker.io:
    endpoint:
      - http://mirror-a.test:5000
      - http://mirror-b.test:5001
""",
        served_by="mirror-a",
    ),
    Scenario(
        "unusable-mirrors-skipped",
        "a mirror that is down, answers 404, or 401 without credentials is skipped; the registry's own endpoint comes last",
        f"""\
mirrors:
  docker.io:
    endpoint:
      - http://mirror-down.test:5009
      - http://mirror-empty.test:5002
      - https://mirror-auth.test:5443
configs:
  mirror-auth.test:5443:
    tls:
      ca_file: {CA}
""",
        served_by="hub",
        outcomes={
            "http://mirror-down.test:5009/": "connect: connection refused",
            "http://mirror-empty.test:5002/": "404 Not Found",
            "https://mirror-auth.test:5443/": "401 Unauthorized",
        },
        check=lambda ex: expect(ex["attempts"][-1]["default_endpoint"], "the last attempt is not the registry's own endpoint"),
    ),
    Scenario(
        "unusable-mirrors-then-next-mirror",
        "after a mirror that is down, 404 or 401, the next mirror is tried before the registry's own endpoint",
        f"""\
mirrors:
  docker.io:
    endpoint:
      - http://mirror-down.test:5009
      - https://mirror-auth.test:5443
      - http://mirror-empty.test:5002
      - http://mirror-b.test:5001
configs:
  mirror-auth.test:5443:
    tls:
      ca_file: {CA}
""",
        served_by="mirror-b",
    ),
    Scenario(
        "ns-on-mirrors-only",
        "mirrors get ?ns= with the registry's name, query-escaped (own.test%3A6443); the registry's own endpoint gets none",
        f"""\
mirrors:
  own.test:6443:
    endpoint:
      - http://mirror-empty.test:5002
configs:
  own.test:6443:
    tls:
      ca_file: {CA}
""",
        image="own.test:6443/library/e2e:1",
        served_by="own",
        check=lambda ex: expect(
            "?ns=own.test%3A6443" in ex["attempts"][0]["url"] and "?" not in ex["attempts"][-1]["url"],
            f"explain's URLs: {attempt_urls(ex)}",
        ),
    ),
    Scenario(
        "override-path",
        "an endpoint path other than /v2 is the API root itself (override_path): /mirror gets no /v2, /mirror/v2 is used as is",
        """\
mirrors:
  docker.io:
    endpoint:
      - http://mirror-prefix.test:5003/mirror
      - http://mirror-prefix.test:5003/mirror/v2
""",
        served_by="mirror-prefix",
        check=lambda ex: expect(
            attempt_urls(ex)[:2] == [
                "http://mirror-prefix.test:5003/mirror/library/e2e/manifests/1?ns=docker.io",
                "http://mirror-prefix.test:5003/mirror/v2/library/e2e/manifests/1?ns=docker.io",
            ],
            f"explain's URLs: {attempt_urls(ex)}",
        ),
    ),
    Scenario(
        "tls-ca-file",
        "ca_file: the mirror's certificate is verified against the private CA",
        f"""\
mirrors:
  docker.io:
    endpoint:
      - https://mirror-ca.test:5444
configs:
  mirror-ca.test:5444:
    tls:
      ca_file: {CA}
""",
        served_by="mirror-ca",
    ),
    Scenario(
        "tls-unknown-ca",
        "without ca_file the private CA is unknown: the mirror fails verification and is skipped",
        """\
mirrors:
  docker.io:
    endpoint:
      - https://mirror-ca.test:5444
""",
        served_by="hub",
        outcomes={"https://mirror-ca.test:5444/": "certificate signed by unknown authority"},
    ),
    Scenario(
        "tls-client-certificate",
        "cert_file/key_file: the client certificate is presented to a mirror that requires one",
        f"""\
mirrors:
  docker.io:
    endpoint:
      - https://mirror-mtls.test:5445
configs:
  mirror-mtls.test:5445:
    tls:
      ca_file: {CA}
      cert_file: {PKI}/client.crt
      key_file: {PKI}/client.key
""",
        served_by="mirror-mtls",
    ),
    Scenario(
        "tls-no-client-certificate",
        "without cert_file/key_file a mirror that requires a client certificate refuses the handshake and is skipped",
        f"""\
mirrors:
  docker.io:
    endpoint:
      - https://mirror-mtls.test:5445
configs:
  mirror-mtls.test:5445:
    tls:
      ca_file: {CA}
""",
        served_by="hub",
        outcomes={"https://mirror-mtls.test:5445/": "remote error: tls: bad certificate"},
    ),
    Scenario(
        "tls-insecure-skip-verify",
        "insecure_skip_verify: a certificate from an unknown CA is accepted",
        """\
mirrors:
  docker.io:
    endpoint:
      - https://mirror-rogue.test:5446
configs:
  mirror-rogue.test:5446:
    tls:
      insecure_skip_verify: true
""",
        served_by="mirror-rogue",
    ),
    Scenario(
        "tls-verify-by-default",
        "without insecure_skip_verify the same mirror fails verification and is skipped",
        """\
mirrors:
  docker.io:
    endpoint:
      - https://mirror-rogue.test:5446
""",
        served_by="hub",
        outcomes={"https://mirror-rogue.test:5446/": "certificate signed by unknown authority"},
    ),
    Scenario(
        "wildcard-default",
        "\"*\" is written to certs.d/_default and serves a registry without a directory of its own, with ?ns=",
        f"""\
mirrors:
  "*":
    endpoint:
      - http://mirror-a.test:5000
configs:
  own.test:6443:
    tls:
      ca_file: {CA}
""",
        image="elsewhere.test:7000/library/e2e:1",
        served_by="mirror-a",
        check=lambda ex: expect(
            ex["hosts_dir"] == "certs.d/_default" and "?ns=elsewhere.test%3A7000" in ex["attempts"][0]["url"],
            f"explain: hosts_dir {ex['hosts_dir']}, URLs {attempt_urls(ex)}",
        ),
    ),
    Scenario(
        "wildcard-not-for-own-directory",
        "a registry with its own certs.d directory does not use the \"*\" mirror",
        f"""\
mirrors:
  "*":
    endpoint:
      - http://mirror-a.test:5000
configs:
  own.test:6443:
    tls:
      ca_file: {CA}
""",
        image="own.test:6443/library/e2e:1",
        served_by="own",
        warnings=("wildcard-shadowed",),
        audit=("wildcard-shadowed",),
        check=lambda ex: expect(len(ex["attempts"]) == 1, f"explain's URLs: {attempt_urls(ex)}"),
    ),
    Scenario(
        "credentials-docker-io-key-unused",
        "credentials under configs.\"docker.io\" are never sent: requests go to registry-1.docker.io",
        """\
configs:
  docker.io:
    auth:
      username: hub-user
      password: hub-secret
""",
        hub="hub-auth",
        served_by=None,
        outcomes={"https://registry-1.docker.io/": "401 Unauthorized"},
        pull_error=("401 Unauthorized",),
        warnings=("auth-never-used",),
        audit=("auth-never-used",),
    ),
    Scenario(
        "credentials-registry-1-key",
        "credentials under configs.\"registry-1.docker.io\" are sent to Docker Hub's endpoint after its 401",
        """\
configs:
  registry-1.docker.io:
    auth:
      username: hub-user
      password: hub-secret
""",
        hub="hub-auth",
        served_by="hub-auth",
        check=lambda ex: expect(
            [a["credentials"] and a["credentials"]["key"] for a in ex["attempts"]] == ["registry-1.docker.io"],
            f"explain's credentials: {[a['credentials'] for a in ex['attempts']]}",
        ),
    ),
    Scenario(
        "credentials-mirror-key",
        "credentials under the mirror's host:port are sent to that mirror after its 401, and to no other host",
        f"""\
mirrors:
  docker.io:
    endpoint:
      - http://mirror-empty.test:5002
      - https://mirror-auth.test:5443
configs:
  mirror-auth.test:5443:
    auth:
      username: mirror-user
      password: mirror-secret
    tls:
      ca_file: {CA}
""",
        served_by="mirror-auth",
        check=lambda ex: expect(
            [a["credentials"] and a["credentials"]["key"] for a in ex["attempts"]] == [None, "mirror-auth.test:5443", None],
            f"explain's credentials: {[a['credentials'] for a in ex['attempts']]}",
        ),
    ),
    Scenario(
        "credentials-key-without-port-unused",
        "credentials under the mirror's name without its port do not reach host:port: its 401 is not answered",
        f"""\
mirrors:
  docker.io:
    endpoint:
      - https://mirror-auth.test:5443
configs:
  mirror-auth.test:
    auth:
      username: mirror-user
      password: mirror-secret
  mirror-auth.test:5443:
    tls:
      ca_file: {CA}
""",
        served_by="hub",
        outcomes={"https://mirror-auth.test:5443/": "401 Unauthorized"},
    ),
    Scenario(
        "endpoint-without-scheme-loopback",
        "an endpoint without a scheme on loopback with a port other than 443 is plain http",
        """\
mirrors:
  docker.io:
    endpoint:
      - 127.0.0.1:5000
""",
        served_by="mirror-a",
        check=lambda ex: expect(attempt_urls(ex)[0].startswith("http://127.0.0.1:5000/v2/"), f"explain's URLs: {attempt_urls(ex)}"),
    ),
    Scenario(
        "endpoint-without-scheme-name",
        "an endpoint without a scheme elsewhere is https",
        f"""\
mirrors:
  docker.io:
    endpoint:
      - mirror-ca.test:5444
configs:
  mirror-ca.test:5444:
    tls:
      ca_file: {CA}
""",
        served_by="mirror-ca",
        check=lambda ex: expect(attempt_urls(ex)[0].startswith("https://mirror-ca.test:5444/v2/"), f"explain's URLs: {attempt_urls(ex)}"),
    ),
    Scenario(
        "https-endpoint-on-http-registry",
        "an https:// endpoint on a plain-http registry fails and is skipped (no downgrade)",
        """\
mirrors:
  docker.io:
    endpoint:
      - https://mirror-a.test:5000
""",
        served_by="hub",
        outcomes={"https://mirror-a.test:5000/": "server gave HTTP response to HTTPS client"},
    ),
    Scenario(
        "disable-default-endpoint-1.6-falls-back",
        "--disable-default-registry-endpoint writes no server; containerd 1.6 still appends the registry's own endpoint",
        """\
mirrors:
  docker.io:
    endpoint:
      - http://mirror-empty.test:5002
""",
        flags=("--disable-default-registry-endpoint",),
        served_by="hub",
        audit=("disable-default-ignored",),
        check=lambda ex: expect(
            not ex["hosts_toml"]["server_key"] and ex["attempts"][-1]["default_endpoint"],
            "explain: the file has a server key, or no default endpoint comes last",
        ),
    ),
    Scenario(
        "hosts-toml-invalid",
        "a hosts.toml that does not parse (a rewrite with \\d, inserted raw by K3s): containerd logs it and pulls from the registry itself",
        """\
mirrors:
  docker.io:
    endpoint:
      - http://mirror-a.test:5000
    rewrite:
      '^library/(e2e)\\d*$': 'library/$1'
""",
        served_by="hub",
        log=("failed to decode hosts.toml",),
        audit=("hosts-toml-invalid",),
        check=lambda ex: expect(
            ex["hosts_toml"]["status"] == "invalid" and len(ex["attempts"]) == 1,
            f"explain: hosts.toml {ex['hosts_toml']}, URLs {attempt_urls(ex)}",
        ),
    ),
    Scenario(
        "rewrite-ignored-by-1.6",
        "stock containerd ignores rewrite tables: the mirror is asked for the original repository",
        """\
mirrors:
  docker.io:
    endpoint:
      - http://mirror-a.test:5000
    rewrite:
      '^library/(.*)$': 'nowhere/$1'
""",
        served_by="mirror-a",
        audit=("rewrite-ignored",),
        check=lambda ex: expect(ex["attempts"][0]["rewrite"] is None, f"explain rewrites: {ex['attempts'][0]['rewrite']}"),
    ),
    Scenario(
        "http-endpoint-with-tls-settings-1.6",
        "containerd 1.6 sends plain http to an http:// endpoint even when TLS settings are configured for it",
        """\
mirrors:
  docker.io:
    endpoint:
      - http://mirror-a.test:5000
configs:
  mirror-a.test:5000:
    tls:
      insecure_skip_verify: true
""",
        served_by="mirror-a",
        check=lambda ex: expect(ex["attempts"][0]["tls"]["mode"] == "http", f"explain's TLS: {ex['attempts'][0]['tls']}"),
    ),
    Scenario(
        "loopback-registry-1.6-plain-http",
        "containerd 1.6 reaches a loopback registry's own endpoint (127.0.0.1:5000, no hosts directory) over plain http",
        "mirrors: {}\n",
        image="127.0.0.1:5000/library/e2e:1",
        served_by="mirror-a",
        check=lambda ex: expect(
            attempt_urls(ex) == ["http://127.0.0.1:5000/v2/library/e2e/manifests/1"] and ex["attempts"][0]["tls"]["mode"] == "http",
            f"explain: {attempt_urls(ex)}, TLS {[a['tls'] for a in ex['attempts']]}",
        ),
    ),
    Scenario(
        "hand-written-hosts-toml-without-host-table-1.6",
        "containerd 1.6 ignores a hosts.toml without a host table (\"invalid `host` tree\"), even one that names a server",
        "mirrors: {}\n",
        hosts_dir={"docker.io": 'server = "http://mirror-a.test:5000"\n'},
        served_by="hub",
        log=("invalid `host` tree",),
        audit=("hosts-toml-invalid",),
        check=lambda ex: expect(
            ex["hosts_toml"]["status"] == "invalid" and attempt_urls(ex) == ["https://registry-1.docker.io/v2/library/e2e/manifests/1"],
            f"explain: hosts.toml {ex['hosts_toml']}, URLs {attempt_urls(ex)}",
        ),
    ),
    Scenario(
        "hand-written-hosts-toml-server-only-with-host-table",
        "the same file with an empty [host] table: the server is used, and no registry endpoint follows it",
        "mirrors: {}\n",
        hosts_dir={"docker.io": 'server = "http://mirror-a.test:5000"\n[host]\n'},
        served_by="mirror-a",
        check=lambda ex: expect(
            attempt_urls(ex) == ["http://mirror-a.test:5000/v2/library/e2e/manifests/1?ns=docker.io"],
            f"explain: URLs {attempt_urls(ex)}",
        ),
    ),
    Scenario(
        "hand-written-hosts-toml-headers",
        "header = {...} in a hosts.toml written by hand is sent with that host's requests only",
        "mirrors: {}\n",
        hosts_dir={
            "docker.io": """\
[host."http://mirror-empty.test:5002"]
  capabilities = ["pull", "resolve"]
  header = {X-E2e-Mirror = ["first", "second"]}
[host."http://mirror-b.test:5001"]
  capabilities = ["pull", "resolve"]
  header = {X-E2e-Other = "b"}
""",
        },
        served_by="mirror-b",
        check=lambda ex: expect(
            [len(a["headers"]) for a in ex["attempts"]] == [1, 1, 0],
            f"explain's headers: {[a['headers'] for a in ex['attempts']]}",
        ),
    ),
]
