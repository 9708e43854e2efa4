#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""capguard install, status and uninstall on every node of the corpus.

    check.py CAPGUARD [--only SUBSTRING] [--keep DIR]

Each corpus entry (MANIFEST.json: configuration files as distributions and
installers ship them) is laid out as a node under a root of its own, with
stand-in runtime binaries where the engines look for them.  Then, per node:

1. `capguard install ENGINE --root R` exits 0, or is refused with a reason
   this file lists (REFUSED: only where no registration can work);
2. the engine's own reading of the files, before and after, is the judge:
   - containerd config version 1 and 2: the real `containerd config dump`
     (containerd 1.6, run in a private mount namespace where the node's /etc
     and /var are the root's); the dumps differ only in the lines that name
     a runtime binary, and each handler of a runc-compatible type now names
     capguard's wrapper for exactly the binary it named before;
   - containerd 3 and 4 (containerd 2.x cannot be built here): Python's
     tomllib and containerd 2.x's documented merge (files merged key by key,
     the default runc kept): the same two conditions;
   - CRI-O, Docker, podman: tomllib or json and each engine's documented
     merge (CRI-O: every file under crio.conf.d in Walk order, a named
     handler replaced whole; podman: containers.conf.d/*.conf, runtimes
     merged by name; Docker: daemon.json); every handler or runtime that
     runs an OCI runtime now runs the wrapper for what it ran before, and
     every other setting is what it was;
3. `capguard status --root R --json ENGINE` agrees path by path: each way
   the judge sees wrapped is covered, no closable gap is left;
4. a second install writes nothing;
5. `capguard uninstall ENGINE` gives back every file byte for byte, and
   leaves no capguard file in the engine's directories.

Prints a line per node and a summary; exit 1 on any failure."""

import argparse
import copy
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = "/opt/capguard/capguard"
WRAPPER_DIR = "/opt/capguard"
RUNC_TYPES_1 = {"io.containerd.runc.v1", "io.containerd.runc.v2"}

# Nodes install must refuse, and why: none so far.  A refusal is allowed
# only where no registration can work; each entry says what the operator
# can do.
REFUSED = {}

# Stand-ins for the runtimes the engines look up by name on the node.
STAND_INS = ["/usr/bin/runc", "/usr/sbin/runc", "/usr/bin/crun", "/usr/bin/nvidia-container-runtime"]


def wrapper_target(path):
    """What a capguard wrapper runs, as engine_wrapper_target says; None
    when PATH is not a wrapper."""
    if path is None:
        return None
    m = re.search(r"/capguard-runtime\.d/(.+)$", path)
    if m:
        rest = m.group(1)
        return "/" + rest if "/" in rest else rest
    if os.path.basename(path) == "capguard-runtime":
        return "runc"
    return None


def wrapper_for(runs):
    if not runs or runs == "runc":
        return WRAPPER_DIR + "/capguard-runtime"
    if runs.startswith("/"):
        return WRAPPER_DIR + "/capguard-runtime.d" + runs
    return WRAPPER_DIR + "/capguard-runtime.d/" + runs


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def snapshot(root):
    files = {}
    for top in ("etc", "var", "usr/share/containers"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                p = os.path.join(dirpath, n)
                if not os.path.islink(p):
                    files[os.path.relpath(p, root)] = open(p, "rb").read()
    return files


# Nodes: which corpus files make up one node, and where they go.

def nodes(manifest):
    by_file = {e["file"]: e for e in manifest}
    out = []
    used = set()
    for e in manifest:
        f = e["file"]
        eng = e["engine"]
        if f in used:
            continue
        if eng == "containerd":
            if f.endswith(".part.toml") or f.endswith("-99-nvidia.toml"):
                continue
            layout = {f: "/etc/containerd/config.toml"}
            if f.endswith("-main.toml"):
                prefix = f[: -len("-main.toml")]
                for other in by_file:
                    if other.startswith(prefix) and other.endswith("-99-nvidia.toml") and "set-as-default" not in other:
                        layout[other] = "/etc/containerd/conf.d/99-nvidia.toml"
            if "talos-cri-containerd" in f:
                for other in by_file:
                    if other.startswith("containerd/talos-ext-"):
                        layout[other] = "/var/cri/conf.d/" + os.path.basename(other).replace(".part", "")
            out.append(("containerd", f, layout))
            used.update(layout)
        elif eng == "crio":
            node = f.split("/")[1]
            layout = {}
            for other in by_file:
                if other.startswith(f"crio/{node}/"):
                    rel = other[len(f"crio/{node}/"):]
                    # NVIDIA's toolkit writes crio.conf.d from 1.19.1 (conf.d
                    # before, which CRI-O does not read).
                    rel = re.sub(r"^conf\.d/", "crio.conf.d/", rel)
                    layout[other] = "/etc/crio/" + rel
            out.append(("crio", f"crio/{node}", layout))
            used.update(layout)
        elif eng == "docker":
            out.append(("docker", f, {f: "/etc/docker/daemon.json"}))
            used.add(f)
        elif eng == "podman":
            node = f.split("/")[1]
            layout = {}
            for other in by_file:
                if other.startswith(f"podman/{node}/"):
                    layout[other] = "/etc/containers/" + other[len(f"podman/{node}/"):]
            out.append(("podman", f"podman/{node}", layout))
            used.update(layout)
    # The set-as-default NVIDIA drop-ins of containerd, over the plain main files.
    for f in by_file:
        if f.endswith("set-as-default-99-nvidia.toml"):
            main = "containerd/nvidia-ctk-v3-main.toml" if "-v3-" in f else "containerd/nvidia-ctk-v2-fresh-main.toml"
            out.append(("containerd", f, {main: "/etc/containerd/config.toml", f: "/etc/containerd/conf.d/99-nvidia.toml"}))
    return out


def lay_out(root, layout, capguard):
    for src, dst in layout.items():
        os.makedirs(os.path.dirname(root + dst), exist_ok=True)
        shutil.copyfile(os.path.join(HERE, src), root + dst)
    os.makedirs(root + WRAPPER_DIR, exist_ok=True)
    shutil.copy2(capguard, root + BIN)
    for s in STAND_INS:
        os.makedirs(os.path.dirname(root + s), exist_ok=True)
        with open(root + s, "w") as fh:
            fh.write("#!/bin/sh\nexit 0\n")
        os.chmod(root + s, 0o755)


# containerd

def ci_get(d, key):
    """A key of D matched as go-toml does for runc's options."""
    if not isinstance(d, dict):
        return None
    for k, v in d.items():
        if k.lower() == key.lower():
            return v
    return None


def containerd_dump(root):
    """containerd's own view of the node's files."""
    script = ("mount --make-rprivate / && mount --bind \"$R/etc\" /etc && "
              "{ [ ! -d \"$R/var\" ] || mount --bind \"$R/var\" /var; } && "
              "exec containerd --config /etc/containerd/config.toml config dump")
    r = run(["unshare", "-m", "sh", "-c", script], env={**os.environ, "R": root})
    if r.returncode != 0:
        raise Fail(f"containerd config dump failed: {r.stderr.strip()[-400:]}")
    return r.stdout


def v1_handlers(dump_text):
    """(name, type, binary-key, value) of each handler in a 1.x dump."""
    d = tomllib.loads(dump_text)
    plugins = d.get("plugins", {})
    if set(d.get("disabled_plugins", [])) & {"cri", "io.containerd.grpc.v1.cri"}:
        return {}
    cri = plugins.get("io.containerd.grpc.v1.cri") or plugins.get("cri") or {}
    ctd = cri.get("containerd", {})
    linux = (plugins.get("io.containerd.runtime.v1.linux") or plugins.get("linux") or {}).get("runtime") or "runc"
    out = {}
    tables = dict(ctd.get("runtimes", {}))
    for legacy, name in (("default_runtime", "default"), ("untrusted_workload_runtime", "untrusted")):
        t = ctd.get(legacy)
        if t and t.get("runtime_type"):
            tables[name] = t
    for name, t in tables.items():
        typ = t.get("runtime_type", "")
        opts = t.get("options") or {}
        if typ in RUNC_TYPES_1:
            out[name] = ("BinaryName", ci_get(opts, "BinaryName") or "")
        elif typ == "io.containerd.runtime.v1.linux":
            rt = ci_get(opts, "Runtime") or (t.get("runtime_engine") if not opts else "") or linux
            out[name] = ("Runtime", rt)
        else:
            out[name] = (None, typ)
    return out


def deep_merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            deep_merge(a[k], v)
        else:
            a[k] = copy.deepcopy(v)
    return a


def v3_model(root):
    main = tomllib.load(open(root + "/etc/containerd/config.toml", "rb"))
    files = [main]
    for pat in main.get("imports", []):
        for p in sorted(glob.glob(root + pat)):
            files.append(tomllib.load(open(p, "rb")))
    merged = {"plugins": {"io.containerd.cri.v1.runtime": {"containerd": {"runtimes": {
        "runc": {"runtime_type": "io.containerd.runc.v2"}}}}}}
    for f in files:
        deep_merge(merged, f)
    rts = merged["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]
    out = {}
    for name, t in rts.items():
        typ = t.get("runtime_type", "")
        if typ == "io.containerd.runc.v2":
            out[name] = ("BinaryName", ci_get(t.get("options") or {}, "BinaryName") or "")
        else:
            out[name] = (None, typ)
    return out, merged


def strip_binaries(tree, in_options=False):
    """TREE without the keys that name a runtime binary, and without the
    zero values of a handler's options (go-toml decodes an absent option and
    its zero value alike), for comparison."""
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            if in_options and k.lower() in ("binaryname", "runtime"):
                continue
            if in_options and v in ("", 0, False, None):
                continue
            if k == "imports" and isinstance(v, list):
                v = sorted(v)  # the dump prints them in no fixed order
            out[k] = strip_binaries(v, k == "options")
            if k == "options" and out[k] == {}:
                del out[k]  # an options table with nothing but a binary
        return out
    if isinstance(tree, list):
        return [strip_binaries(v) for v in tree]
    return tree


def first_difference(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return first_difference(a.get(k), b.get(k), f"{path}.{k}")
    return f"{path}: {a!r} -> {b!r}"


def judge_containerd(root, before_state):
    version = tomllib.load(open(root + "/etc/containerd/config.toml", "rb")).get("version", 1)
    if version >= 3:
        handlers, merged = v3_model(root)
        return handlers, merged
    dump = containerd_dump(root)
    return v1_handlers(dump), dump


def check_containerd(before, after):
    (hb, tb), (ha, ta) = before, after
    expect(set(hb) == set(ha), f"handlers changed: {sorted(hb)} -> {sorted(ha)}")
    wrapped = set()
    for name, (key, value) in hb.items():
        akey, avalue = ha[name]
        if key is None:
            expect(akey is None, f"handler {name} changed kind")
            continue
        target = wrapper_target(avalue)
        expect(target is not None, f"handler {name}: {akey} = {avalue!r}, not capguard's wrapper")
        orig = wrapper_target(value) or value or "runc"
        expect(target == orig, f"handler {name}: the wrapper runs {target!r}, the node ran {orig!r}")
        wrapped.add(name)
    if isinstance(tb, str):
        tb, ta = tomllib.loads(tb), tomllib.loads(ta)
    db, da = strip_binaries(tb), strip_binaries(ta)
    expect(db == da, f"containerd's view differs beyond the binaries: {first_difference(db, da)}")
    return {f"CRI handler `{n}`" for n in wrapped}, {f"CRI handler `{n}`" for n, (k, _) in hb.items() if k}


# CRI-O

BUILTIN_RUNC = {"runtime_type": "oci", "runtime_root": "/run/runc",
                "allowed_annotations": ["io.containers.trace-syscall"],
                "monitor_env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "monitor_cgroup": "system.slice"}


def crio_files(root):
    files = []
    if os.path.exists(root + "/etc/crio/crio.conf"):
        files.append(root + "/etc/crio/crio.conf")
    base = root + "/etc/crio/crio.conf.d"

    def walk(d):
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            if os.path.isdir(p):
                walk(p)
            else:
                files.append(p)
    if os.path.isdir(base):
        walk(base)
    return files


def crio_model(root):
    handlers = {"runc": None}
    default, hooks = "runc", ["/usr/share/containers/oci/hooks.d"]
    for f in crio_files(root):
        rt = tomllib.load(open(f, "rb")).get("crio", {}).get("runtime", {})
        default = rt.get("default_runtime", default) or "runc"
        hooks = rt.get("hooks_dir", hooks)
        for name, t in rt.get("runtimes", {}).items():
            handlers[name] = t
    out = {}
    for name, t in handlers.items():
        t = dict(BUILTIN_RUNC) if t is None else dict(t)
        typ = t.get("runtime_type", "oci") or "oci"
        path = t.get("runtime_path") or ""
        if typ == "vm":
            out[name] = (None, t)
            continue
        if not path:
            for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
                if os.path.exists(root + d + "/" + name):
                    path = d + "/" + name
                    break
        out[name] = (path or None, t)
    return out, default, hooks


def crio_config(root):
    """Real CRI-O's own merge of the node's files (`crio config`), when
    CAPGUARD_CRIO names a crio binary (not packaged for Debian 12: a local
    build), as {handler: table}, default_runtime."""
    crio = os.environ.get("CAPGUARD_CRIO")
    if not crio:
        return None
    conf = root + "/etc/crio/crio.conf"
    r = run([crio, "--config", conf if os.path.exists(conf) else "/dev/null",
             "--config-dir", root + "/etc/crio/crio.conf.d", "config"])
    if r.returncode != 0:
        raise Fail(f"crio config failed: {r.stderr.strip()[-300:]}")
    text = "\n".join(l for l in r.stdout.splitlines() if not l.lstrip().startswith("#"))
    rt = tomllib.loads(text).get("crio", {}).get("runtime", {})
    return rt.get("runtimes"), rt.get("default_runtime", "runc")


def crio_judge(root):
    return crio_model(root) + (crio_config(root),)


def check_crio(before, after):
    (hb, db, kb, cb), (ha, da, ka, ca) = before, after
    if cb is not None:
        # Real CRI-O agrees: the same handlers and default; each oci handler's runtime_path the
        # wrapper for what CRI-O ran before; every other setting as CRI-O had it.
        rb, rdb = cb
        ra_, rda = ca
        expect(rdb == rda, f"crio config: default_runtime {rdb} -> {rda}")
        if rb is not None and ra_ is not None:
            expect(set(rb) == set(ra_), f"crio config: handlers {sorted(rb)} -> {sorted(ra_)}")
            for name, t in rb.items():
                if hb.get(name, (None,))[0] is None:
                    continue
                expect(wrapper_target(ra_[name].get("runtime_path")) == hb[name][0],
                       f"crio config: handler {name} runs {ra_[name].get('runtime_path')!r}")
                expect({k: v for k, v in t.items() if k != "runtime_path"} == {k: v for k, v in ra_[name].items() if k != "runtime_path"},
                       f"crio config: handler {name}'s settings changed")
    expect(set(hb) == set(ha), f"handlers changed: {sorted(hb)} -> {sorted(ha)}")
    expect(db == da, f"default_runtime changed: {db} -> {da}")
    expect(ka == kb, f"hooks_dir changed: {kb} -> {ka}")
    wrapped = set()
    for name, (path, t) in hb.items():
        apath, at = ha[name]
        if path is None:
            continue
        expect(wrapper_target(apath) == path, f"handler {name}: runtime_path {apath!r} does not run {path!r}")
        rest_b = {k: v for k, v in t.items() if k != "runtime_path"}
        rest_a = {k: v for k, v in at.items() if k != "runtime_path"}
        expect(rest_a == rest_b, f"handler {name}: settings changed: {rest_b} -> {rest_a}")
        wrapped.add(f"handler `{name}`")
    return wrapped, wrapped


# Docker

def check_docker(before, after):
    b, a = before, after
    wrapped = set()
    rb, ra = b.get("runtimes", {}), a.get("runtimes", {})
    default_b = b.get("default-runtime") or "runc"
    for name, t in rb.items():
        if "path" in t:
            expect(wrapper_target(ra[name]["path"]) == t["path"],
                   f"runtime {name}: {ra[name]['path']!r} does not run {t['path']!r}")
            expect({k: v for k, v in ra[name].items() if k != "path"} == {k: v for k, v in t.items() if k != "path"},
                   f"runtime {name}: other settings changed")
            wrapped.add(f"Docker runtime `{name}`")
        else:
            expect(ra[name] == t, f"runtime {name} changed")
    if default_b in ("runc", "io.containerd.runc.v2"):
        expect(a.get("default-runtime") == "capguard", "runc default: capguard not made the default")
        expect(wrapper_target(ra["capguard"]["path"]) == "runc", "capguard's runtime does not run runc")
        wrapped.add("Docker runtime `capguard`")
    else:
        expect(a.get("default-runtime") == default_b, "the node's default runtime changed")
    rest_b = {k: v for k, v in b.items() if k not in ("runtimes", "default-runtime")}
    rest_a = {k: v for k, v in a.items() if k not in ("runtimes", "default-runtime")}
    expect(rest_a == rest_b, "other daemon.json settings changed")
    return wrapped, wrapped


# podman

PODMAN_DEFAULTS = {
    "crun": ["/usr/bin/crun", "/usr/sbin/crun", "/usr/local/bin/crun", "/usr/local/sbin/crun", "/sbin/crun", "/bin/crun",
             "/run/current-system/sw/bin/crun"],
    "runc": ["/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc", "/usr/local/sbin/runc", "/sbin/runc", "/bin/runc",
             "/usr/lib/cri-o-runc/sbin/runc", "/run/current-system/sw/bin/runc"],
}


def podman_model(root):
    files = [root + p for p in ("/usr/share/containers/containers.conf", "/etc/containers/containers.conf")
             if os.path.exists(root + p)]
    d = root + "/etc/containers/containers.conf.d"
    if os.path.isdir(d):
        files += sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".conf"))
    runtimes = dict(PODMAN_DEFAULTS)
    runtime, hooks = None, ["/usr/share/containers/oci/hooks.d", "/etc/containers/oci/hooks.d"]
    for f in files:
        e = tomllib.load(open(f, "rb")).get("engine", {})
        runtime = e.get("runtime", runtime)
        hooks = e.get("hooks_dir", hooks)
        runtimes.update(e.get("runtimes", {}))
    resolved = {}
    for name, cands in runtimes.items():
        for c in cands:
            if os.path.isfile(root + c) or (wrapper_target(c) and os.path.lexists(root + c)):
                resolved[name] = c
                break
    return resolved, runtime, hooks


def check_podman(before, after):
    (rb, db, hb), (ra, da, ha) = before, after
    expect(db == da, f"engine.runtime changed: {db} -> {da}")
    expect(ha[: len(hb)] == hb and ha[len(hb):] in ([], ["/etc/containers/capguard/hooks.d"]),
           f"hooks_dir: {hb} -> {ha}")
    wrapped = set()
    for name, path in rb.items():
        expect(wrapper_target(ra.get(name)) == path, f"runtime {name}: {ra.get(name)!r} does not run {path!r}")
        wrapped.add(f"runtime `{name}`")
    return wrapped, wrapped


JUDGES = {
    "containerd": (lambda r: judge_containerd(r, None), check_containerd),
    "crio": (crio_judge, check_crio),
    "docker": (lambda r: json.load(open(r + "/etc/docker/daemon.json")), check_docker),
    "podman": (podman_model, check_podman),
}


def check_node(capguard, engine, name, layout, keep):
    root = tempfile.mkdtemp(prefix="capguard-corpus-")
    try:
        lay_out(root, layout, capguard)
        files_before = snapshot(root)
        model, compare = JUDGES[engine]
        before = model(root)
        r = run([capguard, "install", engine, "--root", root, "--binary", BIN])
        if name in REFUSED:
            expect(r.returncode == 3 and re.search(REFUSED[name], r.stderr), f"install should refuse: {r.stderr}")
            expect(snapshot(root) == files_before, "a refused install changed files")
            return "refused as listed"
        expect(r.returncode == 0, f"install failed ({r.returncode}): {r.stderr.strip()}")
        expect("not covered" not in r.stdout or all(
            re.search(r"shim of its own|runs a containerd shim|hooks_dir is empty|`(ctr run|docker run --runtime|podman --runtime)", l)
            for l in r.stdout.splitlines() if l.startswith("not covered")), f"install left a way open:\n{r.stdout}")
        after = model(root)
        wrapped, ways = compare(before, after)
        # status: each way the judge sees wrapped is covered; no closable gap.
        s = run([capguard, "status", "--root", root, "--json", engine])
        doc = json.loads(s.stdout)
        paths = [p for e in doc["engines"] for p in e["paths"]]
        covered = {re.sub(r"(, the default)? \(create, exec, restore\)$", "", p["path"]) for p in paths if p["state"] == "covered"}
        gaps = [p for p in paths if p["state"] == "gap" and p.get("closable", True)]
        expect(not gaps, f"status: closable gaps after install: {[(g['path'], g['detail']) for g in gaps]}")
        expect(wrapped <= covered, f"status does not call covered what the engine now wraps: {sorted(wrapped - covered)}")
        stray = {c for c in covered if c.startswith(("CRI handler", "handler", "Docker runtime", "runtime"))} - wrapped
        expect(not stray, f"status calls covered what the engine does not wrap: {sorted(stray)}")
        # A second install writes nothing.
        r2 = run([capguard, "install", engine, "--root", root, "--binary", BIN])
        expect(r2.returncode == 0 and not re.search(r"^(wrote|linked|removed) ", r2.stdout, re.M),
               f"a second install changed files:\n{r2.stdout}")
        # uninstall gives everything back.
        r3 = run([capguard, "uninstall", engine, "--root", root, "--binary", BIN])
        expect(r3.returncode == 0, f"uninstall failed: {r3.stderr.strip()}")
        files_after = snapshot(root)
        changed = sorted(k for k in set(files_before) | set(files_after) if files_before.get(k) != files_after.get(k))
        expect(not changed, f"uninstall did not restore: {changed}")
        return f"{len(wrapped)} way{'s' if len(wrapped) != 1 else ''} wrapped"
    finally:
        if keep:
            print(f"  kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capguard")
    ap.add_argument("--only")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    manifest = json.load(open(os.path.join(HERE, "MANIFEST.json")))
    failed = passed = 0
    for engine, name, layout in nodes(manifest):
        if a.only and a.only not in name:
            continue
        try:
            what = check_node(os.path.abspath(a.capguard), engine, name, layout, a.keep)
            passed += 1
            print(f"ok   {engine:10s} {name}: {what}")
        except Fail as e:
            failed += 1
            print(f"FAIL {engine:10s} {name}: {e}")
    print(f"corpus: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
