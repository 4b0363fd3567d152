#!/usr/bin/env bash
# why and exposure benchmark, in a fresh network namespace (unshare -n, as
# root) so only the helper's sockets and rules are seen:
#   portolan why PORT (free, and held by a listener)      goal < 30 ms
#   portolan ls --exposure vs portolan ls, 1,000 wildcard listeners
#     and an nft ruleset of a few rules, in the same run   goal <= 1.2x
# Usage: bench/why.sh [PORTOLAN_BINARY]   (default bin/portolan; make build)
# Env: RUNS (default 50), LISTEN (1000), ROUNDS (10) and ROUND_RUNS (20): the
# ls / ls --exposure pair again in alternating rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-bin/portolan}")
if [ -z "${WHY_BENCH_INNER:-}" ]; then
	exec env WHY_BENCH_INNER=1 unshare --net -- bash -c 'ip link set lo up && ip link add d0 type veth peer name d1 && ip addr add 10.251.0.1/24 dev d0 && ip link set d0 up && exec "$0" "$1"' "$0" "$bin"
fi
# The firewall cache of this throwaway namespace lives and dies with the run.
export XDG_CACHE_HOME=$(mktemp -d)
RUNS=${RUNS:-50}
LISTEN=${LISTEN:-1000}
nft -f - <<'NFT'
table inet filter {
 chain input {
  type filter hook input priority 0; policy accept;
  ct state established,related accept
  iifname "lo" accept
  tcp dport { 22, 80, 443 } accept
  tcp dport 5432 drop
 }
}
table ip nat {
 chain PREROUTING { type nat hook prerouting priority -100; fib daddr type local jump DOCKER; }
 chain DOCKER { iifname != "docker0" tcp dport 8080 dnat to 172.17.0.2:80; }
}
NFT
python3 - "$LISTEN" <<'PY' &
import socket, sys, time
socks = []
for i in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("0.0.0.0", 20000 + i)); s.listen(); socks.append(s)
open("/tmp/why-bench-ready", "w").close()
time.sleep(600)
PY
holder=$!
trap 'kill $holder; rm -rf /tmp/why-bench-ready "$XDG_CACHE_HOME"' EXIT
while [ ! -e /tmp/why-bench-ready ]; do sleep 0.1; done
echo "listeners: $("$bin" ls | wc -l)"
hyperfine -N --warmup 5 --runs "$RUNS" -i \
	"$bin why 47122" \
	"$bin why 20001/tcp" \
	"$bin ls" \
	"$bin ls --exposure" \
	--export-json /tmp/why-bench.json
python3 - <<'PY'
import json
res = json.load(open("/tmp/why-bench.json"))["results"]
mean = {x["command"].split(" ", 1)[1]: x["mean"] * 1000 for x in res}
med = {x["command"].split(" ", 1)[1]: x["median"] * 1000 for x in res}
for k in mean:
    print(f"{k:20s} mean {mean[k]:7.2f} ms  median {med[k]:7.2f} ms")
print(f"ls --exposure / ls = {mean['ls --exposure'] / mean['ls']:.2f} by mean, {med['ls --exposure'] / med['ls']:.2f} by median (goal <= 1.2)")
# hyperfine times the two in separate blocks, so the machine's load between
# them moves the wall ratio; the CPU each spent (user + system) moves less.
cpu = {x["command"].split(" ", 1)[1]: (x["user"] + x["system"]) * 1000 for x in res}
print(f"CPU per run: ls {cpu['ls']:.2f} ms, ls --exposure {cpu['ls --exposure']:.2f} ms: {cpu['ls --exposure'] / cpu['ls']:.2f}")
PY
# The same pair again in ROUNDS short rounds, alternating which goes first:
# the median of the rounds' ratios is what the machine's drifting load moves
# least (ROUNDS=0 skips it).
rounds=${ROUNDS:-10}
for r in $(seq "$rounds"); do
	pair=("$bin ls" "$bin ls --exposure")
	[ $((r % 2)) = 0 ] && pair=("$bin ls --exposure" "$bin ls")
	hyperfine -N --warmup 3 --runs "${ROUND_RUNS:-20}" "${pair[@]}" --export-json "/tmp/why-bench-$r.json" >/dev/null 2>&1
done
[ "$rounds" -gt 0 ] && python3 - "$rounds" <<'PY'
import json, statistics, sys
ratios = []
for r in range(1, int(sys.argv[1]) + 1):
    med = {x["command"].split(" ", 1)[1]: x["median"] for x in json.load(open(f"/tmp/why-bench-{r}.json"))["results"]}
    ratios.append(med["ls --exposure"] / med["ls"])
print(f"ls --exposure / ls in {len(ratios)} alternating rounds: median {statistics.median(ratios):.2f} "
      f"(rounds {', '.join(f'{x:.2f}' for x in ratios)}; goal <= 1.2)")
PY
rm -f /tmp/why-bench-*.json
