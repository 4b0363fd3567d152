# bench/lib.sh: what the bench scripts share. Source it after `cd` to the
# repository root: `. bench/lib.sh`.

# need CMD[:PACKAGE]...: installs the Debian packages of the commands that are
# missing (as root with apt-get), or says which are needed and exits 2.
need() {
	local missing=() c pkg
	for c in "$@"; do
		pkg=${c#*:}
		c=${c%%:*}
		if [ "$c" = "${c#/}" ]; then command -v "$c" >/dev/null && continue; else [ -x "$c" ] && continue; fi
		missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
	else
		echo "$(basename "$0"): needs ${missing[*]} (apt-get install ${missing[*]})" >&2
		exit 2
	fi
}

# scratch: makes the temporary directory $tmp and an empty pids array; on
# exit it kills every process in pids, runs cleanup_more when the script
# defines it, and removes $tmp.
scratch() {
	tmp=$(mktemp -d)
	pids=()
	trap scratch_cleanup EXIT
}
scratch_cleanup() {
	for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if declare -F cleanup_more >/dev/null; then cleanup_more; fi
	rm -rf "$tmp"
}

# start_serve STORE [FLAG...]: starts bin/portolan serve on a free loopback
# port with STORE and the flags given, waits until it names its address, and
# sets URL, TOKEN (the admin token it wrote) and SERVE_PID. Needs scratch.
start_serve() {
	local log=$tmp/serve.$RANDOM.log
	bin/portolan serve --listen 127.0.0.1:0 --store "$1" "${@:2}" 2>"$log" &
	pids+=($!)
	SERVE_PID=$!
	URL=
	for _ in $(seq 100); do
		URL=$(sed -n 's/^portolan serve: API \([^,]*\),.*/\1/p' "$log")
		[ -n "$URL" ] && break
		sleep 0.1
	done
	[ -n "$URL" ] || { cat "$log" >&2; exit 1; }
	TOKEN=$(head -n1 "$XDG_STATE_HOME/portolan/token")
}

# hold_sockets [SUFFIX]: starts $tmp/holdsockets (built from
# bench/cmd/holdsockets when missing) holding LISTEN (default 2000) listening
# and CONNS (default 4000) connected loopback TCP sockets, their ports in
# $tmp/portsSUFFIX, and adds it to pids; returns once it is ready (within
# 30 s), its line in $tmp/readySUFFIX.
hold_sockets() {
	local s=${1:-}
	[ -x "$tmp/holdsockets" ] || go build -o "$tmp/holdsockets" ./bench/cmd/holdsockets
	"$tmp/holdsockets" -listen "${LISTEN:-2000}" -conns "${CONNS:-4000}" -ports "$tmp/ports$s" >"$tmp/ready$s" &
	pids+=($!)
	for _ in $(seq 300); do
		grep -q ready "$tmp/ready$s" 2>/dev/null && break
		sleep 0.1
	done
	grep -q ready "$tmp/ready$s" || { echo "holdsockets $s did not start" >&2; exit 1; }
}
