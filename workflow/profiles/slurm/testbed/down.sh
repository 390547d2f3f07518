#!/usr/bin/env bash
# Stop what up.sh started, newest first, by process id.
set -u
STATE=${LOWDIM_SLURM_STATE:-/tmp/lowdim-slurm}
[ -f "$STATE/pids" ] || exit 0
for pid in $(tac "$STATE/pids"); do
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
done
rm -f "$STATE/pids"
echo "[testbed] down" >&2
