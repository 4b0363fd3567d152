#!/usr/bin/env bash
# See-local benchmark: a helper holds 10,000 loopback TCP sockets (2,000
# listening, 8,000 established), then one hyperfine run per comparison times
# portolan against the tools people use instead, and the script prints the
# ratios against the issue's goals:
#   portolan ls            vs ss -tlnp                         goal <= 0.3
#   portolan ls -a         vs ss -tanp                         goal <= 0.5
#   portolan ls --port P   vs ss -tlnp 'sport = :P'            goal <= 0.1
#                          vs lsof -nP -iTCP:P -sTCP:LISTEN    goal <= 0.05
#   peak RSS of portolan ls -a (GNU time)                      goal <= 40 MB
# It also checks that portolan's listening TCP ports equal ss's in the run.
#
# As root it runs twice: in a fresh network namespace (only the helper's
# sockets; `unshare -n`), then in the host's, where the sockets of whatever
# else runs there are listed too. A listener that no visible process holds
# (one in another PID namespace, say) makes both tools read every /proc/PID/fd,
# since only a full scan proves nobody holds it.
# Usage: bench/see-local.sh   (from anywhere; builds bin/portolan with make build)
# Env: RUNS (default 30), LISTEN (2000), CONNS (4000 connections = 8000 sockets),
#      SEE_LOCAL_NETNS=host|fresh to run one of the two only.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SEE_LOCAL_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	echo "=== in a fresh network namespace ($(date -u +%F))"
	SEE_LOCAL_NETNS=fresh unshare --net -- bash -c 'ip link set lo up && exec "$0"' "$0"
	echo
	echo "=== in the host network namespace ($(date -u +%F))"
	SEE_LOCAL_NETNS=host "$0"
	exit
fi

. bench/lib.sh
need hyperfine lsof ss:iproute2 /usr/bin/time:time

scratch

make -s build # the released form: static, -s -w
bin=$PWD/bin/portolan

hold_sockets
P=$(sed -n "$(( $(wc -l <"$tmp/ports") / 2 ))p" "$tmp/ports")
echo "holding: $(cat "$tmp/ready"); one port: $P; $(ss -Htan | wc -l) TCP sockets on this host" >&2

# The listening TCP ports must be the same set as ss's, in this run. Other
# processes on a shared machine open and close listeners, so a mismatch is
# retried a few times before it counts.
same=no
for _ in 1 2 3; do
	ss -Htln | awk '{n=split($4,a,":"); print a[n]}' | sort -n >"$tmp/ss.ports"
	"$bin" ls --tcp | cut -f3 | sort -n >"$tmp/portolan.ports"
	if cmp -s "$tmp/ss.ports" "$tmp/portolan.ports"; then same=yes; break; fi
done
echo "listening TCP ports: ss $(wc -l <"$tmp/ss.ports"), portolan $(wc -l <"$tmp/portolan.ports"); same set: $same" >&2
[ "$same" = yes ] || diff "$tmp/ss.ports" "$tmp/portolan.ports" | head >&2 || true

runs=${RUNS:-30}
hf() { hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/$1.json" "${@:2}" >&2; }
hf ls "$bin ls" "ss -tlnp"
hf all "$bin ls -a" "ss -tanp"
hf one "$bin ls --port $P" "$bin $P" "ss -tlnp 'sport = :$P'" "lsof -nP -iTCP:$P -sTCP:LISTEN" "$bin --version"

rss_kb=$( { /usr/bin/time -v "$bin" ls -a >/dev/null; } 2>&1 | awk -F': ' '/Maximum resident set size/ {print $2}')

python3 - "$tmp" "$bin" "$P" "$rss_kb" "$same" <<'PY'
import json, sys, os
tmp, binp, port, rss_kb, same = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def load(n):
    return {x["command"].replace(binp, "portolan"): x for x in json.load(open(os.path.join(tmp, n + ".json")))["results"]}
r = {}
for n in ("ls", "all", "one"):
    r.update(load(n))
# portolan --version is the process start alone (runtime and package init),
# for reading the one-port figures
for c, x in r.items():
    print(f"{c:45s} mean {x['mean']*1e3:8.2f} ms   median {x['median']*1e3:8.2f} ms")
print()
rows = [
    ("portolan ls", "ss -tlnp", 0.3),
    ("portolan ls -a", "ss -tanp", 0.5),
    (f"portolan ls --port {port}", f"ss -tlnp 'sport = :{port}'", 0.1),
    (f"portolan ls --port {port}", f"lsof -nP -iTCP:{port} -sTCP:LISTEN", 0.05),
    (f"portolan {port}", f"ss -tlnp 'sport = :{port}'", 0.1),
    (f"portolan {port}", f"lsof -nP -iTCP:{port} -sTCP:LISTEN", 0.05),
]
for a, b, goal in rows:
    m = r[a]["mean"] / r[b]["mean"]
    md = r[a]["median"] / r[b]["median"]
    ok = "meets" if m <= goal else "MISSES"
    print(f"{a:28s} / {b:38s} mean ratio {m:5.3f}  median ratio {md:5.3f}  goal <= {goal}: {ok}")
mb = rss_kb / 1024
print(f"peak RSS of portolan ls -a: {mb:.1f} MB  goal <= 40 MB: {'meets' if mb <= 40 else 'MISSES'}")
print(f"listening TCP ports equal ss's: {same}")
print(f"load average after the run: {open('/proc/loadavg').read().split()[0]}")
PY
