#!/usr/bin/env python3
"""List the K3s releases on a branch and group them by the registry code they ship.

A K3s release is cut from its release branch right after the commit that moves the branch to
the new Kubernetes version (`Update to v1.34.6-k3s1 ...`, or `Bump k3s-io/kubernetes ...`): the
first commit, following the branch's first parents, whose go.mod replaces k8s.io/kubernetes with
github.com/k3s-io/kubernetes vX.Y.Z-k3sN. This script finds those commits, assembles the oracle's
module for each with tools/oracle/prepare (no compile), and prints the releases with a
fingerprint of everything the oracle would compile from K3s (templates, the extracted registry
functions, the --pause-image / --snapshotter defaults, wharfie's schema, yaml.v2, containerd's
DefaultHost/IsLocalhost). Releases with the same fingerprint write the same bytes; where the
fingerprint changes, the script names the commits between the two releases that touched the
files read.

Usage: tools/oracle/releases.py GITDIR TIP [--from v1.31.6] [--to v1.31.11] [--cases DIR...]

With --cases, the oracle is built for every distinct fingerprint and run over the cases, and a
second column fingerprints what it wrote: releases with the same one write the same bytes for
every case given.

Standard library only. Run it once per release line (e.g. muicoder/k3s release-1.32, vitorsavian/
k3s bump-containerd-v2.2.7-release-1.34); see tools/oracle/README.md.
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WATCHED = [
    "pkg/agent/templates",
    "pkg/agent/containerd/config.go",
    "pkg/agent/containerd/config_linux.go",
    "pkg/agent/config/config_linux.go",
    "pkg/spegel/registry.go",
    "pkg/agent/util/file.go",
    "pkg/cli/cmds/agent.go",
    "pkg/cli/cmds/const_linux.go",
    "pkg/version",
    "pkg/util/errors",
]


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir=" + gitdir, *args], check=True,
                          capture_output=True, text=True).stdout


def version_key(v):
    m = re.match(r"v(\d+)\.(\d+)\.(\d+)(?:-k3s(\d+))?", v)
    return tuple(int(x or 0) for x in m.groups()) if m else (0,)


def release_points(gitdir, tip):
    """(commit, vX.Y.Z-k3sN) for the first commit of each Kubernetes version, oldest first."""
    commits = git(gitdir, "log", "--first-parent", "--format=%H", tip, "--", "go.mod").split()
    first = {}
    for c in commits:  # newest first: the last one seen with a version is where it arrived
        gomod = git(gitdir, "show", c + ":go.mod")
        m = re.search(r"k8s\.io/kubernetes => github\.com/k3s-io/kubernetes (v\S+)", gomod)
        if m:
            first[m.group(1)] = c
    return sorted(((c, v) for v, c in first.items()), key=lambda cv: version_key(cv[1]))


def fingerprint(prepare, gitdir, commit, scratch):
    out = os.path.join(scratch, commit[:12])
    r = subprocess.run([prepare, "-k3s", gitdir, "-commit", commit, "-oracle", HERE,
                        "-wharfie-git", os.environ["WHARFIE_GIT"],
                        "-containerd-git", os.environ["CONTAINERD_GIT"],
                        "-yaml-git", os.environ["YAML_GIT"], "-out", out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "unsupported: " + r.stderr.strip().splitlines()[-1][:100], ""
    h = hashlib.sha256()
    facts = ""
    for root, dirs, files in sorted(os.walk(out)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            rel = os.path.relpath(p, out)
            data = open(p, "rb").read()
            if rel == "PROVENANCE":
                facts = data.decode()
                continue
            if rel.endswith("defaults.go"):
                data = re.sub(rb"k3sSource.*\n", b"", data)
                data = re.sub(rb"// Code generated.*\n", b"", data)
            data = re.sub(rb"// Code extracted by.*\n", b"", data)
            h.update(rel.encode() + b"\0" + data + b"\0")
    return h.hexdigest()[:12], facts


def run_cases(gitdir, commit, cases, scratch):
    """Fingerprint of everything the oracle built from commit writes for the cases."""
    binary = subprocess.run([os.path.join(HERE, "run.sh"), "--build-only", gitdir + "@" + commit],
                            check=True, capture_output=True, text=True).stdout.strip()
    out = os.path.join(scratch, "out-" + commit[:12])
    subprocess.run([binary, "-q", "-out", out, *cases], check=True, capture_output=True)
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(out)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            h.update(os.path.relpath(p, out).encode() + b"\0" + open(p, "rb").read() + b"\0")
    return h.hexdigest()[:12]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gitdir")
    ap.add_argument("tip")
    ap.add_argument("--from", dest="lo", default="v0.0.0")
    ap.add_argument("--to", dest="hi", default="v999.0.0")
    ap.add_argument("--cases", nargs="*", default=[])
    a = ap.parse_args()
    mirrors = os.environ.get("ORACLE_MIRRORS", "/work/.mirror")
    os.environ.setdefault("WHARFIE_GIT", mirrors + "/rancher+wharfie/repo")
    os.environ.setdefault("CONTAINERD_GIT", mirrors + "/containerd+containerd/repo")
    os.environ.setdefault("YAML_GIT", mirrors + "/go-yaml+yaml/repo")
    go = os.environ.get("GO") or ("go" if subprocess.run(["sh", "-c", "command -v go"],
                                                         capture_output=True).returncode == 0
                                  else "/opt/gobin/bin/go")
    with tempfile.TemporaryDirectory() as scratch:
        prepare = os.path.join(scratch, "prepare")
        env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-mod=mod")
        subprocess.run([go, "build", "-o", prepare, "."], cwd=os.path.join(HERE, "prepare"),
                       check=True, env=env)
        prev = None
        outputs = {}
        for commit, v in release_points(a.gitdir, a.tip):
            if version_key(v) < version_key(a.lo) or version_key(v) > version_key(a.hi):
                continue
            fp, facts = fingerprint(prepare, a.gitdir, commit, scratch)
            if a.cases and not fp.startswith("unsupported"):
                if fp not in outputs:
                    outputs[fp] = run_cases(a.gitdir, commit, a.cases, scratch)
                fp += " bytes " + outputs[fp]
            pause = re.search(r"pause-image default (\S+)", facts)
            deps = "; ".join(l for l in facts.splitlines() if re.match(r"(wharfie|gopkg|github)", l))
            line = f"{v:<18} {commit[:9]} {fp}  pause {pause.group(1) if pause else '?'}  [{deps}]"
            if prev and fp != prev[2]:
                changed = git(a.gitdir, "log", "--format=%h %cs %s", f"{prev[1]}..{commit}",
                              "--", *WATCHED).strip()
                line += "\n    changed since " + prev[0] + ":\n" + "\n".join(
                    "      " + l for l in changed.splitlines())
            print(line, flush=True)
            prev = (v, commit, fp)


if __name__ == "__main__":
    sys.exit(main())
