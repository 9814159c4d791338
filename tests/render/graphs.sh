#!/usr/bin/env bash
# Renders `wf graph` of every example with the real renderers, in both formats, and fails on
# any renderer error or warning: Mermaid through @mermaid-js/mermaid-cli in headless Chromium,
# Graphviz through `dot -Tsvg`. The snapshots in tests/graph.rs say what the text is; this says
# that the renderers accept it.
#
#   tests/render/graphs.sh          render into target/render/
#   tests/render/graphs.sh --docs   also refresh the pictures in docs/graphs/ (bug-fix, canary)
#
# On a fresh Debian machine it installs what is missing: chromium and graphviz with apt-get
# (as root), mermaid-cli with npm into tests/render/node_modules (Puppeteer's own browser
# download skipped: it uses Debian's chromium, see puppeteer.json).
set -euo pipefail
cd "$(dirname "$0")/../.."

here=tests/render
out=target/render
docs=false
[[ "${1:-}" == "--docs" ]] && docs=true

missing=()
command -v dot >/dev/null || missing+=(graphviz)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
if ((${#missing[@]})); then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "graphs.sh needs ${missing[*]}: install them, or run as root" >&2
    exit 1
  fi
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ ! -x "$here/node_modules/.bin/mmdc" ]]; then
  echo "installing @mermaid-js/mermaid-cli"
  (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

cargo build --quiet --locked
wf="${CARGO_TARGET_DIR:-target}/debug/wf"
mmdc="$here/node_modules/.bin/mmdc"
mkdir -p "$out"

failed=0
fail() {
  echo "FAIL $1" >&2
  [[ -s "$2" ]] && sed 's/^/    /' "$2" >&2
  failed=1
}

for file in examples/*.wf tests/render/*.wf; do
  name="$(basename "$file" .wf)"
  "$wf" graph "$file" --format dot >"$out/$name.dot"
  "$wf" graph "$file" --format mermaid >"$out/$name.mmd"

  # dot exits 0 on warnings (an unknown attribute, a bad colour): any output on stderr fails.
  if ! dot -Tsvg "$out/$name.dot" -o "$out/$name.dot.svg" 2>"$out/$name.dot.log" || [[ -s "$out/$name.dot.log" ]]; then
    fail "dot $file" "$out/$name.dot.log"
  fi

  # mmdc exits non-zero on a parse error; a diagram it could not lay out becomes an SVG that
  # says "Syntax error", so that is checked too.
  if ! "$mmdc" --quiet -p "$here/puppeteer.json" -i "$out/$name.mmd" -o "$out/$name.mmd.svg" >"$out/$name.mmd.log" 2>&1 \
    || ! [[ -s "$out/$name.mmd.svg" ]] || grep -q "Syntax error" "$out/$name.mmd.svg"; then
    fail "mermaid $file" "$out/$name.mmd.log"
  fi
  [[ "$failed" -eq 0 ]] && echo "ok   $file (mermaid, dot)"
done

if [[ "$failed" -ne 0 ]]; then
  exit 1
fi

# Graphviz's SVG is small; Mermaid's embeds a web font, so its picture is a PNG.
if $docs; then
  mkdir -p docs/graphs
  for name in bug-fix canary; do
    cp "$out/$name.dot.svg" "docs/graphs/$name.dot.svg"
    "$mmdc" --quiet -p "$here/puppeteer.json" -i "$out/$name.mmd" -o "docs/graphs/$name.mermaid.png" -s 1 -b white
  done
  echo "updated docs/graphs/"
fi
