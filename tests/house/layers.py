#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The include graph reads top-down: cli -> engines -> core -> platform (src/README.md).

Each header in include/ belongs to the layer of the module of its name (src/LAYER/NAME.c), or to the
layer this file names for the few that are not one module's.  Fails, naming the line, when a source
or a header includes a header of a layer above its own, when two modules include each other (a
circle, through any number of modules), or when a header belongs to no layer.

    python3 tests/house/layers.py SRCDIR
"""
import glob
import os
import re
import sys

ORDER = ["platform", "core", "engines", "cli"]  # bottom to top
# Headers that are not one module's: the layer they are shared in.
SHARED = {"modes.h": "cli", "policy_internal.h": "core", "observe_abi.h": "core"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main(src):
    sources = sorted(glob.glob(os.path.join(src, "src", "*", "*.c")))
    headers = sorted(glob.glob(os.path.join(src, "include", "*.h")))
    layer_of = {}  # header name -> layer
    module_of = {}  # header name -> module (NAME of src/LAYER/NAME.c)
    for c in sources:
        layer = c.split(os.sep)[-2]
        if layer not in ORDER:
            continue  # src/bpf: the kernel side, its own world
        name = os.path.basename(c)[:-2]
        layer_of[name + ".h"] = layer
        module_of[name + ".h"] = name
    layer_of.update(SHARED)
    bad = []
    for h in headers:
        if os.path.basename(h) not in layer_of:
            bad.append(f"{h}: belongs to no layer: name it after its module or add it to SHARED")

    def check(path, layer, text):
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            if inc not in layer_of:
                continue  # a generated header or one of the same folder (src/bpf)
            if ORDER.index(layer_of[inc]) > ORDER.index(layer):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{path}:{line}: {layer} includes {inc} of {layer_of[inc]}, a layer above")

    graph = {}
    for c in sources:
        layer = c.split(os.sep)[-2]
        if layer not in ORDER:
            continue
        text = open(c, encoding="utf-8").read()
        check(c, layer, text)
        me = os.path.basename(c)[:-2]
        graph[me] = {module_of[i] for i in INCLUDE.findall(text) if module_of.get(i, me) != me}
    for h in headers:
        name = os.path.basename(h)
        if name in layer_of:
            check(h, layer_of[name], open(h, encoding="utf-8").read())

    # A circle between modules: depth-first search for a back edge.
    state = {}

    def visit(n, path):
        state[n] = 1
        for k in sorted(graph.get(n, ())):
            if state.get(k) == 1:
                bad.append("a circle: " + " -> ".join(path[path.index(k):] + [k]))
            elif k not in state:
                visit(k, path + [k])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    for b in bad:
        print(b, file=sys.stderr)
    print(f"{len(sources)} sources, {len(headers)} headers, {sum(map(len, graph.values()))} module edges: "
          + ("top-down, no circle" if not bad else f"{len(bad)} problems"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
