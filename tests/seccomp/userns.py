#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""userNamespaces: deny, proven by execution under real runc.

    userns.py CAPGUARD PROBE [--generated N] [--seed S] [--verbose] [--only N] [FIXTURE-CONFIG...]

Profiles: each FIXTURE-CONFIG's own linux.seccomp (the real defaults of Docker, podman and
containerd's CRI, captured from the engines), then N generated ones: random rules for unshare,
clone, clone3 and setns (random comparisons, argument indexes, values and actions) over a
default-allow profile or over one of the real defaults.  For each profile:

1. control: runc runs PROBE (tests/tools/userns-probe.c) under the profile as it is;
2. rewrite: `capguard precreate` under a policy with userNamespaces: deny and action rewrite.  A
   refusal must name its reason; otherwise runc runs PROBE under the rewritten profile, and no way
   of making a user namespace may succeed, while every ordinary probe (fork, clone and unshare
   without CLONE_NEWUSER, exec, a file) must end as it did in the control run;
3. enforce: `capguard precreate` under action enforce.  When capguard lets the profile through
   unchanged, the control run must have made no user namespace (capguard's reading must never
   call open what runc and the kernel close... nor closed what they open).

Needs root and runc; the root filesystem is tests/rootfs.sh's busybox one.  Prints a line per
disagreement and a summary, with how often enforce refused a profile under which the probe made no
user namespace: capguard counts TRACE as letting the call through (a tracer of the caller's own
may) and any argument value the caller could choose, where the probe passes zeros, and assumes no
order where libseccomp's decides; exit 1 on any."""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

NEWUSER = 0x10000000
ORDINARY = ["fork", "clone FILES", "unshare FILES", "unshare FS", "unshare SYSVSEM", "unshare 0", "exec", "file"]
OPS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"]
VALUES = [0, NEWUSER, NEWUSER | 0x20000, 0x20000, 0x7E020000, 0x400, 0x200, 0x80, 17, NEWUSER - 1, NEWUSER + 1,
          0xFFFFFFFF, 0x7FFFFFFF, 0x1FFFFFFF, 2**63 - 1]
ACTIONS = ["SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_LOG", "SCMP_ACT_TRACE",
           "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"]


def gen_rule(r):
    names = r.sample(["unshare", "clone", "clone3", "setns"], r.randint(1, 2))
    rule = {"names": names, "action": r.choice(ACTIONS)}
    if rule["action"] == "SCMP_ACT_ERRNO" and r.random() < 0.7:
        rule["errnoRet"] = r.choice([1, 13, 38])
    args = []
    for _ in range(r.choice([0, 0, 1, 1, 1, 2, 3])):
        op = r.choice(OPS)
        a = {"index": r.choice([0, 0, 0, 1, 2]), "value": r.choice(VALUES), "op": op}
        if op == "SCMP_CMP_MASKED_EQ":
            a["valueTwo"] = r.choice([0, NEWUSER, a["value"], a["value"] & ~NEWUSER, 0x20000])
        args.append(a)
    if args:
        rule["args"] = args
    return rule


def gen_profile(r, bases):
    if bases and r.random() < 0.5:
        p = json.loads(json.dumps(r.choice(bases)))
        # The base's own rules for the four calls go; random ones come.
        for rule in p.get("syscalls", []):
            rule["names"] = [n for n in rule.get("names", []) if n not in ("unshare", "clone", "clone3", "setns")]
        p["syscalls"] = [x for x in p.get("syscalls", []) if x["names"]]
        p["syscalls"] += [gen_rule(r) for _ in range(r.randint(1, 4))]
        r.shuffle(p["syscalls"])
        return p
    p = {"defaultAction": r.choice(["SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG"]),
         "syscalls": [gen_rule(r) for _ in range(r.randint(1, 5))]}
    if r.random() < 0.3:
        p["architectures"] = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    return p


class Runner:
    def __init__(self, capguard, probe, work):
        self.capguard, self.work = capguard, work
        rootfs = os.path.join(work, "rootfs")
        subprocess.run(["bash", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rootfs.sh"), rootfs],
                       check=True)
        self.root = os.path.join(work, "runc")
        self.n = 0
        self.cautious = 0
        base = os.path.join(work, "base")
        os.makedirs(base)
        subprocess.run(["runc", "spec"], cwd=base, check=True)
        spec = json.load(open(os.path.join(base, "config.json")))
        shutil.copy(probe, os.path.join(rootfs, "bin", "userns-probe"))
        spec["root"] = {"path": rootfs, "readonly": True}
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["/bin/userns-probe"]
        spec["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]})
        self.spec = spec
        self.policies = {}
        for action in ("rewrite", "enforce"):
            d = os.path.join(work, "policy-" + action)
            os.makedirs(d)
            os.chmod(d, 0o755)
            path = os.path.join(d, "policy.json")
            json.dump({"version": 1, "action": action,
                       "capabilities": {"allow": ["ALL"], "inheritable": ["ALL"], "ambient": ["ALL"]},
                       "userNamespaces": "deny", "log": {"syslog": False}}, open(path, "w"))
            self.policies[action] = path

    def config(self, profile):
        c = json.loads(json.dumps(self.spec))
        c["linux"]["seccomp"] = profile
        return c

    def capguard_precreate(self, action, config):
        r = subprocess.run([self.capguard, "--policy", self.policies[action], "precreate"],
                           input=json.dumps(config).encode(), capture_output=True)
        return r.returncode, r.stdout, r.stderr.decode(errors="replace").strip()

    def run(self, config):
        self.n += 1
        b = os.path.join(self.work, f"b{self.n}")
        os.makedirs(b)
        json.dump(config, open(os.path.join(b, "config.json"), "w"))
        r = subprocess.run(["runc", "--root", self.root, "run", "-b", b, f"userns-{os.getpid()}-{self.n}"],
                           capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(b, ignore_errors=True)
        if r.returncode != 0:
            return None, r.stderr.decode(errors="replace").strip()[-300:]
        try:
            return json.loads(r.stdout), None
        except json.JSONDecodeError:
            return None, f"no probe output: {r.stdout[:200]!r}"


def made_userns(results):
    return sorted(k for k, v in results.items() if v == "userns")


def check(runner, name, profile):
    """(verdict, detail): 'ok', 'refused' (with reason), 'skip' (runc refuses the profile itself),
    or 'bad'."""
    config = runner.config(profile)
    control, why = runner.run(config)
    if control is None:
        return "skip", f"runc refuses the profile as it is: {why}"
    # enforce: let through unchanged means closed, as the kernel shows.
    rc, out, err = runner.capguard_precreate("enforce", config)
    if rc == 0 and made_userns(control):
        return "bad", f"enforce let through a profile under which {made_userns(control)} made a user namespace"
    if rc == 1 and not made_userns(control) and "denied by userNamespaces: deny" not in err:
        return "bad", f"enforce refused for another reason: {err}"
    runner.cautious += rc == 1 and not made_userns(control)
    # rewrite
    rc, out, err = runner.capguard_precreate("rewrite", config)
    if rc != 0:
        if not err or ("could not close" not in err and "own order picks one" not in err):
            return "bad", f"rewrite failed ({rc}) without a reason of its own: {err!r}"
        return "refused", err
    rewritten = json.loads(out)
    result, why = runner.run(rewritten)
    if result is None:
        return "bad", f"runc refuses the rewritten profile: {why}"
    if made_userns(result):
        return "bad", f"after capguard, {made_userns(result)} made a user namespace"
    broken = [k for k in ORDINARY if control.get(k) != result.get(k)]
    if broken:
        return "bad", "ordinary work changed: " + ", ".join(f"{k}: {control.get(k)} -> {result.get(k)}" for k in broken)
    return "ok", f"{len(made_userns(control))} ways open before, none after"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capguard")
    ap.add_argument("probe")
    ap.add_argument("--generated", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--only", type=int, help="run generated case N only, and print its profiles")
    ap.add_argument("fixtures", nargs="*")
    a = ap.parse_intermixed_args()
    r = random.Random(a.seed)
    bases = []
    cases = []
    for f in a.fixtures:
        p = json.load(open(f)).get("linux", {}).get("seccomp")
        if p:
            bases.append(p)
            cases.append((f"the profile of {os.path.basename(os.path.dirname(f))}", p))
    for i in range(a.generated):
        cases.append((f"generated #{i} (seed {a.seed})", gen_profile(r, bases)))
    work = tempfile.mkdtemp(prefix="capguard-userns-")
    counts = {"ok": 0, "refused": 0, "skip": 0, "bad": 0}
    try:
        runner = Runner(a.capguard, a.probe, work)
        for i, (name, profile) in enumerate(cases):
            if a.only is not None:
                if name != f"generated #{a.only} (seed {a.seed})":
                    continue
                print(json.dumps(profile, indent=1))
                rc, out, err = runner.capguard_precreate("rewrite", runner.config(profile))
                print(rc, err, json.dumps(json.loads(out)["linux"]["seccomp"], indent=1) if rc == 0 else "")
            verdict, detail = check(runner, name, profile)
            if name.startswith("the profile of") and verdict != "ok":
                # The engines' own defaults must be closed and keep working, not refused.
                verdict, detail = "bad", f"{verdict}: {detail}"
            counts[verdict] += 1
            if verdict == "bad":
                print(f"BAD {name}: {detail}\n  profile: {json.dumps(profile)[:1500]}")
            elif a.verbose:
                print(f"{verdict} {name}: {detail}")
        print(f"userns: {len(cases)} profiles: {counts['ok']} closed by capguard with ordinary work intact, "
              f"{counts['refused']} refused with a reason, {counts['skip']} refused by runc itself, {counts['bad']} bad; "
              f"enforce refused {runner.cautious} the kernel shows closed")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if counts["bad"] else 0


if __name__ == "__main__":
    sys.exit(main())
