#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster for the tests, in a temporary directory on a free
# local port, with trust authentication on 127.0.0.1 only.
#   scripts/postgres.sh start DIR   prints the connection URL
#   scripts/postgres.sh stop DIR
#   scripts/postgres.sh database URL NAME   (re)creates database NAME on URL's server; prints its URL
# initdb refuses to run as root, so as root the cluster runs as the `postgres` system user (DIR and its
# parents must then be reachable by that user).
set -euo pipefail
cmd=${1:?start, stop or database}
dir=${2:?a directory for the cluster, or a server URL}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
need() { [ -x "$bin/$1" ] || { echo "PostgreSQL's $1 not found under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }; }

run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
  start)
    need initdb
    mkdir -p "$dir" && chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    run "$bin/initdb" -D "$dir/data" -U flowshare --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://flowshare@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && run "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  database)
    name=${3:?a database name}
    [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "database names here are lower-case letters, digits and _" >&2; exit 2; }
    psql=$(command -v psql || echo "$bin/psql")
    [ -x "$psql" ] || need psql
    PGOPTIONS="--client-min-messages=warning" "$psql" -q "$dir" -v ON_ERROR_STOP=1 \
      -c "DROP DATABASE IF EXISTS \"$name\"" -c "CREATE DATABASE \"$name\"" >/dev/null
    # The same server and options, another database.
    node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$dir" "$name"
    ;;
  *) echo "usage: $0 start|stop DIR, or $0 database URL NAME" >&2; exit 2 ;;
esac
