#!/usr/bin/env bash
# Renders `wf stats --html` in headless Chromium and fails unless the page drew its seven
# charts (counted in the DOM Chromium built) and a screenshot of it is not blank. The journal
# is a realistic one: the bug-fix example run several times under `sim` (one paused on a spent
# budget, one failing without its scenario's answers) and the canary twice.
#
#   tests/render/dashboard.sh          render into target/render/
#   tests/render/dashboard.sh --docs   also refresh docs/dashboard.png
#
# Installs chromium with apt-get when it is missing (as root), as graphs.sh does.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=target/render
docs=false
[[ "${1:-}" == "--docs" ]] && docs=true
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "dashboard.sh needs chromium: install it, or run as root" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

cargo build --quiet --locked
wf="$(pwd)/${CARGO_TARGET_DIR:-target}/debug/wf"
mkdir -p "$out"
state="$(mktemp -d)"
trap 'rm -rf "$state"' EXIT
run() { "$wf" run "$@" --mode autopilot --state-dir "$state" --quiet >/dev/null 2>&1 || true; }
for ticket in PL-1 PL-2 PL-3; do
  run examples/bug-fix.wf --arg "ticket=$ticket" --sim examples/bug-fix.sim.json
done
run examples/bug-fix.wf --arg ticket=PL-4 --budget '$0.15'
run examples/canary.wf --arg service=api
run examples/canary.wf --arg service=web
"$wf" stats --state-dir "$state" --html "$out/dashboard.html" >/dev/null

chrome=(/usr/bin/chromium --headless --no-sandbox --disable-gpu --hide-scrollbars)
dom="$(timeout 120 "${chrome[@]}" --dump-dom "$out/dashboard.html" 2>/dev/null)"
charts="$(grep -o '<figure class="chart">' <<<"$dom" | wc -l)"
svgs="$(grep -o '<svg ' <<<"$dom" | wc -l)"
if [[ "$charts" -ne 7 || "$svgs" -ne 7 ]]; then
  echo "FAIL the dashboard drew $charts charts and $svgs SVGs, not 7" >&2
  exit 1
fi
timeout 120 "${chrome[@]}" --window-size=1280,1200 --screenshot="$out/dashboard.png" "$out/dashboard.html" >/dev/null 2>&1
# A blank page compresses to almost nothing; seven charts do not.
size="$(stat -c %s "$out/dashboard.png")"
if [[ "$size" -lt 20000 ]]; then
  echo "FAIL the screenshot is $size bytes: blank?" >&2
  exit 1
fi
echo "the dashboard drew $charts charts (screenshot: $size bytes)"
if $docs; then
  # The picture in the docs shows a month: the synthetic history of benches/stats.py (400 runs
  # over 60 days, five workflows), written into a journal the binary made, and its last 30 days.
  month="$(mktemp -d)"
  printf 'workflow one() {\n  run a "true"\n}\n' > "$month/one.wf"
  "$wf" run "$month/one.wf" --state-dir "$month" --quiet >/dev/null 2>&1
  python3 -c 'import sys; sys.path.insert(0, "benches"); import stats; stats.build_history(sys.argv[1], 400, 30)' "$month/state.db"
  "$wf" stats --state-dir "$month" --since 30d --html "$out/month.html" >/dev/null
  timeout 120 "${chrome[@]}" --window-size=1280,1300 --screenshot="$(pwd)/docs/dashboard.png" "$out/month.html" >/dev/null 2>&1
  rm -rf "$month"
  echo "refreshed docs/dashboard.png"
fi
