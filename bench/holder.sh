#!/usr/bin/env bash
# Owner-context benchmark (issue #12): what working out each socket's holder
# (container, unit, supervisor, checkout: `ls --json`'s owner.holder, the
# OWNER column) costs at 10,000 sockets. bench/cmd/holdsockets holds 10,000
# loopback TCP sockets (2,000 listening, 8,000 established) in a fresh
# network namespace (as root; the host's otherwise), then one hyperfine run
# times, side by side:
#   portolan ls --json            this tree (with owner.holder)
#   portolan-noholder ls --json   the same tree with ls's holder pass cut out
#                                 (ls's annotate made a no-op by sed)
#   portolan ls                   this tree, piped (no owner context)
#   ss -tlnp
# and prints: ls --json with / without the holder pass (goal <= 1.10) and
# ls --json / ss -tlnp (goal <= 0.3). `go test -bench . ./holder` measures
# the pass alone beside the scan.
# Usage: bench/holder.sh   Env: ROUNDS (8), RUNS per round (20), LISTEN (2000), CONNS (4000).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${OWNER_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	OWNER_NETNS=fresh exec unshare --net -- bash -c 'ip link set lo up && exec "$0"' "$0"
fi

. bench/lib.sh
need hyperfine ss:iproute2 git

scratch

make -s build
bin=$PWD/bin/portolan
mkdir "$tmp/noholder"
git ls-files -z | xargs -0 tar -c | tar -x -C "$tmp/noholder" # the working tree, as built above
sed -i 's|^func annotate(socks \[\]portolan.Socket) { holder.Annotate(socks, holder.Options{}) }$|func annotate([]portolan.Socket) { _ = holder.Annotate }|' \
	"$tmp/noholder/internal/cli/ls/render.go"
grep -q '_ = holder.Annotate' "$tmp/noholder/internal/cli/ls/render.go" || { echo "could not cut the holder pass out of ls" >&2; exit 1; }
(cd "$tmp/noholder" && CGO_ENABLED=0 go build -ldflags='-s -w' -o "$tmp/portolan-noholder" ./cmd/portolan)

hold_sockets
echo "holding: $(cat "$tmp/ready"); $(ss -Htan | wc -l) TCP sockets in this namespace ($OWNER_NETNS)" >&2
"$bin" ls --json | grep -q '"holder"' || { echo "ls --json carries no owner.holder" >&2; exit 1; }

# Load on a shared machine drifts between hyperfine's blocks, and the block
# that runs first pays for it: ROUNDS short rounds alternate the order, and
# the figure is the median of the rounds' ratios.
runs=${RUNS:-20}
rounds=${ROUNDS:-8}
for r in $(seq "$rounds"); do
	cmds=("$bin ls --json" "$tmp/portolan-noholder ls --json" "$bin ls" "ss -tlnp")
	[ $((r % 2)) = 0 ] && cmds=("$tmp/portolan-noholder ls --json" "$bin ls --json" "ss -tlnp" "$bin ls")
	hyperfine -N --warmup 2 --runs "$runs" --export-json "$tmp/r$r.json" "${cmds[@]}" >/dev/null 2>&1
done

python3 - "$tmp" "$rounds" "$bin" "$tmp/portolan-noholder" <<'PY'
import json, sys, statistics as st
tmp, rounds, binp, nh = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
per = []
for i in range(1, rounds + 1):
    res = json.load(open(f"{tmp}/r{i}.json"))["results"]
    per.append({x["command"].replace(nh, "portolan-noholder").replace(binp, "portolan"): x["median"] for x in res})
for c in per[0]:
    print(f"{c:32s} median of round medians {st.median(p[c] for p in per)*1e3:7.2f} ms")
for a, b, goal in [("portolan ls --json", "portolan-noholder ls --json", 1.10), ("portolan ls --json", "ss -tlnp", 0.3), ("portolan ls", "ss -tlnp", 0.3)]:
    rs = sorted(p[a] / p[b] for p in per)
    m = st.median(rs)
    print(f"{a:20s} / {b:28s} median ratio {m:5.3f} (rounds {rs[0]:.3f}-{rs[-1]:.3f})  goal <= {goal}: {'meets' if m <= goal else 'MISSES'}")
print(f"load average after the run: {open('/proc/loadavg').read().split()[0]}")
PY
