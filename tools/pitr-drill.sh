#!/bin/bash
# The point-in-time-recovery drill of docs/operations.md on a throwaway cluster: WAL archiving, a base backup,
# a mistake, and recovery to just before it. Run as root (the cluster runs as the postgres user). Prints row counts.
set -euo pipefail
B=/usr/lib/postgresql/15/bin
D=$(mktemp -d /tmp/smt-pitr-XXXX); chown postgres:postgres $D
P=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
as() { runuser -u postgres -- "$@"; }
as $B/initdb -D $D/data -U postgres --auth=trust >/dev/null
mkdir -p $D/wal; chown postgres $D/wal
cat >> $D/data/postgresql.conf <<CONF
port = $P
unix_socket_directories = '$D'
listen_addresses = '127.0.0.1'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $D/wal/%f && cp %p $D/wal/%f'
archive_timeout = 60
CONF
as $B/pg_ctl -D $D/data -l $D/log -w start >/dev/null
psql() { /usr/bin/psql -h 127.0.0.1 -p $P -U postgres -qAt "$@"; }
psql -c "create table readings(id int, kwh numeric)"; psql -c "insert into readings select g, g/10.0 from generate_series(1,1000) g"
echo "base backup"; as $B/pg_basebackup -h 127.0.0.1 -p $P -U postgres -D $D/base -Ft -z -Xs -P 2>&1 | tail -1
psql -c "insert into readings select g, g/10.0 from generate_series(1001,2000) g"
sleep 1; T=$(psql -c "select now()"); echo "target time $T"; sleep 1
psql -c "delete from readings where id > 500"   # the mistake
psql -c "select pg_switch_wal()" >/dev/null; sleep 2
echo "rows after the mistake: $(psql -c 'select count(*) from readings')"
as $B/pg_ctl -D $D/data -m fast -w stop >/dev/null
# restore: base backup + WAL up to T
mkdir $D/restore; chown postgres $D/restore; chmod 700 $D/restore
as tar -xzf $D/base/base.tar.gz -C $D/restore
as tar -xzf $D/base/pg_wal.tar.gz -C $D/restore/pg_wal
cat >> $D/restore/postgresql.conf <<CONF
restore_command = 'cp $D/wal/%f %p'
recovery_target_time = '$T'
recovery_target_action = 'promote'
archive_mode = off
CONF
as touch $D/restore/recovery.signal
as $B/pg_ctl -D $D/restore -l $D/restore.log -w start >/dev/null
sleep 2
echo "rows after point-in-time recovery: $(psql -c 'select count(*) from readings')"
grep -E "recovery stopping|archive recovery complete|consistent recovery" $D/restore.log | head -3
as $B/pg_ctl -D $D/restore -m fast -w stop >/dev/null
rm -rf $D
