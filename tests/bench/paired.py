# SPDX-License-Identifier: GPL-2.0-or-later
"""Interleaved, paired timing of whole processes: each round runs every command once, in a shuffled
order, on the same input; the result is the median over rounds of each command's time divided by the
baseline's in that round.  Paired ratios cancel most of a shared machine's noise.

    python3 paired.py ROUNDS INPUT BASELINE-NAME NAME=COMMAND...   (COMMAND reads INPUT on stdin)
"""
import random
import shlex
import statistics
import subprocess
import sys
import time

rounds, path, base = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = dict(arg.split("=", 1) for arg in sys.argv[4:])
times = {name: [] for name in cmds}
for _ in range(rounds):
    order = list(cmds)
    random.shuffle(order)
    for name in order:
        with open(path, "rb") as f:
            t0 = time.perf_counter()
            subprocess.run(shlex.split(cmds[name]), stdin=f, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - t0)
for name in cmds:
    if name == base:
        continue
    ratios = [a / b for a, b in zip(times[name], times[base])]
    print(f"{name}/{base}={statistics.median(ratios):.2f}", end=" ")
print()
