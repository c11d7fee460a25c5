#!/usr/bin/env bash
# A local fleet to try cluster mode (README.md "Running a fleet"): etcd and PostgreSQL from the
# Debian packages scripts/setup.sh installed, three atoll nodes (two workers each, KV on
# PostgreSQL) and two `atoll control` processes, all on 127.0.0.1, in a temporary folder.
# It prints where everything listens, then waits; Ctrl-C (or SIGTERM) stops every process it
# started, by pid, and removes the folder.
#
#   bash scripts/fleet.sh              # after `make build`
#
# Env: ATOLL (build/atoll)  FLEET_ETCD_PORT (2379)  FLEET_PG_PORT (5433)
#      FLEET_HTTP_PORT (8081: nodes on 8081-8083)  FLEET_ADMIN_PORT (9901: 9901-9903)
#      ATOLL_ADMIN_TOKEN (fleet-token)  FLEET_READY_FILE (written once the fleet is ready)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
atoll="${ATOLL:-$root/build/atoll}"
etcd_port="${FLEET_ETCD_PORT:-2379}"
pg_port="${FLEET_PG_PORT:-5433}"
http_port="${FLEET_HTTP_PORT:-8081}"
admin_port="${FLEET_ADMIN_PORT:-9901}"
export ATOLL_ADMIN_TOKEN="${ATOLL_ADMIN_TOKEN:-fleet-token}"
pg_bin=/usr/lib/postgresql/15/bin

[[ -x "$atoll" ]] || { echo "fleet: $atoll not found: run make build" >&2; exit 1; }
command -v etcd >/dev/null || { echo "fleet: etcd not found: run scripts/setup.sh" >&2; exit 1; }
[[ -x "$pg_bin/postgres" ]] || { echo "fleet: PostgreSQL 15 not found: run scripts/setup.sh" >&2; exit 1; }

dir="$(mktemp -d "${TMPDIR:-/tmp}/atoll-fleet.XXXXXX")"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$dir"
  echo "fleet: stopped" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() {  # wait_for WHAT LOG COMMAND...: up to 30 s, else the end of LOG and exit
  local what="$1" log="$2"; shift 2
  for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "fleet: $what did not come up; the end of $log:" >&2
  tail -n 20 "$dir/$log" >&2 || true
  exit 1
}

# etcd: one member, its data in the folder.
etcd --name fleet --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  --initial-cluster "fleet=http://127.0.0.1:$((etcd_port + 1))" \
  --auto-compaction-retention 1h >"$dir/etcd.log" 2>&1 &
pids+=($!)
wait_for etcd etcd.log curl -sf "http://127.0.0.1:$etcd_port/health"

# PostgreSQL (as the postgres user when run as root: PostgreSQL refuses root).
mkdir -p "$dir/pg"
as_pg=()
if [[ $(id -u) == 0 ]]; then chmod 711 "$dir"; chown postgres "$dir/pg"; as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups); fi
(cd "$dir/pg" && "${as_pg[@]}" "$pg_bin/initdb" -D "$dir/pg/data" -U atoll --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1)
(cd "$dir/pg" && exec "${as_pg[@]}" "$pg_bin/postgres" -D "$dir/pg/data" -p "$pg_port" -k "$dir/pg" \
  -c listen_addresses=127.0.0.1 >"$dir/postgres.log" 2>&1) &
pids+=($!)
wait_for PostgreSQL postgres.log "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"

# Three nodes.
for i in 1 2 3; do
  mkdir -p "$dir/n$i"
  cat >"$dir/n$i/atoll.toml" <<EOF
[server]
listen = ["127.0.0.1:$((http_port + i - 1))"]
admin_listen = "127.0.0.1:$((admin_port + i - 1))"
workers = 2
data_dir = "$dir/n$i/data"

[cluster]
etcd = "http://127.0.0.1:$etcd_port"
node_name = "n$i"
postgres = "host=127.0.0.1 port=$pg_port dbname=postgres user=atoll"
EOF
  "$atoll" serve --config "$dir/n$i/atoll.toml" >"$dir/n$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do wait_for "node n$i" "n$i.log" curl -sf "http://127.0.0.1:$((admin_port + i - 1))/readyz"; done

# Two controllers: one leads, the other takes over within its lease TTL.
for c in 1 2; do
  "$atoll" control --cluster "http://127.0.0.1:$etcd_port" --name "ctl-$c" >"$dir/ctl-$c.log" 2>&1 &
  pids+=($!)
done

cat >&2 <<EOF
fleet: ready (logs in $dir)
  etcd        http://127.0.0.1:$etcd_port
  PostgreSQL  127.0.0.1:$pg_port (user atoll)
  nodes       n1 127.0.0.1:$http_port  n2 127.0.0.1:$((http_port + 1))  n3 127.0.0.1:$((http_port + 2))
  admin API   127.0.0.1:$admin_port-$((admin_port + 2)), token \$ATOLL_ADMIN_TOKEN=$ATOLL_ADMIN_TOKEN
  controllers ctl-1, ctl-2
Try:
  curl -X PUT -H "Authorization: Bearer $ATOLL_ADMIN_TOKEN" 127.0.0.1:$admin_port/tenants/hello \\
       -d '{"script": "export default { fetch() { return new Response(\"hi\") } }", "routes": ["hello.test/*"]}'
  curl -H "Host: hello.test" 127.0.0.1:$((http_port + 2))/
  curl -H "Authorization: Bearer $ATOLL_ADMIN_TOKEN" 127.0.0.1:$((admin_port + 1))/cluster
Ctrl-C stops the fleet.
EOF
# Written whole, then renamed into place: a reader never sees it empty.
[[ -z "${FLEET_READY_FILE:-}" ]] || { echo "$dir" >"$FLEET_READY_FILE.tmp" && mv "$FLEET_READY_FILE.tmp" "$FLEET_READY_FILE"; }
wait
