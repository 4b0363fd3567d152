#!/usr/bin/env bash
# One port's owner among ~50,000 sockets (issue 10: goal 0.1x ss), in a
# fresh network namespace (root, `unshare -n`): HOLDERS processes each hold
# LISTEN loopback listeners and CONNS connections (both ends), started one
# after the other, so with the defaults 3 x 16,600 = 49,800 sockets (three
# holders because this VM's hard RLIMIT_NOFILE is 20,000 per process). The
# port asked for is a listener of the OLDEST holder, the last one a
# newest-first scan reaches: the worst case for portolan, where every other
# large descriptor table lies before the owner's. hyperfine -N times
#   portolan ls --port P, portolan P   vs   ss -tlnp 'sport = :P'
# in one run and prints the ratios by median.
# Usage: bench/owner.sh [PORTOLAN_BINARY...]   (default bin/portolan; make build)
# Env: RUNS (30), HOLDERS (3), LISTEN (3300), CONNS (6650), WHICH (1: the oldest).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
if [ -z "${OWNER_BENCH_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/owner.sh: needs root for unshare -n" >&2; exit 2; }
	need hyperfine ss:iproute2
	[ $# -gt 0 ] || { make -s build; set -- bin/portolan; }
	bins=()
	for b in "$@"; do bins+=("$(realpath "$b")"); done
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	go build -o "$tmp/holdsockets" ./bench/cmd/holdsockets
	OWNER_BENCH_INNER=1 OWNER_TMP=$tmp unshare --net -- bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "${bins[@]}"
	exit
fi

tmp=$OWNER_TMP
pids=()
trap 'kill ${pids[@]+"${pids[@]}"} 2>/dev/null; wait 2>/dev/null' EXIT # the outer run removes $tmp
LISTEN=${LISTEN:-3300} CONNS=${CONNS:-6650}
for i in $(seq "${HOLDERS:-3}"); do hold_sockets "$i"; done
ports=$tmp/ports${WHICH:-1}
P=$(sed -n "$(($(wc -l <"$ports") / 2))p" "$ports")
echo "$(ss -Htan | wc -l) TCP sockets in ${HOLDERS:-3} holders; port $P, held by holder ${WHICH:-1} (pid ${pids[$((${WHICH:-1} - 1))]})"
cmds=()
for b in "$@"; do
	echo "$b ls --port $P: $("$b" ls --port "$P" | tail -1)"
	cmds+=("$b ls --port $P" "$b $P")
done
hyperfine -N --warmup 3 --runs "${RUNS:-30}" "${cmds[@]}" "ss -tlnp 'sport = :$P'" --export-json "$tmp/r.json" >&2
python3 - "$tmp/r.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
ss = res[-1]["median"]
for x in res:
    print(f"{x['command']:60s} median {x['median']*1e3:8.2f} ms  x ss {x['median']/ss:5.3f}")
print("goal: one port's owner <= 0.1x ss")
PY
