#!/usr/bin/env bash
# Installs the Debian packages the test suite uses: network namespaces and
# firewalls (iproute2, iptables, nftables), a PostgreSQL server, headless
# Chromium, procps/psmisc for process checks, nmap (scan output is compared
# with its own), Docker and Podman engines with a static busybox (the container
# tests start their own dockerd and podman service in a namespace and import an
# image of busybox; no registry), supervisord, and pm2 and nodemon from npm into
# /opt/portolan-test-npm (the supervisor tests keep real node servers under
# them). As root only; elsewhere it says what is missing and the tests that
# need those tools skip.
set -euo pipefail
pkgs=(iproute2 iptables nftables postgresql chromium procps psmisc ca-certificates nmap docker.io busybox-static util-linux podman supervisor)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-deps: not root or no apt-get; missing: ${missing[*]} (tests needing them will skip)" >&2
  else
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
# supervisord's Debian package starts the system's own daemon; the tests run
# their own with a config in a temp dir, so the system one is left as it is.
npm_dir=${PORTOLAN_TEST_NPM:-/opt/portolan-test-npm}
if [ ! -x "$npm_dir/node_modules/.bin/pm2" ] || [ ! -x "$npm_dir/node_modules/.bin/nodemon" ]; then
  if ! command -v npm >/dev/null || ! mkdir -p "$npm_dir" 2>/dev/null; then
    echo "install-deps: no npm or $npm_dir not writable; pm2 and nodemon missing (their tests will skip)" >&2
  else
    echo "install-deps: installing pm2 and nodemon into $npm_dir" >&2
    npm install --prefix "$npm_dir" --no-audit --no-fund --silent pm2@7 nodemon@3 >/dev/null
  fi
fi
