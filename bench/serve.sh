#!/usr/bin/env bash
# bench/serve.sh: drives `portolan serve`'s HTTP API on loopback.
#   0. The floor: GET /v1/ports/443 from portolan serve and the same bytes
#      from a bare net/http server (bench/floor), side by side at 16, 64 and
#      256 connections (wrk -t1, FLOOR_DUR seconds each, alternating, REPS
#      rounds), with each server's CPU per request; goal: portolan >= 0.8x
#      the floor's rate at each.
#   1. GET /v1/ports/443 with wrk (32 connections, 1 thread) and with the Go
#      load generator, next to GET /healthz (the cheapest answer the same
#      server gives) for the ratio, then 20,000 req/s paced; goal >= 20,000
#      req/s, p99 < 5 ms.
#   2. Assignment writes (POST /v1/assignments) on SQLite and on PostgreSQL
#      (a private server with default durability: fsync and synchronous_commit on).
#   3. Lease grant+release pairs over HTTP.
# Installs wrk with apt-get when missing and root. Prints one line per figure.
# FLOOR_ONLY=1 stops after step 0.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10}
. bench/lib.sh
need wrk
mkdir -p bin
make -s build # the released form: static, -s -w
go build -o bin/serveload ./bench/serveload
go build -o bin/floor ./bench/floor
scratch
cleanup_more() {
  if [ -n "${PGBIN:-}" ] && [ -d "$tmp/pg" ]; then runpg "$PGBIN/pg_ctl" -D "$tmp/pg/data" -m immediate stop >/dev/null 2>&1 || true; fi
}
export XDG_STATE_HOME=$tmp/state

wrk_line() { # wrk_line NAME PATH [CONNECTIONS]
  local out rps p99 c=32
  [[ $1 == *"16 connections"* ]] && c=16
  out=$(wrk -t1 -c$c -d"${DUR}s" --latency "$URL$2")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '%-34s %10s req/s  p99 %s\n' "$1" "$rps" "$p99" >&2
  echo "$rps"
}

echo "== HTTP reads (wrk -t1 -c32 -d${DUR}s unless noted, loopback, SQLite store) $(date -u +%F), load average $(cut -d" " -f1-3 /proc/loadavg)"
start_serve "sqlite:$tmp/bench.db" --portserver ""
curl -fsS "$URL/v1/ports/443" >"$tmp/443.json"

# The floor, side by side: the same answer's bytes from a bare net/http
# server, each connection count measured on both servers in turn, so a
# ratio compares figures of the same moment on this shared machine.
bin/floor -body "$tmp/443.json" >"$tmp/floor.url" &
pids+=($!)
FLOOR_PID=$!
for _ in $(seq 50); do [ -s "$tmp/floor.url" ] && break; sleep 0.1; done
FLOOR=$(cat "$tmp/floor.url")
# load PID CONNECTIONS URL: prints "REQ/S CPU-µs-PER-REQUEST"; the CPU is the
# server process's user+system time over the run (/proc/PID/stat), the
# steadier figure on a shared machine.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() {
  local t0 t1 r
  t0=$(ticks "$1")
  r=$(wrk -t1 -c"$2" -d"${FLOOR_DUR:-5}s" "$3" | awk '/^Requests\/sec/ {print $2}')
  t1=$(ticks "$1")
  awk -v r="$r" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v d="${FLOOR_DUR:-5}" 'BEGIN { printf "%s %.1f\n", r, t / hz * 1e6 / (r * d) }'
}
echo "GET /v1/ports/443: portolan serve vs a bare net/http server with the same $(wc -c <"$tmp/443.json") bytes (wrk -t1 -d${FLOOR_DUR:-5}s, ${REPS:-3} rounds)"
for c in 16 64 256; do
  ratios=()
  for _ in $(seq "${REPS:-3}"); do
    read -r f fcpu < <(load "$FLOOR_PID" "$c" "$FLOOR/v1/ports/443")
    read -r p pcpu < <(load "$SERVE_PID" "$c" "$URL/v1/ports/443")
    ratios+=("$(awk -v p="$p" -v f="$f" 'BEGIN { printf "%.2f", p / f }')")
    printf '  %3d connections: floor %9s req/s %5s µs CPU/req  portolan %9s req/s %5s µs CPU/req  ratio %s\n' "$c" "$f" "$fcpu" "$p" "$pcpu" "${ratios[-1]}"
  done
  printf '  %3d connections: median ratio %s (goal >= 0.8)\n' "$c" "$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done
if [ -n "${FLOOR_ONLY:-}" ]; then exit 0; fi
r443=$(wrk_line "GET /v1/ports/443 (portolan)" /v1/ports/443)
awk -v a="$r443" 'BEGIN { printf "ratio to the goal of 20,000 req/s = %.2f\n", a / 20000 }'
wrk_line "GET /v1/ports/443 (16 connections)" /v1/ports/443 >/dev/null
wrk_line "GET /healthz (pings the store)" /healthz >/dev/null
bin/serveload -url "$URL" -mode get -path /v1/ports/443 -c 32 -d "${DUR}s"
# The goal's own load: 20,000 req/s paced over 32 clients, latency counted
# from each request's due time, from a hand-written keep-alive client (-raw;
# net/http's client tops out near 25,000 req/s here). The saturating runs
# above put wrk's thread and the server's two on two cores, so their p99 is
# mostly the CPU scheduler's.
printf 'at 20,000 req/s: '; bin/serveload -url "$URL" -mode get -raw -path /v1/ports/443 -c 32 -rate 20000 -d "${DUR}s"

echo "== writes"
# Leases first (each granted, then released, so the pool never runs dry): the
# assignment run fills most of the lease pool with assigned ports.
printf 'SQLite     '; bin/serveload -url "$URL" -token "$TOKEN" -mode lease-release -c 32 -d "${DUR}s"
printf 'SQLite     '; bin/serveload -url "$URL" -token "$TOKEN" -mode assign -c 8 -d "${DUR}s"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$PGBIN" ]; then echo "PostgreSQL: no server binaries; skipped"; exit 0; fi
runpg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$tmp/pg"; [ "$(id -u)" -eq 0 ] && chown postgres "$tmp/pg" && chmod 755 "$tmp"
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
runpg "$PGBIN/initdb" -D "$tmp/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
runpg "$PGBIN/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w -o "-c listen_addresses=127.0.0.1 -p $pgport -k $tmp/pg" start >/dev/null
start_serve "postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable" --portserver ""
printf 'PostgreSQL '; bin/serveload -url "$URL" -token "$TOKEN" -mode lease-release -c 32 -d "${DUR}s"
printf 'PostgreSQL '; bin/serveload -url "$URL" -token "$TOKEN" -mode assign -c 8 -d "${DUR}s"
