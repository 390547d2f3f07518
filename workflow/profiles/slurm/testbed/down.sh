#!/usr/bin/env bash
# Stop what up.sh started, newest first, by process id.
set -u
STATE=${LOWDIM_SLURM_STATE:-/tmp/lowdim-slurm}
NS=${LOWDIM_SLURM_NETNS:-lowdim-slurm}
[ -f "$STATE/pids" ] || { ip netns del "$NS" 2>/dev/null; exit 0; }
for pid in $(tac "$STATE/pids"); do
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
done
rm -f "$STATE/pids"
ip netns del "$NS" 2>/dev/null || true  # also removes the veth pair
echo "[testbed] down" >&2
