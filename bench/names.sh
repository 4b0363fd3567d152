#!/usr/bin/env bash
# Named ports (issue 13): `portolan port web` on a warm store against
# `portolan --version` in one hyperfine run (goal: <= 2x), `portolan env`
# with 100 names in the checkout (goal: < 10 ms), and 16 processes asking
# for the same 50 new names at once (goal: one port per name, no port
# shared).
# Usage: bench/names.sh   (from the repository root; builds bin/portolan)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine
make -s build
bin=$PWD/bin/portolan
scratch
export XDG_STATE_HOME=$tmp/state XDG_DATA_HOME=$tmp/data
mkdir -p "$tmp/shop" && cd "$tmp/shop"
git init -q -b main . && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m x
"$bin" port web >/dev/null
hyperfine -N --warmup 20 --runs "${RUNS:-200}" --export-json "$tmp/port.json" "$bin port web" "$bin --version" >&2
for i in $(seq 1 99); do "$bin" port "svc-$i" >/dev/null; done
hyperfine -N --warmup 10 --runs "${RUNS:-200}" --export-json "$tmp/env.json" "$bin env" >&2

# 16 processes, the same 50 new names each, started together.
mkdir -p "$tmp/race" && cd "$tmp/race"
git init -q -b main . && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m x
start=$(date +%s%N)
for p in $(seq 1 16); do
	(for n in $(seq 1 50); do echo "n$n $("$bin" port "n$n")"; done >"$tmp/out.$p") &
done
wait
end=$(date +%s%N)
python3 - "$tmp" "$(( (end - start) / 1000000 ))" <<'PY'
import json, sys, glob
tmp, ms = sys.argv[1], int(sys.argv[2])
def med(f, cmd):
    r = {x["command"]: x for x in json.load(open(f))["results"]}
    return r[cmd]["median"]
port = [x for x in json.load(open(tmp + "/port.json"))["results"]]
p, v = port[0]["median"], port[1]["median"]
print(f"portolan port web (warm): median {p*1e3:.2f} ms; --version {v*1e3:.2f} ms; ratio {p/v:.2f} (goal <= 2.0)")
e = json.load(open(tmp + "/env.json"))["results"][0]
print(f"portolan env, 100 names: median {e['median']*1e3:.2f} ms, max {e['max']*1e3:.2f} ms (goal < 10 ms)")
names = {}
for f in glob.glob(tmp + "/out.*"):
    for line in open(f):
        n, port = line.split()
        names.setdefault(n, set()).add(port)
agree = all(len(s) == 1 for s in names.values())
ports = [next(iter(s)) for s in names.values()]
print(f"16 processes x 50 new names in {ms} ms: {len(names)} names, every name one port: {agree}, distinct ports: {len(set(ports)) == len(ports)}")
sys.exit(0 if agree and len(set(ports)) == len(ports) and len(names) == 50 else 1)
PY
