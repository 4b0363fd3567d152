#!/usr/bin/env bash
# See (remote): portolan scan/wait against nmap and wait-for-it, side by side
# in one run, printing ratios (goals from issue 4):
#   1. 127.0.0.1 ports 1-65535 with 6 listeners:
#      portolan scan vs nmap -sT -p- -n -Pn --min-rate 10000   (goal <= 0.5, same open set)
#   2. a namespace host behind a 20 ms each-way delay (internal/testnet relay),
#      ports 1-10000, 100 DROP-filtered, 10 open:
#      portolan scan vs nmap -sT -T4 -n -Pn -p1-10000          (goal <= 0.7, same states)
#   3. wait latency from bind() on loopback to the waiter's exit:
#      portolan wait vs wait-for-it                             (goal <= 20 ms)
#   and checks portolan's --xml against nmap's DTD with xmllint.
# Usage: sudo bench/see-remote.sh   (root: namespaces; RUNS=N for hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/see-remote.sh: needs root (network namespaces)" >&2; exit 2; }

. bench/lib.sh
need nmap hyperfine wait-for-it xmllint:libxml2-utils python3

scratch
make -s build # the released form: static, -s -w
go build -o "$tmp/slowhost" ./internal/testnet/cmd/slowhost
P=bin/portolan
RUNS=${RUNS:-10}

ratio() { python3 - "$1" "$2" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
p, n = r[0], r[1]
print(f"  portolan mean {p['mean']*1e3:8.1f} ms  median {p['median']*1e3:8.1f} ms")
print(f"  {sys.argv[2]:8} mean {n['mean']*1e3:8.1f} ms  median {n['median']*1e3:8.1f} ms")
print(f"  ratio (mean) {p['mean']/n['mean']:.2f}   (median) {p['median']/n['median']:.2f}   goal <= {sys.argv[3]}")
PY
}

# nmap -oG "Ports:" field -> "port state" lines
nmap_states() { sed -n 's/.*Ports: \([^\t]*\).*/\1/p' | tr ',' '\n' | sed -E 's#^ *([0-9]+)/([a-z|]+)/.*#\1 \2#' | grep -v " closed$" | sort -n || true; }
# portolan --json --all -> "port state" lines (closed omitted, as nmap omits them)
portolan_states() { python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["state"] != "closed": print(r["port"], r["state"])' | sort -n; }

echo "== 1. 127.0.0.1 ports 1-65535, 6 listeners"
python3 - "$tmp/ports" <<'PY' &
import socket, sys, time
socks = []
for _ in range(6):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(128); socks.append(s)
open(sys.argv[1], "w").write(" ".join(str(s.getsockname()[1]) for s in socks))
time.sleep(3600)
PY
pids+=($!)
while [ ! -s "$tmp/ports" ]; do sleep 0.05; done
echo "  listeners: $(cat "$tmp/ports")"
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$tmp/lo.json" \
	"$P scan 127.0.0.1 -p - --open" \
	"nmap -sT -p- -n -Pn --min-rate 10000 127.0.0.1" >/dev/null
ratio "$tmp/lo.json" nmap 0.5
$P scan 127.0.0.1 -p - --json | portolan_states >"$tmp/lo.portolan"
nmap -sT -p- -n -Pn --min-rate 10000 127.0.0.1 -oG - | nmap_states >"$tmp/lo.nmap"
for p in $(cat "$tmp/ports"); do grep -q "^$p open$" "$tmp/lo.portolan" || echo "  MISSING listener $p in portolan's scan"; done
if diff -q "$tmp/lo.portolan" "$tmp/lo.nmap" >/dev/null; then
	echo "  same open set: yes ($(wc -l <"$tmp/lo.portolan") open ports, other processes' listeners included)"
else
	echo "  same open set: NO (loopback listeners of other processes may come and go between the two scans)"
	{ diff "$tmp/lo.portolan" "$tmp/lo.nmap" || true; } | sed "s/^/    /" | head -20 || true
fi

echo "== 2. namespace host behind 20 ms each way: ports 1-10000, 100 DROP, 10 open"
"$tmp/slowhost" -delay 20ms -ports 10000 -open 10 -drop 100 -info "$tmp/slow.info" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/slow.info" ] && break; sleep 0.1; done
# shellcheck disable=SC1091
. "$tmp/slow.info"
echo "  host $ADDR (namespace $NS); open $OPEN"
hyperfine -N --warmup 1 --runs "$(( RUNS < 5 ? RUNS : 5 ))" --export-json "$tmp/ns.json" \
	"$P scan $ADDR -p 1-10000" \
	"nmap -sT -T4 -n -Pn -p1-10000 $ADDR" >/dev/null
ratio "$tmp/ns.json" nmap 0.7
{ for p in ${OPEN//,/ }; do echo "$p open"; done; for p in ${DROP//,/ }; do echo "$p filtered"; done; } | sort -n >"$tmp/ns.truth"
$P scan "$ADDR" -p 1-10000 --json --all | portolan_states >"$tmp/ns.portolan"
nmap -sT -T4 -n -Pn -p1-10000 "$ADDR" -d3 -oG "$tmp/ns.gnmap" >/dev/null   # -d3: list every port, not only the ones nmap does not collapse
nmap_states <"$tmp/ns.gnmap" >"$tmp/ns.nmap"
for who in portolan nmap; do
	if diff -q "$tmp/ns.truth" "$tmp/ns.$who" >/dev/null; then echo "  $who states equal ground truth: yes"
	else echo "  $who states equal ground truth: NO"; { diff "$tmp/ns.truth" "$tmp/ns.$who" || true; } | sed "s/^/    /" | head -10 || true; fi
done

echo "== 3. wait: latency from bind() on 127.0.0.1 to the waiter's exit (20 runs each)"
python3 - "$P" <<'PY'
import socket, statistics, subprocess, sys, time
def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def lat(cmd):
    out = []
    for _ in range(20):
        p = free()
        proc = subprocess.Popen([a.replace("PORT", str(p)) for a in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", p)); s.listen(16); t0 = time.monotonic()
        proc.wait(); out.append((time.monotonic() - t0) * 1e3); s.close()
    return out
for name, cmd in [("portolan wait", [sys.argv[1], "wait", "127.0.0.1:PORT", "--timeout", "10s"]),
                  ("portolan wait --connect", [sys.argv[1], "wait", "127.0.0.1:PORT", "--timeout", "10s", "--connect"]),
                  ("wait-for-it", ["wait-for-it", "-q", "-h", "127.0.0.1", "-p", "PORT", "-t", "10"])]:
    l = lat(cmd)
    print(f"  {name:24} median {statistics.median(l):7.1f} ms  max {max(l):7.1f} ms")
print("  goal: portolan wait median <= 20 ms")
PY

echo "== 4. --xml against nmap's DTD"
$P scan 127.0.0.1 -p 1-1024,"$(cut -d' ' -f1 "$tmp/ports")" --xml "$tmp/scan.xml" >/dev/null || true
if xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$tmp/scan.xml" 2>"$tmp/xmllint.err"; then
	echo "  valid against /usr/share/nmap/nmap.dtd"
else
	echo "  xmllint reports:"; sed 's/^/    /' "$tmp/xmllint.err" | head -5
fi
