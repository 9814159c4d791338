#!/usr/bin/env python3
"""What wf adds to each agent call, measured against the same call made directly.

Against the loopback LLM stack (../shared/llm-stack, LiteLLM with canned answers, and the real
Claude Code CLI): for each provider, the median time of one call made directly (curl for the
HTTP APIs, the CLI itself for Claude Code) and the median time per call inside `wf run` (a
workflow of N sequential agent steps, less a workflow of one, over N-1), side by side.

    PORT=4011 CANNED_FILE=$PWD/tests/fixtures/agent/canned.json ../shared/llm-stack/up.sh
    python3 benches/agent_overhead.py --wf target/release/wf [--calls 10] [--rounds 5]

A direct call includes starting its client (curl, or the CLI); a call inside wf includes
everything wf does per attempt (budget reservation, journaling the attempt, its prompt and
answer, pricing) but not wf's own start. Prints a table; never fails on a timing (these
machines are noisy).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STACK = os.path.join(HERE, "..", "..", "shared", "llm-stack")


def timed(command, env=None, stdin=None):
    started = time.perf_counter()
    subprocess.run(command, env=env, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def workflow(provider, calls):
    steps = "\n".join(f'  agent a{i} "analyst" {{ prompt "Say hi {i}." }}' for i in range(calls))
    return f"model m {{ id \"gpt-4o-mini\" }}\nworkflow w() {{\n  provider {provider}\n  model m\n{steps}\n}}\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wf", default=os.path.join(HERE, "..", "target", "release", "wf"))
    parser.add_argument("--url", default="http://127.0.0.1:4011")
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    args.wf = os.path.abspath(args.wf)
    work = tempfile.mkdtemp()
    bin_dir = os.path.join(work, "bin")
    os.makedirs(bin_dir)
    with open(os.path.join(bin_dir, "claude"), "w") as f:
        f.write(f"#!/bin/sh\nexport PORT={args.url.rsplit(':', 1)[1]}\nexec {os.path.join(STACK, 'bin', 'claude-local')} \"$@\"\n")
    os.chmod(os.path.join(bin_dir, "claude"), 0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", OPENAI_BASE_URL=f"{args.url}/v1",
               OPENAI_API_KEY="sk-local", ANTHROPIC_BASE_URL=args.url, ANTHROPIC_API_KEY="sk-local", NO_COLOR="1")
    body = '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hi."}]}'
    direct = {
        "openai": ["curl", "-sN", f"{args.url}/v1/chat/completions", "-H", "Authorization: Bearer sk-local",
                   "-H", "content-type: application/json", "-d", body],
        "anthropic": ["curl", "-sN", f"{args.url}/v1/messages", "-H", "x-api-key: sk-local",
                      "-H", "anthropic-version: 2023-06-01", "-H", "content-type: application/json",
                      "-d", body.replace('"stream_options":{"include_usage":true},', '"max_tokens":100,')],
        "claude_code": [os.path.join(bin_dir, "claude"), "-p", "--output-format", "stream-json", "--verbose",
                        "--model", "gpt-4o-mini"],
    }
    print(f"load average {os.getloadavg()[0]:.2f}; {args.calls} calls per run, {args.rounds} rounds")
    print(f"{'provider':<12} {'direct call':>12} {'per call in wf':>15} {'difference':>11}")
    for provider, command in direct.items():
        calls = 3 if provider == "claude_code" else args.calls
        one, many, alone = [], [], []
        for round_ in range(args.rounds):
            for count, sink in ((1, one), (calls, many)):
                folder = os.path.join(work, f"{provider}-{round_}-{count}")
                os.makedirs(folder)
                with open(os.path.join(folder, "flow.wf"), "w") as f:
                    f.write(workflow(provider, count))
                sink.append(timed_in(folder, [args.wf, "run", "flow.wf", "--quiet"], env))
            alone.append(timed(command, env=env, stdin=b"Say hi."))
        per_call = (statistics.median(many) - statistics.median(one)) / (calls - 1)
        base = statistics.median(alone)
        print(f"{provider:<12} {base * 1000:>10.0f}ms {per_call * 1000:>13.0f}ms {(per_call - base) * 1000:>9.0f}ms")
    shutil.rmtree(work, ignore_errors=True)


def timed_in(folder, command, env):
    started = time.perf_counter()
    subprocess.run(command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
