#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""capguard's TOML reader against Python's tomllib, the judge.

    differential.py TOML_DUMP [--seed N] [--generated N] [--mutated N] [FILE...]

Every FILE, then N generated valid documents, then N mutations of them, is
given to both: each must accept with the same tree (toml-test's tagged
form) or both must refuse.  Two refusals of capguard's are deliberate and
kept out of the generated inputs: integers outside 64 bits and a NUL in a
string.  Prints one line per disagreement and a summary; exit 1 on any."""

import argparse
import datetime
import json
import math
import random
import subprocess
import sys
import tomllib


def tagged(v):
    """tomllib's value in toml-test's tagged form, as toml-dump prints it."""
    if isinstance(v, dict):
        return {k: tagged(x) for k, x in v.items()}
    if isinstance(v, list):
        return [tagged(x) for x in v]
    if isinstance(v, bool):
        return {"type": "bool", "value": "true" if v else "false"}
    if isinstance(v, int):
        return {"type": "integer", "value": str(v)}
    if isinstance(v, float):
        return {"type": "float", "value": v}
    if isinstance(v, str):
        return {"type": "string", "value": v}
    if isinstance(v, datetime.datetime):
        return {"type": "datetime" if v.tzinfo else "datetime-local", "value": v.isoformat()}
    if isinstance(v, datetime.date):
        return {"type": "date-local", "value": v.isoformat()}
    if isinstance(v, datetime.time):
        return {"type": "time-local", "value": v.isoformat()}
    raise TypeError(type(v))


def same(a, b):
    """toml-dump's tree A (floats as text) against tomllib's B."""
    if isinstance(a, dict) and isinstance(b, dict):
        if "type" in b and isinstance(b.get("type"), str) and set(b) == {"type", "value"}:
            if a.get("type") != b["type"]:
                return False
            if b["type"] == "float":
                x = float(a["value"])
                return (math.isnan(x) and math.isnan(b["value"])) or x == b["value"]
            return a.get("value") == b["value"]
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return False


def judge(dump, data):
    """(verdict, detail): 'agree' or 'disagree'."""
    try:
        ref = tagged(tomllib.loads(data.decode("utf-8")))
        ref_err = None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError) as e:
        ref, ref_err = None, str(e)
    run = subprocess.run([dump], input=data, capture_output=True)
    ours = json.loads(run.stdout) if run.returncode == 0 else None
    if run.returncode not in (0, 1):
        return "disagree", f"toml-dump exited {run.returncode}: {run.stderr.decode(errors='replace')}"
    if ref is None and ours is None:
        return "agree", "both refuse"
    if ref is None:
        return "disagree", f"tomllib refuses ({ref_err}), capguard accepts"
    if ours is None:
        return "disagree", f"tomllib accepts, capguard refuses: {run.stderr.decode(errors='replace').strip()}"
    if not same(ours, ref):
        return "disagree", f"different trees:\n  capguard {json.dumps(ours)[:400]}\n  tomllib  {json.dumps(ref, default=str)[:400]}"
    return "agree", "same tree"


# A generator of valid documents: a random tree, written with random
# choices of TOML's forms.

BARE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


class Gen:
    def __init__(self, rng):
        self.r = rng

    def key(self):
        r = self.r
        c = r.random()
        if c < 0.6:
            return "".join(r.choice(BARE) for _ in range(r.randint(1, 8)))
        if c < 0.8:
            return r.choice(["io.containerd.grpc.v1.cri", "a b", "", "é", "x.y", "'q'", '"d"', "tab\t"])
        return "".join(r.choice(BARE + ". é#[]=") for _ in range(r.randint(0, 6)))

    def write_key(self, k):
        if k and all(ch in BARE for ch in k) and self.r.random() < 0.8:
            return k
        if "'" not in k and "\t" not in k and self.r.random() < 0.5:
            return "'" + k + "'"
        return self.basic(k)

    def basic(self, s):
        out = []
        for ch in s:
            if ch == '"':
                out.append('\\"')
            elif ch == "\\":
                out.append("\\\\")
            elif ch == "\t":
                out.append(self.r.choice(["\t", "\\t", "\\u0009"]))
            elif ch == "\n":
                out.append("\\n")
            elif ord(ch) < 0x20 or ord(ch) == 0x7F:
                out.append("\\u%04x" % ord(ch))
            elif ord(ch) > 127 and self.r.random() < 0.3:
                out.append("\\U%08x" % ord(ch) if self.r.random() < 0.5 else "\\u%04x" % ord(ch))
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'

    def string_value(self):
        r = self.r
        s = "".join(r.choice(BARE + " \"'\\é\t\n#[]{}=,\x01") for _ in range(r.randint(0, 12)))
        forms = [self.basic(s)]
        if "'" not in s and "\n" not in s and "\x01" not in s:
            forms.append("'" + s + "'")
        if "'''" not in s and "\x01" not in s and not s.endswith("'"):
            forms.append("'''" + r.choice(["", "\n"]) + s + "'''")
        ml = self.basic(s)[1:-1].replace("\\n", r.choice(["\\n", "\n"]))
        if not ml.endswith('"'):
            forms.append('"""' + r.choice(["", "\n"]) + ml + r.choice(["", "\\\n   "]) + '"""')
        return s, r.choice(forms)

    def scalar(self):
        r = self.r
        c = r.randint(0, 7)
        if c == 0:
            s, text = self.string_value()
            return text
        if c == 1:
            v = r.randint(-(2**63), 2**63 - 1) if r.random() < 0.2 else r.randint(-1000, 100000)
            f = r.random()
            if v >= 0 and f < 0.15:
                return "0x" + format(v, r.choice(["x", "X"]))
            if v >= 0 and f < 0.25:
                return "0o" + format(v, "o")
            if v >= 0 and f < 0.35:
                return "0b" + format(v, "b")
            t = str(v)
            if f < 0.5 and len(t.lstrip("-")) > 2:
                sign = "-" if t.startswith("-") else r.choice(["", "+"])
                d = t.lstrip("-")
                t = sign + d[0] + "_".join(d[1:])
            return t
        if c == 2:
            return r.choice(["1.5", "-0.0", "+inf", "inf", "-inf", "nan", "+nan", "6.626e-34",
                             "1e06", "3_141.5_9", "5E+22", "-2E-2", "0.1", "9_007_199_254_740_993.0"])
        if c == 3:
            return r.choice(["true", "false"])
        if c == 4:
            return r.choice(["1979-05-27T07:32:00Z", "1979-05-27 07:32:00-07:00", "1979-05-27t07:32:00.999999z",
                             "1979-05-27T00:32:00.1234567+09:30", "2000-02-29T23:59:59-00:00"])
        if c == 5:
            return r.choice(["1979-05-27T07:32:00", "1979-05-27 00:32:00.5", "1979-05-27", "2024-02-29"])
        if c == 6:
            return r.choice(["07:32:00", "00:32:00.999999", "23:59:59.0000001"])
        return self.array(1)

    def array(self, depth):
        r = self.r
        items = [self.value(depth + 1) for _ in range(r.randint(0, 4))]
        sep = r.choice([", ", ",", " , ", ",\n  ", ", # c\n  "])
        body = sep.join(items)
        if items and r.random() < 0.3:
            body += ","
        lead = r.choice(["", " ", "\n  ", "  # c\n  "])
        return "[" + lead + body + r.choice(["", " ", "\n"]) + "]"

    def inline(self, depth):
        r = self.r
        keys = set()
        parts = []
        for _ in range(r.randint(0, 4)):
            k = self.key()
            if k in keys:
                continue
            keys.add(k)
            parts.append(self.write_key(k) + r.choice(["=", " = "]) + self.value(depth + 1, inline=True))
        return "{" + r.choice(["", " "]) + ", ".join(parts) + r.choice(["", " "]) + "}"

    def value(self, depth=0, inline=False):
        r = self.r
        if depth < 3 and r.random() < 0.15:
            return self.inline(depth)
        if depth < 3 and r.random() < 0.15:
            return self.array(depth)
        v = self.scalar()
        if inline:
            v = v.replace("\n", " ") if not v.startswith(('"""', "'''")) else '"x"'
        return v

    def document(self):
        r = self.r
        lines = []
        used_headers = set()
        for _ in range(r.randint(0, 4)):
            lines.append(self.statement(set()))
        for _ in range(r.randint(0, 6)):
            path = tuple(self.key() for _ in range(r.randint(1, 3)))
            aot = r.random() < 0.2
            if path in used_headers and not aot:
                continue
            used_headers.add(path)
            hdr = r.choice([".", " . ", ". "]).join(self.write_key(k) for k in path)
            lines.append(("[[%s]]" if aot else "[%s]") % hdr + r.choice(["", "  # h"]))
            keys = set()
            for _ in range(r.randint(0, 5)):
                lines.append(self.statement(keys))
        nl = "\r\n" if r.random() < 0.1 else "\n"
        text = nl.join(l for l in lines if l is not None)
        if r.random() < 0.8:
            text += nl
        return text

    def statement(self, keys):
        r = self.r
        if r.random() < 0.1:
            return r.choice(["", "# comment", "   ", "\t# é"])
        k = tuple(self.key() for _ in range(1 if r.random() < 0.7 else r.randint(2, 3)))
        if any(k[:i] in keys for i in range(1, len(k) + 1)) or any(x[: len(k)] == k for x in keys):
            return None
        keys.add(k)
        key = r.choice([".", " . "]).join(self.write_key(x) for x in k)
        return r.choice(["", "  "]) + key + r.choice([" = ", "=", "\t=\t"]) + self.value() + r.choice(["", " # c", "  "])


# Cases the generator would rarely write: the declaration rules of tables,
# dotted keys and arrays of tables, and the corners of each value form.
EDGE = [
    "a.b.c = 1\n[a.b.d]\nx=1", "a.b.c = 1\n[a.b]\nx=1", "[a]\nb.c=1\n[a.b.d]\n", "[a.b.c]\n[a]\n",
    "[a]\n[a.b]\n[a]\n", "a = {b=1}\n[a.c]\n", "[[a]]\n[a.b]\nx=1\n[[a]]\n[a.b]\n", "a=[]\n[[a]]\n",
    "[a.b]\n[a]\nb.c=1\n", "[a.b.c]\n[a]\nb.d=1\n", "[[a]]\nb.c = 1\n[[a]]\nb.c = 2\n",
    "[[x.a]]\n[x]\na.b = 1\n", "a = 1\n[a.b]\n", "a = {}\n[a]\n", "[a]\n[[a]]\n", "[[a]]\n[a]\n",
    "[a.b]\n[[a]]\n", "a.b = 1\na.c = 2\n", "a.b = 1\n[x]\n[a]\n", "x = {a.b = 1, a.c = 2}",
    "x = {a = {b = 1}, a.c = 2}", "x = {a = 1, a = 2}", "x = {a = 1,}", "x = {\na = 1}", "x = [1,]",
    "x = [,]", "x = []", "x = [\n# c\n]", "a = [{b = 1}]\n[a.c]\n", "a = [1]\n[[a]]\n",
    "t=1979-05-27 07:32:00Z\nu=07:32:00\nv=1979-05-27t07:32:00z", "t = 1979-02-29", "t = 2000-02-29",
    "t = 0000-01-01", "t = 1979-13-01", "t = 1979-05-32", "t = 24:00:00", "t = 1979-05-27T07:32",
    "t = 1979-05-27 # c", "t = 1979-05-27T", "t = 07:32:00.", "t = 1979-05-27T07:32:00+24:00",
    's = """\\\n  a"""', 's = """a""""', 's = """a"""""', 's = """a""""""', "s = '''a''''", "s = '''a'''''",
    's = """\\ \t\n b"""', 's = """\\ x"""', 's = "\\x"', 's = "\\ud800"', 's = "\\U00110000"',
    's = "a\tb"', 's = "a\x7fb"', "s = 'a\rb'", 's = """a\r\nb"""', 's = """a\rb"""', 'k = "a\r\n"',
    "x = 0x_1", "x = 1__0", "x = 01", "x = +0x1", "x = 1e01", "x=-0.0\ny=+inf\nz=-nan", "x = 0x", "x = 0b2",
    "x = 1.", "x = .5", "x = 1.5e", "x = 1e_5", "x = 1_", "x = _1", "x = -_1", "x = 0.1_", "x = 00", "x = -0",
    "x = 9223372036854775807", "x = -9223372036854775808", "x = 0o777", "x = 0xDEAD_beef", "x = infinity",
    "x = truex", "x = True", '"" = 1', "'' = 1", '"""a""" = 1', "a..b = 1", "a. = 1", ".a = 1", "a = ",
    "a = 1 b = 2", "[a]b = 1", "[ a . b ]\nc = 1", "[a\n]", "[]", "[[]]", "[[a]\n", "[a]]\n", "= 1",
    "a = 1\r\nb = 2\r\n", "a = 1\rb = 2", "# \x7f", "a = 1 # \x01", "\ufeffa = 1", "a = 'é'", "é = 1",
    'a = "\\u00e9"', "[a]\n[a.b.c]\n[a.b]\nd = 1\n", "a.b.c.d = 1\n[a.b.x]\n",
    "[a]\nb = {c = 1}\n[a.b.d]\n", "[a]\nb.c = 1\nb = 2\n", "a = [[1, 2], ['x', {y = 1}]]",
]


def mutate(rng, data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        pos = rng.randint(0, len(b)) if b else 0
        ch = rng.choice(b"[]{}=.,\"'#\n\\ \t_-+:eExo0179TZz\r") if rng.random() < 0.9 else rng.randint(0, 255)
        if op < 0.4 and b:
            del b[min(pos, len(b) - 1)]
        elif op < 0.7:
            b.insert(pos, ch)
        elif b:
            b[min(pos, len(b) - 1)] = ch
    return bytes(b)


def deliberate(data):
    """A refusal capguard makes on purpose: a NUL, or an integer beyond 64 bits."""
    if b"\x00" in data or b"\\u0000" in data or b"\\U00000000" in data:
        return True
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except Exception:
        return False

    def big(v):
        if isinstance(v, dict):
            return any(big(x) for x in v.values())
        if isinstance(v, list):
            return any(big(x) for x in v)
        return isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63

    return big(doc)


def paths(doc, prefix=()):
    """Every table path in DOC (arrays of tables as their last element)."""
    yield prefix
    for k, v in doc.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            v = v[-1]
        if isinstance(v, dict):
            yield from paths(v, prefix + (k,))


def check_edit(dump, rng, name, data):
    """An edit of DATA by capguard, judged by tomllib: (verdict, detail).
    The edited text must read as the old document plus the key, and its
    revert must give back DATA byte for byte; a refusal is allowed (and
    counted) but must say why."""
    doc = tomllib.loads(data.decode())
    tables = list(paths(doc))
    table = list(rng.choice(tables))
    if rng.random() < 0.5:
        table += [rng.choice(["options", "runc", "x y", "é"]) for _ in range(rng.randint(1, 2))]
    node = doc
    for k in table:
        node = node.get(k, {}) if isinstance(node, dict) else {}
        if isinstance(node, list):
            node = node[-1] if node and isinstance(node[-1], dict) else 1
    existing = [k for k, v in node.items() if not isinstance(v, (dict, list))] if isinstance(node, dict) else []
    key = rng.choice(existing) if existing and rng.random() < 0.5 else rng.choice(["BinaryName", "k", "a.b", ""])
    value = rng.choice(['"/usr/local/libexec/capguard/capguard-runtime"', "'lit'", "1", '"q\\"d"'])
    run = subprocess.run([dump, "--set", json.dumps(table + [key]), value], input=data, capture_output=True)
    if run.returncode != 0:
        why = run.stderr.decode(errors="replace").strip()
        if not why or "unreadable" in why or "internal error" in why:
            return "disagree", f"capguard refused the edit for its own fault: {why!r}"
        return "refused", why
    edited = run.stdout
    want = json.loads(json.dumps(doc, default=str))
    node = want
    for k in table:
        if isinstance(node.get(k), list):
            node = node[k][-1]
        else:
            node = node.setdefault(k, {})
    if not isinstance(node, dict):
        return "disagree", "capguard set a key below a value"
    node[key] = tomllib.loads("v = " + value)["v"]
    try:
        got = json.loads(json.dumps(tomllib.loads(edited.decode()), default=str))
    except tomllib.TOMLDecodeError as e:
        return "disagree", f"the edit is not TOML for tomllib: {e}\n{edited.decode()[:800]}"
    if got != want:
        return "disagree", f"the edit changed more than {table + [key]}:\n{edited.decode()[:800]}"
    back = subprocess.run([dump, "--revert"], input=edited, capture_output=True)
    if back.returncode != 0 or back.stdout != data:
        return "disagree", f"revert did not give back the file:\n{back.stdout.decode()[:800]!r}\nwant {data[:800]!r}"
    return "agree", "edited"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--generated", type=int, default=0)
    ap.add_argument("--mutated", type=int, default=0)
    ap.add_argument("--edits", type=int, default=0, help="edits of each accepted document")
    ap.add_argument("files", nargs="*")
    a = ap.parse_intermixed_args()
    rng = random.Random(a.seed)
    gen = Gen(rng)
    cases = [(f, open(f, "rb").read()) for f in a.files]
    cases += [(f"edge {e!r}", e.encode()) for e in EDGE]
    docs = []
    for i in range(a.generated):
        d = gen.document().encode()
        docs.append(d)
        cases.append((f"generated #{i} (seed {a.seed})", d))
    for i in range(a.mutated):
        if not docs:
            break
        cases.append((f"mutated #{i} (seed {a.seed})", mutate(rng, rng.choice(docs))))
    bad = 0
    accepted = refused = edited = edit_refused = 0
    refusals = {}
    for name, data in cases:
        verdict, detail = judge(a.dump, data)
        if verdict == "disagree" and deliberate(data) and "capguard refuses" in detail:
            refused += 1
            continue
        if verdict == "disagree":
            bad += 1
            print(f"DISAGREE {name}: {detail}\n  input: {data[:600]!r}")
        elif detail == "both refuse":
            refused += 1
        else:
            accepted += 1
            for _ in range(a.edits):
                verdict, why = check_edit(a.dump, rng, name, data)
                if verdict == "disagree":
                    bad += 1
                    print(f"EDIT {name}: {why}\n  input: {data[:600]!r}")
                elif verdict == "refused":
                    edit_refused += 1
                    refusals[why.split(": ", 1)[-1][:70]] = refusals.get(why.split(": ", 1)[-1][:70], 0) + 1
                else:
                    edited += 1
    print(f"toml differential: {len(cases)} documents, {accepted} accepted alike, {refused} refused alike, {bad} disagreements")
    if a.edits:
        print(f"toml edits: {edited} read back as meant and reverted byte for byte, {edit_refused} refused with a reason")
        for why, n in sorted(refusals.items(), key=lambda x: -x[1])[:8]:
            print(f"  {n:5d} {why}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
