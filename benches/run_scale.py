#!/usr/bin/env python3
"""wf run against make, side by side, and resume from a large journal (issue 12's targets).

  1. 1,000 sequential `true` steps, journal on   vs  make -j1 of 1,000 `true` targets  (goal <= 1.1x)
  2. 10,000 `true` steps under `parallel max 64`  vs  make -j64 of 10,000 targets      (goal <= 1.2x, RSS <= 32 MiB)
  3. `wf resume` of a 10,000-step run whose last step failed                           (goal <= 100 ms)

Whole processes are timed (median of RUNS), each wf run with a fresh journal. Usage:
  WF_BIN=target/release/wf RUNS=5 python3 benches/run_scale.py
"""

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WF = os.path.abspath(os.environ.get("WF_BIN", "target/release/wf"))
RUNS = int(os.environ.get("RUNS", "5"))


def timed(cmd, cwd, setup=None):
    """Median wall time in ms and the largest child peak RSS in MiB over RUNS runs."""
    times = []
    for _ in range(RUNS):
        if setup:
            setup()
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return statistics.median(times), peak


def workflow(steps, parallel=None, fail_last=False):
    lines = ["workflow bench() {"]
    indent = "  "
    if parallel:
        lines.append(f"  parallel max {parallel} {{")
        indent = "    "
    for i in range(steps):
        command = "exit 1" if fail_last and i == steps - 1 else "true"
        lines.append(f'{indent}run s{i} "{command}"')
    if parallel:
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def makefile(targets):
    names = " ".join(f"t{i}" for i in range(targets))
    rules = "\n".join(f"t{i}:\n\t@true" for i in range(targets))
    return f".PHONY: all {names}\nall: {names}\n{rules}\n"


def fresh(folder):
    def reset():
        shutil.rmtree(os.path.join(folder, ".wf"), ignore_errors=True)
    return reset


def compare(title, steps, parallel, jobs, goal):
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "bench.wf"), "w") as f:
            f.write(workflow(steps, parallel))
        with open(os.path.join(folder, "Makefile"), "w") as f:
            f.write(makefile(steps))
        make_ms, _ = timed(["make", "-s", f"-j{jobs}"], folder)
        wf_ms, _ = timed([WF, "run", "bench.wf", "--quiet"], folder, fresh(folder))
        rss = peak_rss([WF, "run", "bench.wf", "--quiet"], folder, fresh(folder))
        ratio = wf_ms / make_ms
        verdict = "ok" if ratio <= goal else "MISSED"
        print(f"{title}: wf {wf_ms:.0f} ms, make {make_ms:.0f} ms, ratio {ratio:.2f}x (goal <= {goal}x: {verdict}), wf peak RSS {rss:.1f} MiB")


def peak_rss(cmd, cwd, setup):
    """Peak RSS of wf itself (not its children), read by /usr/bin/time when present."""
    setup()
    if shutil.which("/usr/bin/time") or os.path.exists("/usr/bin/time"):
        out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], cwd=cwd, capture_output=True, text=True)
        try:
            return int(out.stderr.strip().splitlines()[-1]) / 1024
        except (ValueError, IndexError):
            pass
    return float("nan")


def resume(steps):
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "bench.wf"), "w") as f:
            f.write(workflow(steps, 64, fail_last=True))
        subprocess.run([WF, "run", "bench.wf", "--quiet"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        state = os.path.join(folder, ".wf")
        saved = os.path.join(folder, "saved")
        shutil.copytree(state, saved)

        def restore():
            shutil.rmtree(state, ignore_errors=True)
            shutil.copytree(saved, state)

        total_ms, _ = timed([WF, "resume", "--quiet"], folder, restore)
        check_ms, _ = timed([WF, "check", "bench.wf"], folder)
        verdict = "ok" if total_ms <= 100 else "MISSED"
        # An unchanged file is not checked again (the run stored its program); the check's
        # time is printed to compare with.
        print(
            f"resume of a {steps}-step run: {total_ms:.0f} ms (goal <= 100 ms: {verdict}); "
            f"`wf check` of the same file alone: {check_ms:.0f} ms"
        )


def main():
    if not os.path.exists(WF):
        sys.exit(f"no wf binary at {WF}: cargo build --release first")
    if not shutil.which("make"):
        sys.exit("make is needed for the comparison")
    load = os.getloadavg()
    print(f"{WF}, {RUNS} runs each, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    compare("1,000 sequential steps", 1000, None, 1, 1.1)
    compare("10,000 steps, parallel max 64", 10000, 64, 64, 1.2)
    resume(10000)


if __name__ == "__main__":
    main()
