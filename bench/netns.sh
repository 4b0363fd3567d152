#!/usr/bin/env bash
# Every-namespace benchmark (issue #12 item 5), as root:
#   portolan ls --netns all   vs   a loop of `nsenter --net=/run/netns/X ss -tlnp`
# over NS namespaces (ip netns add) with LISTEN listening TCP sockets each,
# held by one process per namespace; goal: portolan <= 0.5x the loop.
# portolan also reads this host's own namespace and any other namespace on
# the machine, so the comparison is conservative.
# Usage: bench/netns.sh [PORTOLAN_BINARY]   (default bin/portolan; make build)
# Env: NS (default 50), LISTEN (100), RUNS (20).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine ss:iproute2 nsenter:util-linux python3
bin=$(realpath "${1:-bin/portolan}")
NS=${NS:-50}
LISTEN=${LISTEN:-100}
RUNS=${RUNS:-20}
prefix=ptlbench$$-
ready=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for i in $(seq 1 "$NS"); do ip netns del "$prefix$i" 2>/dev/null || true; done
	rm -rf "$ready" /tmp/netns-bench.json
}
trap cleanup EXIT
for i in $(seq 1 "$NS"); do
	ip netns add "$prefix$i"
	ip -n "$prefix$i" link set lo up
	ip netns exec "$prefix$i" python3 - "$LISTEN" "$ready/$i" <<'PY' &
import socket, sys, time
socks = []
for i in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 20000 + i)); s.listen(); socks.append(s)
open(sys.argv[2], "w").close()
time.sleep(900)
PY
	pids+=($!)
done
while [ "$(ls "$ready" | wc -l)" -lt "$NS" ]; do sleep 0.1; done
echo "namespaces: $NS x $LISTEN listeners; portolan lists $("$bin" ls --netns all | wc -l) sockets in $("$bin" ls --netns all --json | python3 -c 'import json,sys; print(len({s["netns"]["inode"] for s in json.load(sys.stdin)}))') namespaces"
loop="for n in /run/netns/$prefix*; do nsenter --net=\$n ss -tlnp; done"
hyperfine -N --warmup 3 --runs "$RUNS" \
	"$bin ls --netns all" \
	"bash -c '$loop'" \
	--export-json /tmp/netns-bench.json
python3 - <<'PY'
import json
res = json.load(open("/tmp/netns-bench.json"))["results"]
p, s = res[0], res[1]
print(f"portolan ls --netns all: mean {p['mean']*1000:.1f} ms, median {p['median']*1000:.1f} ms")
print(f"nsenter + ss -tlnp loop: mean {s['mean']*1000:.1f} ms, median {s['median']*1000:.1f} ms")
print(f"ratio {p['mean']/s['mean']:.2f} by mean, {p['median']/s['median']:.2f} by median (goal <= 0.5)")
PY
