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
