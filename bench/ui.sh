#!/usr/bin/env bash
# bench/ui.sh: how fast the web page loads and draws the port map in
# headless Chromium (goal: under 300 ms), next to the floor for any page with
# one module script, in the same browser and run, for the ratio.
#
# Both figures are the page's own clock: milliseconds from navigation start
# to the map's first draw (performance.now() recorded by the page), cache
# off, over loopback, against the real API server with a fresh SQLite store
# (go test -bench on ./http/ui, see http/ui/bench_test.go).
# Installs chromium with apt-get when it is missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-40}
. bench/lib.sh
need chromium
echo "== page load to map drawn, headless $(chromium --version 2>/dev/null | head -n1), ${N} loads each, $(date -u +%F), load average $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(go test ./http/ui -run '^$' -bench 'PageLoad|FloorPage' -benchtime "${N}x" -count 1)
grep '^Benchmark' <<<"$out"
awk '
  /^BenchmarkPageLoad/  { for (i = 1; i < NF; i++) { if ($(i+1) == "ms-to-map") page = $i; if ($(i+1) == "p50-ms") p50 = $i; if ($(i+1) == "p95-ms") p95 = $i } }
  /^BenchmarkFloorPage/ { for (i = 1; i < NF; i++) if ($(i+1) == "ms-to-map") floor = $i }
  END {
    if (page == "" || floor == "") { print "bench/ui.sh: no figures (is chromium installed?)"; exit 1 }
    printf "portolan page: mean %.1f ms, p50 %.1f ms, p95 %.1f ms to the map drawn\n", page, p50, p95
    printf "floor page (one module script): mean %.1f ms\n", floor
    printf "ratio page/floor = %.2f; ratio to the 300 ms goal (mean) = %.2f %s\n", page / floor, page / 300, (page < 300 ? "(met)" : "(NOT met)")
  }' <<<"$out"
