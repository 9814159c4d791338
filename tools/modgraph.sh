#!/usr/bin/env bash
# Prints wf's module graph, read from the `crate::` paths in src/ (tests left out), one line per
# module from the top floor of ARCHITECTURE.md's "Layers" down: `a -> b, c` means a uses b and c;
# `(up: d)` marks a use of a module that is not below it, which `cargo test --test architecture`
# rejects. The scan itself is tests/architecture.rs.
set -uo pipefail
cd "$(dirname "$0")/.."
output="$(cargo test --quiet --locked --test architecture module_graph_runs_down_the_layers -- --exact --nocapture 2>/dev/null)"
graph="$(printf '%s\n' "$output" | sed -n '/^module graph/,/^$/p')"
if [ -z "$graph" ]; then
  echo "modgraph: tests/architecture.rs did not build or run; try: cargo test --test architecture" >&2
  exit 1
fi
printf '%s\n' "$graph"
