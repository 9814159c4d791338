#!/usr/bin/env python3
"""Time `wf stats`, `wf runs` and `wf show` over a synthetic history of 1,000 runs.

    python3 benches/stats.py [--runs 1000] [--steps 30] [--repeat 21] [--wf PATH]

`wf` itself creates the journal (one real run of a one-step workflow), so the schema is
always the binary's; the history is then written with Python's sqlite3 against the schema
docs/running.md documents, in one transaction: per run ~`--steps` step rows (three phases,
a `repeat` with iterations, agent and run steps, some retried), a ledger amount per leaf step,
two events per step, and approvals, escalations and budget questions on some runs. Each
command is then run `--repeat` times (after one warm-up) and the median wall time printed.
"""

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import tempfile
import time

DAY_MS = 86_400_000


def build_history(db_path, runs, steps, seed=17):
    rng = random.Random(seed)
    now = int(time.time() * 1000)
    con = sqlite3.connect(db_path)
    cur = con.cursor()
    workflows = ["bug_fix", "release", "canary", "incident", "feature"]
    cur.execute("BEGIN")
    for i in range(runs):
        run_id = f"syn{i:06d}-{rng.randrange(1000):03d}"
        workflow = workflows[i % len(workflows)]
        started = now - 60 * DAY_MS + i * (60 * DAY_MS // runs)
        status = rng.choices(["succeeded", "failed", "paused", "interrupted"], [80, 12, 5, 3])[0]
        ended = None if status == "paused" else started + rng.randrange(5_000, 1_800_000)
        options = json.dumps({"budget": {"money_micros": {"amount": 3_000_000, "warn_at": 80.0}}})
        cur.execute(
            "INSERT INTO runs (id, workflow, file, file_hash, args, plan, options, status, error, pid, started_at, ended_at)"
            " VALUES (?, ?, '/bench.wf', '0', '{}', '{}', ?, ?, NULL, 1, ?, ?)",
            (run_id, workflow, options, status, started, ended),
        )
        at = started
        seq = 0
        phases = ["analysis", "implementation", "testing"]
        per_phase = max(1, (steps - len(phases) - 1) // len(phases))
        for p, phase in enumerate(phases):
            cur.execute(
                "INSERT INTO steps (run_id, key, step_id, kind, hash, status, accepted, attempts, started_at, ended_at, value, error, seq)"
                " VALUES (?, ?, ?, 'phase', 'h', 'succeeded', 1, 1, ?, ?, NULL, NULL, ?)",
                (run_id, phase, phase, at, at + 1000, seq),
            )
            if p == 1:
                iterations = rng.randrange(1, 4)
                value = json.dumps({"Record": {"ok": {"Bool": True}, "iterations": {"Int": iterations}}})
                cur.execute(
                    "INSERT INTO steps (run_id, key, step_id, kind, hash, status, accepted, attempts, started_at, ended_at, value, error, seq)"
                    " VALUES (?, ?, ?, 'repeat', 'h', 'succeeded', 1, 1, ?, ?, ?, NULL, ?)",
                    (run_id, f"{phase}/loop", f"{phase}/loop", at, at + 900, value, seq),
                )
            for s in range(per_phase):
                seq += 1
                kind = "agent" if s % 2 == 0 else "run"
                key = f"{phase}/s{s}"
                attempts = 1 + (rng.random() < 0.1)
                cur.execute(
                    "INSERT INTO steps (run_id, key, step_id, kind, hash, status, accepted, attempts, started_at, ended_at, value, error, seq)"
                    " VALUES (?, ?, ?, ?, 'h', 'succeeded', 1, ?, ?, ?, NULL, NULL, ?)",
                    (run_id, key, key, kind, attempts, at, at + 100, seq),
                )
                for event in ("step_started", "step_finished"):
                    cur.execute(
                        "INSERT INTO events (run_id, at, kind, key, data) VALUES (?, ?, ?, ?, ?)",
                        (run_id, at, event, key, json.dumps({"event": event, "key": key})),
                    )
                if kind == "agent":
                    inp, out = rng.randrange(1_000, 20_000), rng.randrange(100, 4_000)
                    cur.execute(
                        "INSERT INTO ledger (run_id, key, attempt, model, input, output, cached, micros, at)"
                        " VALUES (?, ?, 1, 'sonnet', ?, ?, 0, ?, ?)",
                        (run_id, key, inp, out, inp * 3 + out * 15, at),
                    )
                else:
                    cur.execute(
                        "INSERT INTO ledger (run_id, key, attempt, model, input, output, cached, micros, at)"
                        " VALUES (?, ?, 1, NULL, 0, 0, 0, 10000, ?)",
                        (run_id, key, at),
                    )
                at += 100
        if i % 4 == 0:
            how = "command" if i % 8 == 0 else "mode"
            cur.execute(
                "INSERT INTO decisions (run_id, key, kind, question, asked_at, answer, by, how, answered_at, consumed)"
                " VALUES (?, 'pr/ship', 'approval', 'Ship it?', ?, 'approve', 'sam', ?, ?, 1)",
                (run_id, at, how, at + rng.randrange(0, 3_600_000)),
            )
        if i % 9 == 0:
            cur.execute(
                "INSERT INTO decisions (run_id, key, kind, question, asked_at, answer, by, how, answered_at, consumed)"
                " VALUES (?, 'implementation/s1', 'escalation', 'failed', ?, 'retry', 'sam', 'command', ?, 1)",
                (run_id, at, at + 60_000),
            )
            cur.execute(
                "INSERT INTO events (run_id, at, kind, key, data) VALUES (?, ?, 'run_paused', 'implementation/s1', '{}')",
                (run_id, at),
            )
    con.commit()
    counts = {table: cur.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in ("runs", "steps", "ledger", "events", "decisions")}
    con.close()
    return counts


def median_ms(command, repeat):
    subprocess.run(command, check=True, capture_output=True)  # warm-up: page cache, WAL
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--wf", default=os.environ.get("WF_BIN", "target/release/wf"))
    args = parser.parse_args()
    wf = os.path.abspath(args.wf)
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state")
        flow = os.path.join(tmp, "one.wf")
        with open(flow, "w") as f:
            f.write('workflow one() {\n  run a "true"\n}\n')
        subprocess.run([wf, "run", flow, "--quiet", "--state-dir", state], check=True, capture_output=True)
        start = time.perf_counter()
        counts = build_history(os.path.join(state, "state.db"), args.runs, args.steps)
        built = (time.perf_counter() - start) * 1000
        print(f"history: {counts} (written in {built:.0f} ms)")
        latest = json.loads(subprocess.run([wf, "runs", "--workflow", "bug_fix", "--limit", "1", "--format", "json", "--state-dir", state], check=True, capture_output=True).stdout)["runs"][0]["id"]
        commands = {
            "wf stats": [wf, "stats", "--state-dir", state],
            "wf stats --format json": [wf, "stats", "--format", "json", "--state-dir", state],
            "wf stats --since 30d --workflow release": [wf, "stats", "--since", "30d", "--workflow", "release", "--state-dir", state],
            "wf runs": [wf, "runs", "--state-dir", state],
            "wf runs --limit 1000 --format json": [wf, "runs", "--limit", "1000", "--format", "json", "--state-dir", state],
            "wf show (a 30-step run)": [wf, "show", latest, "--state-dir", state],
        }
        print(f"{'command':<42} {'median':>9} {'min':>9} {'max':>9}   ({args.repeat} runs each)")
        for name, command in commands.items():
            median, low, high = median_ms(command, args.repeat)
            print(f"{name:<42} {median:>7.1f}ms {low:>7.1f}ms {high:>7.1f}ms")


if __name__ == "__main__":
    main()
