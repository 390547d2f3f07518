#!/usr/bin/env bash
# A real one-node Slurm on loopback, to prove the slurm profile: munge, MariaDB (accounting),
# slurmdbd, slurmctld, slurmd from Debian's packages. Idempotent; needs root.
# The daemons run in a network namespace that has only a loopback interface, so nothing they
# open is reachable from outside; clients run there too:
#   workflow/profiles/slurm/testbed/up.sh
#   nsenter --net=/run/netns/lowdim-slurm sinfo   # or sbatch, sacct, snakemake --profile ...
#   workflow/profiles/slurm/testbed/down.sh     # stops what up.sh started, by process id
# Exit status 3 means "cannot run here" (no root, no packages): callers skip, with the reason.
set -euo pipefail
STATE=${LOWDIM_SLURM_STATE:-/tmp/lowdim-slurm}
NS=${LOWDIM_SLURM_NETNS:-lowdim-slurm}
IN="nsenter --net=/run/netns/$NS"  # the network namespace only (ip netns exec would remount /sys)
say() { echo "[testbed] $*" >&2; }
cannot() { say "cannot start Slurm: $*"; exit 3; }

[ "$(id -u)" = 0 ] || cannot "needs root (daemons and /etc/slurm)"
command -v ip >/dev/null || cannot "needs iproute2 (ip netns)"
ip netns add "$NS" 2>/dev/null || true
ip netns exec "$NS" ip link set lo up 2>/dev/null || cannot "cannot create the network namespace $NS"
# Slurm's daemons resolve their listening address with AI_ADDRCONFIG, which wants one
# non-loopback address: give the namespace the inner end of a veth pair whose outer end stays
# down and unaddressed, so it leads nowhere.
if ! ip netns exec "$NS" ip -o addr show dev "${NS:0:10}-in" >/dev/null 2>&1; then
  ip link add "${NS:0:10}-out" type veth peer name "${NS:0:10}-in" 2>/dev/null \
    || cannot "cannot create a veth pair for the namespace"
  ip link set "${NS:0:10}-in" netns "$NS"
  ip netns exec "$NS" ip addr add 10.254.254.1/32 dev "${NS:0:10}-in"
  ip netns exec "$NS" ip link set "${NS:0:10}-in" up
fi
if $IN sinfo -h -o %T 2>/dev/null | grep -q idle; then say "already up"; exit 0; fi
if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null || ! command -v mariadbd >/dev/null; then
  say "installing Debian's Slurm, munge and MariaDB"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      slurmctld slurmd slurm-client slurmdbd munge mariadb-server; } >"${STATE}.apt.log" 2>&1 \
    || cannot "apt-get install failed (see ${STATE}.apt.log)"
fi
mkdir -p "$STATE"/{ctld,d,log} /run/munge /run/mysqld /run/slurm /etc/slurm
: >"$STATE/pids"

# munge (as its own user)
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; }
chown munge:munge /etc/munge/munge.key /run/munge; chmod 400 /etc/munge/munge.key; chmod 755 /run/munge
runuser -u munge -- /usr/sbin/munged --force
for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
cat /run/munge/munged.pid >>"$STATE/pids"

# MariaDB on 127.0.0.1 only
chown mysql:mysql /run/mysqld
[ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >"$STATE/log/mariadb-install.log" 2>&1
$IN /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 --socket=/run/mysqld/mysqld.sock \
  --pid-file=/run/mysqld/mysqld.pid --log-error="$STATE/log/mariadb.log" >/dev/null 2>&1 &
for _ in $(seq 100); do [ -S /run/mysqld/mysqld.sock ] && [ -s /run/mysqld/mysqld.pid ] && break; sleep 0.1; done
cat /run/mysqld/mysqld.pid >>"$STATE/pids"
mariadb -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'lowdim';
            GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

MEM=$(awk '/MemAvailable/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
CPUS=$(nproc)
cat >/etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StorageUser=slurm
StoragePass=lowdim
StorageLoc=slurm_acct_db
PidFile=/run/slurm/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
CONF
chmod 600 /etc/slurm/slurmdbd.conf
cat >/etc/slurm/slurm.conf <<CONF
ClusterName=lowdim
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageEnforce=associations
MinJobAge=300
KillWait=5
OverTimeLimit=0
InactiveLimit=0
ReturnToService=2
SchedulerParameters=batch_sched_delay=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE DefMemPerCPU=1000 State=UP
CONF

$IN /usr/sbin/slurmdbd
for _ in $(seq 100); do $IN sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.2; done
cat /run/slurm/slurmdbd.pid >>"$STATE/pids"
$IN sacctmgr -i add cluster lowdim >/dev/null 2>&1 || true
$IN sacctmgr -i add account lowdim Cluster=lowdim >/dev/null 2>&1 || true
$IN sacctmgr -i add user root Account=lowdim Cluster=lowdim >/dev/null 2>&1 || true

$IN /usr/sbin/slurmctld
for _ in $(seq 100); do [ -s /run/slurm/slurmctld.pid ] && $IN scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
cat /run/slurm/slurmctld.pid >>"$STATE/pids"
$IN /usr/sbin/slurmd
for _ in $(seq 150); do $IN sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.2; done
cat /run/slurm/slurmd.pid >>"$STATE/pids"
$IN sinfo -h -o %T | grep -q idle || cannot "the node did not come up idle (logs in $STATE/log)"
say "up in network namespace $NS: $($IN sinfo -h -o '%P %D %T %c CPUs %m MB')"
