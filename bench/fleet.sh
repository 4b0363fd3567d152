#!/usr/bin/env bash
# bench/fleet.sh: the fleet at scale, and the agent's own cost.
#   1. bench/fleetload: 1,000 hosts x 200 listeners reporting every 10 s
#      against one `portolan serve` on a PostgreSQL it starts (pgtest):
#      latency per report by round (goal p99 < 50 ms, no late reports),
#      then GET /v1/fleet/where/5432 at 200,000 listener rows (goal < 20 ms).
#   2. `portolan agent` at 1,000 local listening sockets and the default
#      10 s interval, for AGENT_SECONDS (default 120) in a fresh network
#      namespace with its own serve: CPU share and peak RSS (goals < 1% of a
#      core, < 20 MB).
# As root (network namespaces; PostgreSQL runs as the postgres user).
# Env: HOSTS, LISTENERS, INTERVAL, ROUNDS, AGENT_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need python3
make -s build
bin=$(realpath bin/portolan)
if [ -z "${FLEET_AGENT_INNER:-}" ]; then
	echo "=== 1. fleet load ($(date -u +%F))"
	go run ./bench/fleetload -portolan "$bin" -hosts "${HOSTS:-1000}" -listeners "${LISTENERS:-200}" \
		-interval "${INTERVAL:-10s}" -rounds "${ROUNDS:-6}"
	echo
	echo "=== 2. the agent at 1,000 listeners"
	exec env FLEET_AGENT_INNER=1 unshare --net -- bash -c 'ip link set lo up && exec "$0"' "$0"
fi
scratch
printf 'admin fleet-bench-admin-0123456789 ops\nagent fleet-bench-agent-0123456789 me\n' >"$tmp/tokens"
echo fleet-bench-agent-0123456789 >"$tmp/agent.token"
echo fleet-bench-host >"$tmp/mid"
chmod 600 "$tmp/tokens" "$tmp/agent.token"
XDG_STATE_HOME=$tmp/state "$bin" serve --listen 127.0.0.1:7780 --portserver= --token-file "$tmp/tokens" 2>"$tmp/serve.log" &
pids+=($!)
python3 - <<'PY' &
import socket, time
socks = []
for i in range(1000):
    s = socket.socket(); s.bind(("127.0.0.1", 20000 + i)); s.listen(); socks.append(s)
time.sleep(3600)
PY
pids+=($!)
sleep 1
PORTOLAN_TOKEN= "$bin" agent --server http://127.0.0.1:7780 --token-file "$tmp/agent.token" --machine-id-file "$tmp/mid" 2>"$tmp/agent.log" &
agent=$!
pids+=($agent)
secs=${AGENT_SECONDS:-120}
sleep 2 # the first full report
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$agent/stat)
sleep "$secs"
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$agent/stat)
tck=$(getconf CLK_TCK)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$agent/status)
rss=$(awk '/VmRSS/ {print $2}' /proc/$agent/status)
n=$(curl -s -H 'Authorization: Bearer fleet-bench-admin-0123456789' http://127.0.0.1:7780/v1/hosts | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["listeners"])')
python3 - "$u0" "$s0" "$u1" "$s1" "$tck" "$secs" "$hwm" "$rss" "$n" <<'PY'
import sys
u0, s0, u1, s1, tck, secs, hwm, rss, n = map(int, sys.argv[1:])
cpu = (u1 + s1 - u0 - s0) / tck
print(f"agent over {secs} s at the default 10 s interval, {n} listeners reported: CPU {cpu:.2f} s = {100*cpu/secs:.3f}% of a core; RSS {rss/1024:.1f} MB, peak {hwm/1024:.1f} MB")
PY
