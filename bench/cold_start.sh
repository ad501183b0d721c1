#!/bin/bash
# Usage: N=21 bench/cold_start.sh "node bin/dlpc.mjs --version" "node bin/dlpc.mjs --help"
# Cold-start timing: N rounds, each running a bare `node -e 0` and then every given command once
# (interleaved, so machine load hits all alike). Per command: the median wall-clock time, its
# difference to bare node's median (what dlpc adds), and the median CPU time (user + system, from
# the child's rusage), which other processes on a loaded machine inflate far less than wall time.
N=${N:-15} exec python3 - "$@" <<'PY'
import os, shlex, statistics, subprocess, sys, time
n = int(os.environ["N"])
cmds = ["node -e 0", *sys.argv[1:]]
wall = {c: [] for c in cmds}
cpu = {c: [] for c in cmds}
for _ in range(n):
    for c in cmds:
        t0 = time.perf_counter()
        p = subprocess.Popen(shlex.split(c), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        wall[c].append((time.perf_counter() - t0) * 1000)
        cpu[c].append((ru.ru_utime + ru.ru_stime) * 1000)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{c}: exit {os.waitstatus_to_exitcode(status)}")
base = statistics.median(wall[cmds[0]])
with open("/proc/loadavg") as f:
    print(f"N={n}, load average {' '.join(f.read().split()[:3])}")
for c in cmds:
    w = statistics.median(wall[c])
    extra = "" if c == cmds[0] else f", +{w - base:.0f} ms over node -e 0"
    print(f"{c}: median {w:.0f} ms (min {min(wall[c]):.0f}){extra}; CPU median {statistics.median(cpu[c]):.0f} ms")
PY
