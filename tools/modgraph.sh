#!/usr/bin/env bash
# Prints wf's module graph, read from the `crate::` paths in src/ (tests left out), one line per
# module from the top floor of ARCHITECTURE.md's "Layers" down: `a -> b, c` means a uses b and c;
# `(up: d)` marks a use of a module that is not below it, which `cargo test --test architecture`
# rejects. The scan itself is tests/architecture.rs.
#
#   tools/modgraph.sh          the stages
#   tools/modgraph.sh STAGE    the sub-modules of one stage (`run`, `check`, …): `a -> b` means
#                              STAGE::a uses STAGE::b; a `cycle:` line names a circle among them,
#                              which the test rejects.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  test=module_graph_runs_down_the_layers
  start='^module graph'
else
  test=submodules_of_a_stage_use_each_other_one_way
  start="^sub-module graph of $1 "
fi
output="$(cargo test --quiet --locked --test architecture "$test" -- --exact --nocapture 2>/dev/null)"
graph="$(printf '%s\n' "$output" | sed -n "/$start/,/^\$/p")"
if [ -z "$graph" ]; then
  echo "modgraph: no graph for ${1:-the stages}: is it a stage with a folder under src/? Else tests/architecture.rs did not build or run; try: cargo test --test architecture" >&2
  exit 1
fi
printf '%s\n' "$graph"
