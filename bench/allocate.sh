#!/usr/bin/env bash
# bench/allocate.sh: the lease daemon and `portolan free`.
#   1. Grants over the portserver Unix socket: 32 concurrent clients, one
#      connection per grant (as portpicker does), each grant committed to
#      SQLite (WAL, synchronous=FULL, group commit) before it is answered.
#      Against `portolan serve` as shipped, and against a daemon composed
#      from the library alone (bench/allocload -daemon). Goal: >= 5,000
#      grants/s, p99 < 10 ms.
#   2. The same grants over HTTP (POST /v1/leases) on `portolan serve`.
#   3. `portolan free` (no daemon: lock file + SQLite lease) against a
#      get-port-style bind(0)-close, and python3 doing the same, with hyperfine.
# Installs hyperfine with apt-get when missing and root. Env: N (grants per
# run, default 20000, below the ~26,000 free user ports), RUNS (hyperfine runs).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
RUNS=${RUNS:-200}
. bench/lib.sh
need hyperfine
mkdir -p bin
make -s build # the released form: static, -s -w
go build -o bin/allocload ./bench/allocload
go build -o bin/serveload ./bench/serveload
go build -o bin/bindclose ./bench/bindclose
scratch
export XDG_STATE_HOME=$tmp/state
unset PORTOLAN_ADDR PORTSERVER_ADDRESS PORTOLAN_STORE

goal() { # goal "allocload line"
  awk '{ for (i = 1; i <= NF; i++) { if ($(i+1) == "grants/s,") r = $i; if ($i == "p99") p = $(i+1) } }
       END { printf "   ratio to the 5,000 grants/s goal = %.2f; p99 %s ms (goal < 10 ms)\n", r / 5000, p }' <<<"$1"
}

echo "== $(date -u +%F), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "== grants over the portserver Unix socket: 32 clients, $N grants"
ps=@portolan-bench-$$
start_serve "sqlite:$tmp/serve.db" --portserver "$ps"
line=$(bin/allocload -addr "$ps" -c 32 -n "$N")
echo "portolan serve:     $line"; goal "$line"

lib=@portolan-bench-lib-$$
bin/allocload -daemon -addr "$lib" -db "$tmp/lib.db" >"$tmp/lib.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$tmp/lib.log" && break; sleep 0.1; done
line=$(bin/allocload -addr "$lib" -c 32 -n "$N")
echo "library daemon:     $line"; goal "$line"

echo "== grants over HTTP (POST /v1/leases, one port each, keep-alive), 32 clients, same server"
printf 'portolan serve:     '; bin/serveload -url "$URL" -token "$TOKEN" -mode lease -c 32 -n "$N" -d 60s

echo "== portolan free (no daemon) vs bind(0)-close, hyperfine -N, $RUNS runs"
py='import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1]); s.close()'
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$tmp/free.json" \
  -n 'portolan free' 'bin/portolan free' \
  -n 'bind(0)-close (Go)' 'bin/bindclose' \
  -n 'bind(0)-close (python3)' "python3 -c '$py'" >/dev/null
python3 - "$tmp/free.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
pf = r["portolan free"]["mean"]
for name, x in r.items():
    print(f"{name:26s} mean {x['mean']*1e3:7.2f} ms  sd {x['stddev']*1e3:5.2f} ms  ratio to portolan free {x['mean']/pf:5.2f}")
PY
