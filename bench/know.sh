#!/usr/bin/env bash
# Times `portolan 443` against `getent services 443` in one hyperfine run and
# prints the ratio (goal: <= 1.0), then the batch: `portolan -` answering
# ports 1-10000 from stdin against `getent services 1 ... 10000` (goal:
# <= 0.2), then the Go benchmarks of the lookups. A hello-world Go binary,
# built the same way, runs in the same hyperfine run: it is the floor Go's
# runtime start-up sets on this machine.
# Usage: bench/know.sh   (from the repository root; builds bin/portolan with
# `make build`)
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/lib.sh
need hyperfine

make -s build
scratch
printf 'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n' >"$tmp/hello.go"
(cd "$tmp" && CGO_ENABLED=0 go build -ldflags='-s -w' -o hello hello.go)
hello="$tmp/hello"

# Two users: a fresh one (no state database: the lookup reads the registry,
# this host's ranges and its socket table) and one with an assignment and a
# lease (the lookup also reads the state database, read-only).
mkdir -p "$tmp/fresh" "$tmp/used"
XDG_STATE_HOME="$tmp/used" bin/portolan assign 443/tcp web --force >/dev/null 2>&1
XDG_STATE_HOME="$tmp/used" bin/portolan lease --pid 0 --ttl 1h >/dev/null
XDG_DATA_HOME="$tmp/fresh" XDG_STATE_HOME="$tmp/fresh" hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-json "$tmp/fresh.json" \
	'bin/portolan 443' 'getent services 443' "$hello" >&2
XDG_DATA_HOME="$tmp/used" XDG_STATE_HOME="$tmp/used" hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-json "$tmp/used.json" \
	'bin/portolan 443' 'getent services 443' >&2

python3 - "$tmp/fresh.json" "$tmp/used.json" "$hello" <<'PY'
import json, sys
def load(f): return {x["command"]: x for x in json.load(open(f))["results"]}
r, u = load(sys.argv[1]), load(sys.argv[2])
p, g, h = r["bin/portolan 443"], r["getent services 443"], r[sys.argv[3]]
pu, gu = u["bin/portolan 443"], u["getent services 443"]
ms = lambda x: f"mean {x['mean']*1e3:.3f} ms  median {x['median']*1e3:.3f} ms"
print(f"portolan 443 (fresh user):       {ms(p)}")
print(f"getent services 443:             {ms(g)}")
print(f"Go hello world:                  {ms(h)}")
print(f"ratio portolan/getent (mean):    {p['mean']/g['mean']:.2f}  (goal <= 1.0)")
print(f"ratio portolan/getent (median):  {p['median']/g['median']:.2f}")
print(f"ratio hello/getent (median):     {h['median']/g['median']:.2f}  (the floor of any Go binary)")
print(f"ratio portolan/hello (median):   {p['median']/h['median']:.2f}")
print(f"portolan 443 (with state db):    {ms(pu)}")
print(f"getent services 443 (same run):  {ms(gu)}")
print(f"ratio with state db (median):    {pu['median']/gu['median']:.2f}")
PY

# The batch: the same 10,000 keys for both, each command through the shell
# (hyperfine subtracts the shell's start-up); getent exits 2 for the keys
# it does not know, hence -i.
seq 1 10000 >"$tmp/keys"
XDG_DATA_HOME="$tmp/fresh" XDG_STATE_HOME="$tmp/fresh" hyperfine -i --warmup 5 --runs "${BATCH_RUNS:-40}" --export-json "$tmp/batch.json" \
	"bin/portolan - <$tmp/keys" "getent services $(tr '\n' ' ' <"$tmp/keys")" >&2
python3 - "$tmp/batch.json" <<'PY'
import json, sys
p, g = json.load(open(sys.argv[1]))["results"]
ms = lambda x: f"mean {x['mean']*1e3:.1f} ms  median {x['median']*1e3:.1f} ms"
print(f"portolan - (10,000 ports):       {ms(p)}")
print(f"getent services (10,000 keys):   {ms(g)}")
print(f"ratio batch (mean):              {p['mean']/g['mean']:.2f}  (goal <= 0.2)")
print(f"ratio batch (median):            {p['median']/g['median']:.2f}")
PY

go test -run '^$' -bench 'ByPort|ByName|SearchOneWord|OpenEmbedded' -benchtime 200000x ./registry/ | grep -E '^Benchmark'
