#!/usr/bin/env bash
# A real one-node Slurm on loopback, to prove the slurm profile: munge, MariaDB (accounting),
# slurmdbd, slurmctld, slurmd from Debian's packages. Idempotent; needs root.
#   workflow/profiles/slurm/testbed/up.sh      # then: sinfo, sbatch, snakemake --profile ...
#   workflow/profiles/slurm/testbed/down.sh    # stops what up.sh started, by process id
# Exit status 3 means "cannot run here" (no root, no packages): callers skip, with the reason.
set -euo pipefail
STATE=${LOWDIM_SLURM_STATE:-/tmp/lowdim-slurm}
say() { echo "[testbed] $*" >&2; }
cannot() { say "cannot start Slurm: $*"; exit 3; }

[ "$(id -u)" = 0 ] || cannot "needs root (daemons and /etc/slurm)"
if sinfo -h -o %T 2>/dev/null | grep -q idle; then say "already up"; exit 0; fi
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
/usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 --socket=/run/mysqld/mysqld.sock \
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

/usr/sbin/slurmdbd
for _ in $(seq 100); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.2; done
cat /run/slurm/slurmdbd.pid >>"$STATE/pids"
sacctmgr -i add cluster lowdim >/dev/null 2>&1 || true
sacctmgr -i add account lowdim Cluster=lowdim >/dev/null 2>&1 || true
sacctmgr -i add user root Account=lowdim Cluster=lowdim >/dev/null 2>&1 || true

/usr/sbin/slurmctld
for _ in $(seq 100); do [ -s /run/slurm/slurmctld.pid ] && scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
cat /run/slurm/slurmctld.pid >>"$STATE/pids"
/usr/sbin/slurmd
for _ in $(seq 150); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.2; done
cat /run/slurm/slurmd.pid >>"$STATE/pids"
sinfo -h -o %T | grep -q idle || cannot "the node did not come up idle (logs in $STATE/log)"
say "up: $(sinfo -h -o '%P %D %T %c CPUs %m MB')"
