#!/usr/bin/env bash
# check_scale.sh: how the time of `wf check` grows with the size of a workflow.
#
#   bash benches/check_scale.sh                       # builds `cargo build --release` first
#   WF_BIN=path/to/wf bash benches/check_scale.sh     # times that binary, builds nothing
#   RUNS=31 bash benches/check_scale.sh               # more runs per size (default 11)
#
# Generates workflows of 10, 100, 1,000 and 10,000 steps with benches/gen_workflow.py, makes
# sure each checks clean (`wf check --deny-warnings`), then times the whole `wf check FILE`
# process on each (start-up, reading, parsing, loading std/models and std/gates, checking,
# exit): `hyperfine` when it is installed, else a Python loop around subprocess.run. Prints a
# Markdown table (median and min wall time, lines, ms per 1k steps, peak RSS), the ratio
# time(10k)/time(1k) (about 10 when checking is linear in the size), and PASS/FAIL against the
# target "10,000 steps checked in <= 100 ms" (median).
#
# Exit status: 1 when a generated file does not check clean (a bug in the generator or the
# checker: its diagnostics are printed); 2 when something could not run. Missing the time target
# does NOT fail the script: timings on a shared machine are noisy, they are for reading.
#
# Other knobs: SIZES="10 100 1000 10000", WARMUP=2, SEED=17, TARGET_MS=100, TIMER=python (use
# the Python loop even when hyperfine is installed), KEEP=1 (keep the generated files; their
# folder is printed).

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
RUNS="${RUNS:-11}"
WARMUP="${WARMUP:-2}"
SIZES="${SIZES:-10 100 1000 10000}"
SEED="${SEED:-17}"
TARGET_MS="${TARGET_MS:-100}"

die() { echo "check_scale: $*" >&2; exit 2; }

command -v python3 >/dev/null || die "python3 is needed"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, not '$RUNS'"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "WARMUP must be a number, not '$WARMUP'"

# ----- the binary -----
if [[ -z "${WF_BIN:-}" ]]; then
  echo "Building: cargo build --release ..." >&2
  (cd "$root" && cargo build --release --quiet) || die "cargo build --release failed"
  target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  WF_BIN="$target_dir/release/wf"
fi
[[ -x "$WF_BIN" ]] || die "no executable wf at '$WF_BIN'"

work="$(mktemp -d "${TMPDIR:-/tmp}/wf-check-scale.XXXXXX")"
if [[ "${KEEP:-0}" == 1 ]]; then
  echo "Keeping the generated files in $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

# ----- the timer -----
use_hyperfine=0
if [[ "${TIMER:-auto}" != python ]] && command -v hyperfine >/dev/null; then
  use_hyperfine=1
fi
if (( use_hyperfine )); then
  timer="hyperfine $(hyperfine --version | awk '{print $2}')"
else
  timer="python3 loop (time.perf_counter around subprocess.run)"
fi

# time_check FILE JSON: writes the wall times of RUNS runs of `wf check FILE`, in seconds, as
# a JSON list.
time_check() {
  local file="$1" out="$2"
  if (( use_hyperfine )); then
    # -N: no intermediate shell, so nothing but wf is timed; -i: a dirty file exits 1, time it anyway.
    hyperfine -N -i --style none --warmup "$WARMUP" --runs "$RUNS" \
      --export-json "$out.hyperfine" "$(printf '%q check %q' "$WF_BIN" "$file")" >/dev/null 2>&1 \
      || die "hyperfine failed on $file"
    python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["results"][0]["times"]))' \
      "$out.hyperfine" >"$out"
  else
    python3 - "$RUNS" "$WARMUP" "$out" "$WF_BIN" check "$file" <<'PY'
import json, subprocess, sys, time
runs, warmup, out, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(warmup):
    subprocess.run(cmd, **quiet)
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(cmd, **quiet)
    times.append(time.perf_counter() - start)
json.dump(times, open(out, "w"))
PY
  fi
}

# ----- generate, check clean, time -----
dirty=0
results="$work/results.tsv"
: >"$results"
for steps in $SIZES; do
  file="$work/steps-$steps.wf"
  python3 "$here/gen_workflow.py" --seed "$SEED" "$steps" "$file" || die "gen_workflow.py failed for $steps steps"
  lines=$(wc -l <"$file")

  clean=yes
  if ! "$WF_BIN" check --deny-warnings --format short "$file" >"$work/diag-$steps.txt" 2>&1; then
    clean=no
    dirty=1
    {
      echo "check_scale: the generated $steps-step file does not check clean:"
      head -n 40 "$work/diag-$steps.txt" | sed 's/^/    /'
      n=$(wc -l <"$work/diag-$steps.txt")
      (( n > 40 )) && echo "    ... ($n lines in all)"
    } >&2
  fi

  rss=""
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%M' -o "$work/rss-$steps" "$WF_BIN" check "$file" >/dev/null 2>&1 || true
    rss=$(tail -n 1 "$work/rss-$steps" 2>/dev/null || true)
  fi

  echo "Timing $steps steps ($lines lines), $RUNS runs ..." >&2
  time_check "$file" "$work/times-$steps.json"
  printf '%s\t%s\t%s\t%s\t%s\n' "$steps" "$lines" "$clean" "${rss:-}" "$work/times-$steps.json" >>"$results"
done

# ----- report -----
python3 - "$results" "$TARGET_MS" "$timer" "$WF_BIN" "$RUNS" "$WARMUP" <<'PY'
import json, os, platform, statistics, subprocess, sys

results, target_ms, timer, wf_bin, runs, warmup = sys.argv[1:7]
target_ms = float(target_ms)
rows = []
for line in open(results):
    steps, lines, clean, rss, times = line.rstrip("\n").split("\t")
    secs = json.load(open(times))
    rows.append(dict(steps=int(steps), lines=int(lines), clean=clean == "yes",
                     rss=int(rss) if rss.isdigit() else None,
                     median=statistics.median(secs) * 1000, min=min(secs) * 1000))

def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()

try:
    version = subprocess.run([wf_bin, "--version"], capture_output=True, text=True).stdout.strip()
except OSError:
    version = "?"

print()
print(f"`wf check` scaling — {version}; {cpu()}, {os.cpu_count()} cores; "
      f"{runs} runs after {warmup} warm-up, timed with {timer}")
print()
print("| steps | lines | median ms | min ms | ms / 1k steps | peak RSS | clean |")
print("|---:|---:|---:|---:|---:|---:|:---:|")
for r in rows:
    per_k = r["median"] / (r["steps"] / 1000)
    rss = f"{r['rss'] / 1024:.1f} MiB" if r["rss"] is not None else "n/a"
    print(f"| {r['steps']:,} | {r['lines']:,} | {r['median']:.1f} | {r['min']:.1f} | {per_k:.2f} | {rss} | "
          f"{'yes' if r['clean'] else '**NO**'} |")
print()

by = {r["steps"]: r for r in rows}
if 1000 in by and 10000 in by:
    ratio = by[10000]["median"] / by[1000]["median"]
    print(f"Linearity: time(10k) / time(1k) = {ratio:.2f} (10 means linear; fixed costs such as "
          f"process start-up pull it below 10, growing memory and cache misses push it above)")
    smallest = min(by)
    if smallest < 1000:
        base = by[smallest]["median"]
        if by[1000]["median"] > base:
            marginal = (by[10000]["median"] - base) / (by[1000]["median"] - base)
            print(f"Without the {smallest}-step time ({base:.1f} ms, mostly start-up): "
                  f"(t10k - t{smallest}) / (t1k - t{smallest}) = {marginal:.2f}")
if 10000 in by:
    median = by[10000]["median"]
    verdict = "PASS" if median <= target_ms else "FAIL"
    print(f"Target: 10,000 steps checked in <= {target_ms:g} ms: {verdict} "
          f"(median {median:.1f} ms, min {by[10000]['min']:.1f} ms)")
if not all(r["clean"] for r in rows):
    print("Some generated files do NOT check clean: see the diagnostics above.")
PY

exit "$dirty"
