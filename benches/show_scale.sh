#!/usr/bin/env bash
# `wf show` of a 75,000-step run (issue 11): wall time and peak RSS of the human and the JSON
# output. The run is a real two-step run whose journal is then given 75,000 more step rows
# (three phases of 25,000 `run` steps, each with a ledger amount), so that nothing but
# `wf show` is measured.
#
#   WF_BIN=target/debug/wf benches/show_scale.sh [STEPS]
set -euo pipefail
wf="$(realpath "${WF_BIN:-target/release/wf}")"
steps="${1:-75000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cd "$dir"
printf 'workflow big() {\n  run first "true"\n  run second "true"\n}\n' > big.wf
"$wf" run big.wf > /dev/null 2>&1
run="$(sqlite3 .wf/state.db 'SELECT id FROM runs LIMIT 1')"
sqlite3 .wf/state.db <<SQL
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $steps)
INSERT INTO steps (run_id, key, step_id, kind, hash, status, accepted, attempts, started_at, ended_at, value, error, seq)
SELECT '$run', 'p' || (i % 3) || '/s' || i, 'p' || (i % 3) || '/s' || i, 'run', printf('%064d', i), 'succeeded', 1, 1,
       1700000000000 + i, 1700000000000 + i + 5, '{"Record":{"cost":{"Money":' || (i % 7) || '}}}', NULL, 1000 + i
FROM n;
INSERT INTO steps (run_id, key, step_id, kind, hash, status, accepted, attempts, started_at, ended_at, value, error, seq)
SELECT '$run', 'p' || i, 'p' || i, 'phase', printf('%064d', i), 'succeeded', 1, 1, 1700000000000 + i, 1700000000000 + $steps + 10,
       NULL, NULL, 1000 + $steps + i
FROM (SELECT 0 AS i UNION ALL SELECT 1 UNION ALL SELECT 2);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $steps)
INSERT INTO ledger (run_id, key, attempt, model, input, output, cached, micros, at)
SELECT '$run', 'p' || (i % 3) || '/s' || i, 1, NULL, 0, 0, 0, i % 7, 1700000000000 + i FROM n;
SQL
for format in human json; do
  /usr/bin/time -f "wf show ($format, $steps steps): %e s wall, %M KiB peak RSS" \
    "$wf" show "$run" --format "$format" > "show.$format" 2> time.txt || true
  tail -1 time.txt
  echo "  $(wc -c < "show.$format") bytes, sha256 $(sha256sum < "show.$format" | cut -c1-16)"
done
