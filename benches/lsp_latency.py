#!/usr/bin/env python3
"""How fast `wf lsp` answers an edit: from sending a one-character `didChange` to receiving
the `publishDiagnostics` for that version, on a generated workflow of about 5,000 lines.

    python3 benches/lsp_latency.py                     # cargo build --release, then measure
    python3 benches/lsp_latency.py --bin PATH/TO/wf    # measure that binary, build nothing

Each edit alternates between adding one character to a step name where it is read (which
makes an `unknown_name` error) and removing it again (clean), in the middle of the file, so
half the answers carry a diagnostic and half are empty. The first `--warmup` edits are not
counted. It also times hover and completion requests at that place, after an edit (the
first request after an edit builds the name index).

Prints the median, minimum, 90th percentile and maximum in milliseconds, and PASS/FAIL
against the goal (median at most 50 ms). Python 3 standard library only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_workflow  # noqa: E402  (the generator beside this script)

GOAL_MS = 50.0


class Client:
    """A minimal LSP client: Content-Length framing over the server's stdin and stdout."""

    def __init__(self, binary):
        self.proc = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0
        self.backlog = []

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise EOFError("wf lsp closed its output")
            line = line.strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return json.loads(self.proc.stdout.read(length))

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        self.next_id += 1
        wanted = self.next_id
        self.send({"jsonrpc": "2.0", "id": wanted, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == wanted and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"{method} failed: {message['error']}")
                return message.get("result")
            self.backlog.append(message)

    def diagnostics(self, uri, version):
        """Waits for the diagnostics of `uri` at `version`."""
        while True:
            message = self.backlog.pop(0) if self.backlog else self.read()
            params = message.get("params") or {}
            if (
                message.get("method") == "textDocument/publishDiagnostics"
                and params.get("uri") == uri
                and params.get("version") == version
            ):
                return params["diagnostics"]

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        return self.proc.wait(timeout=30)


def generate(lines, seed):
    """A generated workflow of about `lines` lines (the generator writes about 6 per step)."""
    steps = max(4, lines // 6)
    for _ in range(4):
        text = gen_workflow.Gen(steps, seed).workflow()
        count = text.count("\n")
        if abs(count - lines) <= lines // 50:
            break
        steps = max(4, round(steps * lines / count))
    return text, steps


def cpu_seconds(pid):
    """CPU time (user + system) of process `pid` so far, from /proc; None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def utf16_position(text, offset):
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    character = len(text[start:offset].encode("utf-16-le")) // 2
    return {"line": line, "character": character}


def edit_site(text):
    """Where to type: the end of a step name read in a `require`, near the middle of the file."""
    middle = len(text) // 2
    at = text.find("require ", middle)
    if at < 0:
        sys.exit("no `require` in the second half of the generated file")
    name_start = at + len("require ")
    while not (text[name_start].isalpha() or text[name_start] == "_"):
        name_start += 1
    name_end = name_start
    while text[name_end].isalnum() or text[name_end] == "_":
        name_end += 1
    return name_start, name_end


def summary(name, samples):
    samples = sorted(samples)
    p90 = samples[min(len(samples) - 1, int(round(0.9 * (len(samples) - 1))))]
    return (
        f"| {name} | {len(samples)} | {statistics.median(samples):.1f} | {samples[0]:.1f} "
        f"| {p90:.1f} | {samples[-1]:.1f} |"
    )


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", help="the wf binary (default: cargo build --release and use it)")
    parser.add_argument("--lines", type=int, default=5000, help="size of the generated file (default 5000)")
    parser.add_argument("--edits", type=int, default=40, help="edits measured (default 40, at least 20)")
    parser.add_argument("--warmup", type=int, default=4, help="edits not counted (default 4)")
    parser.add_argument("--seed", type=int, default=17, help="generator seed (default 17)")
    args = parser.parse_args(argv)
    if args.edits < 20:
        parser.error("--edits must be at least 20")

    binary = args.bin
    if binary is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
        binary = os.path.join(target, "release", "wf")

    text, steps = generate(args.lines, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "large.wf")
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        uri = "file://" + path
        client = Client(binary)
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})

        started = time.perf_counter()
        client.notify("textDocument/didOpen", {
            "textDocument": {"uri": uri, "languageId": "wf", "version": 1, "text": text},
        })
        found = client.diagnostics(uri, 1)
        open_ms = (time.perf_counter() - started) * 1000
        if found:
            sys.exit(f"the generated file should check clean, but has {len(found)} diagnostics: {found[:3]}")

        name_start, name_end = edit_site(text)
        end = utf16_position(text, name_end)
        after = {"line": end["line"], "character": end["character"] + 1}
        inside = {"line": end["line"], "character": end["character"] - 1}
        dot = utf16_position(text, name_end + 1)
        broken_ms, fixed_ms, hover_ms, completion_ms = [], [], [], []
        cpu_ms = 0.0
        version = 1
        for edit in range(args.warmup + args.edits):
            version += 1
            adding = edit % 2 == 0
            change = (
                {"range": {"start": end, "end": end}, "text": "x"}
                if adding
                else {"range": {"start": end, "end": after}, "text": ""}
            )
            cpu_before = cpu_seconds(client.proc.pid)
            started = time.perf_counter()
            client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [change],
            })
            found = client.diagnostics(uri, version)
            elapsed = (time.perf_counter() - started) * 1000
            cpu_after = cpu_seconds(client.proc.pid)
            codes = [d.get("code") for d in found]
            expected = ["wf::check::unknown_name"] if adding else []
            if codes != expected:
                sys.exit(f"edit {edit}: expected {expected}, got {codes}")
            if edit < args.warmup:
                continue
            if cpu_before is not None and cpu_after is not None:
                cpu_ms += (cpu_after - cpu_before) * 1000
            (broken_ms if adding else fixed_ms).append(elapsed)
            if not adding:
                doc = {"uri": uri}
                started = time.perf_counter()
                client.request("textDocument/hover", {"textDocument": doc, "position": inside})
                hover_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                client.request("textDocument/completion", {"textDocument": doc, "position": dot})
                completion_ms.append((time.perf_counter() - started) * 1000)
        status = client.close()

    edits = broken_ms + fixed_ms
    median = statistics.median(edits)
    print(f"wf lsp latency: {text.count(chr(10))} lines, {steps} steps, {len(text) // 1024} KiB; binary {binary}")
    print(f"didOpen to diagnostics: {open_ms:.1f} ms")
    print()
    print("| measured | n | median ms | min ms | p90 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    print(summary("didChange → publishDiagnostics (all edits)", edits))
    print(summary("… adding a character (1 error)", broken_ms))
    print(summary("… removing it (clean)", fixed_ms))
    print(summary("hover after an edit (builds the index)", hover_ms))
    print(summary("completion after `.`", completion_ms))
    if cpu_ms:
        print(f"server CPU time per edit (mean, from /proc): {cpu_ms / len(edits):.1f} ms")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"load average while measuring: {load:.2f} on {os.cpu_count()} cores")
    print()
    verdict = "PASS" if median <= GOAL_MS else "FAIL"
    print(f"goal: median didChange → publishDiagnostics <= {GOAL_MS:.0f} ms: {verdict} ({median:.1f} ms)")
    if status != 0:
        sys.exit(f"wf lsp exited with {status}")


if __name__ == "__main__":
    main(sys.argv[1:])
