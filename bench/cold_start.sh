#!/bin/bash
# Usage: N=21 bench/cold_start.sh "node bin/dlpc.mjs --version" "node bin/dlpc.mjs --help"
# cold-start timing: median of N runs each, interleaved with a bare `node -e 0`
N=${N:-15}
for i in $(seq $N); do
  for c in "node -e 0" "$@"; do
    s=$(date +%s%N); $c >/dev/null 2>&1; e=$(date +%s%N); echo "$c|$(( (e-s)/1000000 ))"
  done
done | python3 -c '
import sys,statistics,collections
d=collections.defaultdict(list)
for l in sys.stdin:
  k,v=l.rstrip().rsplit("|",1); d[k].append(int(v))
for k,v in d.items(): print(f"{k}: median {statistics.median(v):.0f} ms (min {min(v)})")'
