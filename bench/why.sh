#!/bin/sh
# Times `portolan why PORT` (free port and a held port) with hyperfine.
# Usage: bench/why.sh [PORTOLAN_BINARY]
set -eu
bin=${1:-./portolan}
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",47123)); s.listen(); time.sleep(60)' &
holder=$!
trap 'kill $holder' EXIT
sleep 0.3
hyperfine -N --warmup 10 --runs 200 -i \
	"$bin why 47122" \
	"$bin why 47123/tcp"
