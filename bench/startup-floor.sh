#!/usr/bin/env bash
# What a process start costs before main runs, dependency by dependency.
# Every package linked into a Go binary runs its init at every start, so a
# lookup pays for the SQLite, PostgreSQL and HTTP code the other verbs need.
# This builds binaries that only print "hello" but link a growing set of
# portolan's dependencies (static, -s -w, like `make build`), and times them
# with portolan's lookup and getent in one hyperfine run. The last step links
# everything cmd/portolan links: it is the process start and every package
# init before portolan's main runs, the part no change to main can remove.
# Usage: bench/startup-floor.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need hyperfine

make -s build
scratch
dir=$(mktemp -d ./bench/.floor.XXXXXX) # inside the module, to resolve its imports
cleanup_more() { rm -rf "$dir"; }

# name: imports (cumulative: each step adds to the one before)
steps=(
	"hello:"
	"lookup-deps:github.com/spf13/cobra github.com/portolan-dev/portolan/registry github.com/portolan-dev/portolan/sockets"
	"with-sqlite:modernc.org/sqlite"
	"with-pgx:github.com/jackc/pgx/v5/pgxpool"
	"with-net-http:net/http"
	"all-of-portolan:github.com/portolan-dev/portolan/internal/cli/root github.com/portolan-dev/portolan/internal/cli/factory"
)
imports=()
cmds=()
for s in "${steps[@]}"; do
	name=${s%%:*}
	for p in ${s#*:}; do imports+=("$p"); done
	mkdir -p "$dir/$name"
	{
		echo 'package main'
		echo 'import ('
		echo '	"os"'
		for p in ${imports[@]+"${imports[@]}"}; do echo "	_ \"$p\""; done
		echo ')'
		echo 'func main() { os.Stdout.WriteString("hello\n") }'
	} >"$dir/$name/main.go"
	CGO_ENABLED=0 go build -ldflags='-s -w' -o "$tmp/$name" "./$dir/$name"
	cmds+=("$tmp/$name")
done

XDG_DATA_HOME="$tmp" XDG_STATE_HOME="$tmp" hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-json "$tmp/r.json" \
	'getent services 443' "${cmds[@]}" 'bin/portolan --version' 'bin/portolan 443' >&2

python3 - "$tmp/r.json" "$tmp/" <<'PY'
import json, os, sys
res = json.load(open(sys.argv[1]))["results"]
g = next(r for r in res if r["command"] == "getent services 443")["median"]
for r in res:
    name = r["command"].replace(sys.argv[2], "")
    size = ""
    path = r["command"].split()[0]
    if os.path.exists(path):
        size = f"{os.path.getsize(path)/1e6:5.1f} MB"
    print(f"{name:24s} median {r['median']*1e3:6.3f} ms  {size:8s}  x getent {r['median']/g:5.2f}")
PY
