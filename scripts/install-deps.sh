#!/usr/bin/env bash
# Installs the Debian packages the test suite uses: network namespaces and
# firewalls (iproute2, iptables, nftables), a PostgreSQL server, headless
# Chromium, procps/psmisc for process checks, nmap (scan output is compared
# with its own), Docker and Podman engines with a static busybox (the container
# tests start their own dockerd and podman service in a namespace and import an
# image of busybox; no registry). As root only; elsewhere it
# says what is missing and the tests that need those tools skip.
set -euo pipefail
pkgs=(iproute2 iptables nftables postgresql chromium procps psmisc ca-certificates nmap docker.io busybox-static util-linux podman)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-deps: not root or no apt-get; missing: ${missing[*]} (tests needing them will skip)" >&2
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
