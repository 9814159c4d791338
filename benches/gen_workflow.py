#!/usr/bin/env python3
"""Generate a large, realistic `.wf` workflow for benchmarking `wf check`.

    python3 benches/gen_workflow.py STEPS OUT.wf [--seed N]

Writes one workflow with exactly STEPS steps (`run`, `agent`, `gate`, `wait` and `call`
statements; phases and `parallel`/`repeat`/`for`/`if` blocks are not counted). The steps are
grouped in phases of about 20 and mix everything the checker has to look at:

  * `run` steps with retries and backoff, timeouts, failure policies, `env`, `dir`, `undo`,
    `expect`/`cost` estimates and typed `output`s parsed with `json(...)` and `regex(...)`;
  * `agent` steps whose prompts (strings and `\"\"\"` text blocks) interpolate earlier steps'
    values, with `returns { ... }` records, `expect` and per-step models;
  * gates with `require`/`warn` over earlier steps' outputs (units: percent, duration, money,
    tokens), some with `approve` and an approval timeout;
  * every few phases a `parallel max N` group, a `repeat NAME max N until ...` loop, an
    `if`/`else`, a `for ... in LIST parallel max N` loop, a `wait` and a `call` into std/gates;
  * comments, and `on failure` / `finally` handlers.

Every reference is to a step that has finished by then: never a sibling in the same
`parallel`, never a step inside an `if` branch or a `for` body (the handlers read only `.status`
and `.ok`, which is always allowed), while steps after a `repeat` read its body. The output is
meant to check with zero diagnostics (`wf check --deny-warnings`). It is deterministic: the same
STEPS and seed give the same file.

Python 3 standard library only.
"""

import argparse
import random
import re
import sys

RESERVED = set(
    "use as const model provider workflow phase run agent call gate wait parallel if else "
    "repeat for in fail max until on finally true false and or not".split()
)

# Outputs a `run` step may declare: field -> (type, parser source).
OUTPUTS = {
    "cov": ("percent", 'json(stdout, "/coverage/total")'),
    "passed": ("int", 'json(stdout, "/tests/passed")'),
    "failed": ("int", 'json(stdout, "/tests/failed")'),
    "warnings": ("int", 'regex(stdout, "([0-9]+) warnings?")'),
    "took": ("duration", 'json(stdout, "/elapsed_ms")'),
    "p99": ("duration", 'regex(stdout, "p99=([0-9]+ms)")'),
    "sha": ("string", 'regex(stdout, "^([0-9a-f]{40})")'),
    "bundle_bytes": ("int", 'json(stdout, "/bundle/bytes")'),
    "spend": ("money", 'json(stdout, "/cost/usd")'),
    "error_rate": ("float", 'json(stdout, "/errors/rate")'),
    "version": ("string", 'regex(stdout, "version: ([0-9.]+)")'),
}

# Fields an agent may be asked to return. (`ok` is deliberately not used: every step already
# has an `ok` field.)
RETURNS = {
    "approved": "bool",
    "files": "list<string>",
    "score": "int",
    "summary": "string",
    "severity": "int",
    "findings": "list<string>",
    "confidence": "percent",
    "branch_name": "string",
}

BASE = {"status": "string", "ok": "bool", "attempts": "int", "duration": "duration",
        "cost": "money", "tokens": "tokens"}
RUN_BASE = dict(BASE, exit_code="int", stdout="string", stderr="string")
AGENT_BASE = dict(BASE, text="string")
GATE_BASE = dict(BASE, approved_by="string", comment="string")
BLOCK = {"ok": "bool", "cost": "money", "duration": "duration"}

THEMES = [
    "analysis", "scaffolding", "implementation", "unit tests", "integration tests",
    "static analysis", "security review", "performance", "documentation", "packaging",
    "staging deploy", "migration", "canary", "release", "observability", "cleanup",
]

SERVICES = ["api", "web", "worker", "billing"]

# (role, what the agent is asked to do)
AGENTS = [
    ("analyst", "Read ticket {t} and list the requirements, the files involved and the risks."),
    ("implementer", "Implement the next part of {t}. Keep the change small and covered by tests."),
    ("reviewer", "Review the change for {t}: correctness, naming, error handling, tests."),
    ("test-writer", "Write tests for the behaviour {t} changes, including the edge cases."),
    ("security-auditor", "Audit the change for {t} for injection, secrets and unsafe defaults."),
    ("tech-writer", "Update the user documentation and the changelog for {t}."),
    ("performance-engineer", "Find the hot paths {t} touches and propose measured improvements."),
    ("release-manager", "Draft the release notes for {t} and list anything that needs a migration."),
]

# Commands: a template and the outputs it prints. `{ref:a,b}` becomes an interpolation of an
# earlier step's field `a` or `b` (a bare word, never inside shell quotes), `{t}` the ticket.
COMMANDS = [
    ("cargo test --workspace --no-fail-fast -- -Z unstable-options --format json", ["passed", "failed", "took"]),
    ("npm test -- --json --coverage", ["cov", "passed", "failed"]),
    ("pytest -q --cov=src --cov-report=json:coverage.json --json-report", ["cov", "passed", "took"]),
    ("npx eslint . --format json --max-warnings 50", ["warnings"]),
    ("cargo clippy --all-targets --message-format short", ["warnings"]),
    ("git rev-parse HEAD && git log -1 --format=%ci", ["sha"]),
    ("npm run build -- --json-stats", ["bundle_bytes", "took"]),
    ("k6 run --quiet --summary-export=/dev/stdout load/smoke.js", ["p99", "error_rate"]),
    ("./scripts/bench.sh --compare origin/main --json", ["p99", "took"]),
    ("infracost breakdown --path infra --format json", ["spend"]),
    ("./scripts/version.sh --next", ["version"]),
    ("semgrep scan --config auto --error --quiet --json", ["warnings"]),
    ("docker build --quiet -t registry.acme.dev/app:{t} .", []),
    ("terraform -chdir=infra plan -input=false -out=plan.bin", []),
    ("kubectl -n staging rollout status deploy/app --timeout=5m", []),
    ("./scripts/apply-patch.sh --ticket {t} --files {ref:files}", []),
    ("echo {ref:summary,text} >> notes/{t}.md", []),
    ("gh pr create --draft --head {ref:branch_name} --body-file notes/{t}.md", []),
    ("./scripts/notify.sh --channel eng-builds --ticket {t} --status {ref:status}", []),
    ("git tag v{ref:version} && git push origin --tags", []),
    ("./scripts/lint-files.sh {ref:files,findings}", ["warnings"]),
    ("./scripts/record.sh --sha {ref:sha} --coverage {ref:cov}", []),
    ("make -j2 check ARGS=--quiet", ["took"]),
]

PROMPT_TAILS = [
    "Earlier output: {ref:text,summary}",
    "Start from this summary: {ref:summary}",
    "The last test run printed: {ref:stdout}",
    "These files changed: {ref:files}",
    "Reviewer notes so far: {ref:findings,summary}",
    "Coverage was {ref:cov} on the last run.",
    "The p99 latency was {ref:p99}.",
    "Lint reported {ref:warnings} warnings.",
    "The build is at commit {ref:sha}.",
]


def fmt_ms(ms):
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def backoff_total(count, low, high):
    """The checker's worst case: the sum of min(low * 2^i, high) over the retries."""
    total, delay = 0, low
    for _ in range(count):
        total += min(delay, high)
        delay *= 2
    return total


class Step:
    __slots__ = ("name", "fields", "kind")

    def __init__(self, name, kind, fields):
        self.name, self.kind, self.fields = name, kind, fields


class Gen:
    def __init__(self, steps, seed):
        self.rng = random.Random(seed)
        self.total = steps
        self.lines = []
        self.depth = 0
        self.pool = []          # steps and blocks every later statement may read, in order
        self.maybe = []         # steps inside `if` branches: later, only `.status`/`.ok`
        self.emitted = 0        # leaf steps so far
        self.phase = 0
        self.index = 0          # step number within the phase
        self.used_services = False
        self.used_gates = False
        self.available = set()  # the fields some readable step has

    def add(self, step):
        self.pool.append(step)
        self.available.update(step.fields)

    def usable(self, template):
        """Whether every `{ref:a,b}` slot of a template can be filled from readable steps."""
        rest = template
        while "{ref:" in rest:
            start = rest.index("{ref:")
            end = rest.index("}", start)
            if not self.available.intersection(rest[start + 5:end].split(",")):
                return False
            rest = rest[end + 1:]
        return True

    # ----- output -----
    def line(self, text=""):
        self.lines.append(("  " * self.depth + text) if text else "")

    def open(self, text):
        self.line(text + " {")
        self.depth += 1

    def close(self):
        self.depth -= 1
        self.line("}")

    def new_name(self):
        self.index += 1
        name = f"p{self.phase}_s{self.index}"
        assert name not in RESERVED
        self.emitted += 1
        return name

    # ----- choosing what to read -----
    def pick(self):
        """An earlier step: mostly a recent one, sometimes one from far back, so lookups span
        the whole workflow."""
        if not self.pool:
            return None
        if self.rng.random() < 0.8:
            return self.rng.choice(self.pool[-40:])
        return self.rng.choice(self.pool)

    def ref(self, names):
        """An interpolation `{{step.field}}` of an earlier step's field, one of `names`
        (mostly a recent step, sometimes one from far back); else an earlier step's output."""
        r = self.rng
        for _ in range(8):
            step = self.pick()
            if step is None:
                break
            fields = [f for f in names if f in step.fields]
            if fields:
                return "{{%s.%s}}" % (step.name, r.choice(fields))
        for step in reversed(self.pool):
            fields = [f for f in names if f in step.fields]
            if fields:
                return "{{%s.%s}}" % (step.name, r.choice(fields))
        step = self.pick()
        if step is None or "stdout" not in step.fields:
            return "{{ticket}}"
        return "{{%s.stdout}}" % step.name

    def fill(self, template):
        """Replaces `{t}` by the ticket and every `{ref:a,b}` by an earlier value."""
        text = template.replace("{t}", "{{ticket}}")
        while "{ref:" in text:
            start = text.index("{ref:")
            end = text.index("}", start)
            text = text[:start] + self.ref(text[start + 5:end].split(",")) + text[end + 1:]
        return text

    def check(self):
        """A bool expression over one earlier step's values, and what it means."""
        step = self.pick()
        if step is None:
            return 'ticket != ""', "a ticket is needed"
        r, n, f = self.rng, step.name, step.fields
        options = [(f"{n}.ok", f"`{n}` must succeed")]
        if "cov" in f:
            options += [(f"{n}.cov >= coverage_floor", "coverage must not drop below the floor"),
                        (f"{n}.cov >= {r.choice([70, 75, 85])}%", "coverage is below the phase target")]
        if "passed" in f:
            options.append((f"{n}.passed > 0", "the test run found no tests"))
        if "failed" in f:
            options.append((f"{n}.failed == 0", "every test must pass"))
        if "warnings" in f:
            options.append((f"{n}.warnings <= {r.choice([0, 10, 25])}", "too many new warnings"))
        if "took" in f:
            options.append((f"{n}.took < {r.choice(['10m', '20m', '1h'])}", "the suite got slower than allowed"))
        if "p99" in f:
            options.append((f"{n}.p99 <= {r.choice(['250ms', '500ms', '1s'])}", "p99 latency is over budget"))
        if "sha" in f:
            options.append((f'matches({n}.sha, "^[0-9a-f]+$")', "the build must come from a commit"))
        if "bundle_bytes" in f:
            options.append((f"{n}.bundle_bytes < 5_000_000", "the bundle must stay under 5 MB"))
        if "spend" in f:
            options.append((f"{n}.spend <= ${r.choice(['50.00', '120.00'])}", "infrastructure spend is over plan"))
        if "error_rate" in f:
            options.append((f"{n}.error_rate < 0.01", "the error rate must stay under 1%"))
        if "version" in f:
            options.append((f"len({n}.version) > 0", "the next version could not be computed"))
        if "approved" in f:
            options.append((f"{n}.approved", "the review must approve the change"))
        if "score" in f:
            options.append((f"{n}.score >= {r.choice([6, 7, 8])}", "the review score is too low"))
        if "files" in f:
            options.append((f"len({n}.files) <= {r.choice([10, 25, 50])}", "the change touches too many files"))
        if "findings" in f:
            options.append((f"len({n}.findings) == 0", "open findings must be fixed first"))
        if "severity" in f:
            options.append((f"{n}.severity < 3", "a severe issue needs a person"))
        if "confidence" in f:
            options.append((f"{n}.confidence >= 60%", "the agent is not confident enough"))
        if "text" in f:
            options.append((f"{n}.tokens < {r.choice(['20k', '40k', '1.5M'])} tokens", "the agent used far more tokens than usual"))
        if "iterations" in f:
            options.append((f"{n}.iterations <= max_rounds", "the loop needed too many rounds"))
        if step.kind in ("run", "agent", "call"):
            options += [(f"{n}.attempts <= 3", "too many attempts: look at the flakiness"),
                        (f"{n}.cost <= $5.00", "the step cost more than planned"),
                        (f"{n}.duration < 2h", "the step took too long"),
                        (f'{n}.status == "succeeded"', f"`{n}` must succeed")]
        return r.choice(options)

    def condition(self):
        """A bool expression, sometimes two checks joined by `and` / `or`."""
        (expr, message), roll = self.check(), self.rng.random()
        if roll < 0.15:
            other, _ = self.check()
            return f"{expr} and {other}", message
        if roll < 0.22:
            other, _ = self.check()
            return f"{expr} or {other}", message
        return expr, message

    # ----- statements -----
    def comment(self):
        texts = [
            "Retries cover flaky network calls; the timeout bounds each attempt.",
            "Structured output, so later gates can compare numbers with units.",
            "Real command in CI; locally the wrapper script prints the same JSON.",
            "Keep this step's name stable: resumed runs match steps by identity.",
            "Reads an earlier step's output: it is one shell word, whatever it holds.",
        ]
        self.line("// " + self.rng.choice(texts))

    def run_step(self, outputs=None, policy=None, in_loop=False):
        r = self.rng
        name = self.new_name()
        if outputs is None:
            template, outs = r.choice([c for c in COMMANDS if self.usable(c[0])])
        else:
            template, outs = outputs
        command = self.fill(template)
        if r.random() < 0.3:
            self.comment()
        attrs = []
        # Retries: the timeout is always at least the worst-case sum of backoffs.
        timeout = None
        if r.random() < 0.45:
            count = r.choice([1, 2, 3])
            low, high = r.choice([(1000, 10_000), (2000, 30_000), (5000, 60_000), (500, 5000)])
            timeout = max(r.choice([120_000, 300_000, 600_000, 1_800_000]), backoff_total(count, low, high))
            on = r.choice(["", "", " on exit 1", " on timeout, error", " on exit 1, exit 2"])
            attrs.append(f"retry {count} backoff {fmt_ms(low)}..{fmt_ms(high)}{on}")
        elif r.random() < 0.5:
            timeout = r.choice([60_000, 300_000, 900_000, 3_600_000])
        if timeout is not None:
            attrs.append(f"timeout {fmt_ms(timeout)}")
        if policy:
            attrs.append(f"on failure {policy}")
        elif r.random() < 0.2:
            attrs.append("on failure continue")
        if r.random() < 0.25:
            attrs.append("env { RUST_LOG: \"info\", TICKET: ticket, STAGE: \"p%d\" }" % self.phase)
        if r.random() < 0.12:
            attrs.append('dir "services/%s"' % r.choice(SERVICES))
        if r.random() < 0.35:
            attrs.append("expect " + r.choice(["30s", "2m", "5m", "12m"]))
        if r.random() < 0.08:
            attrs.append("cost $" + r.choice(["0.05", "0.40", "1.20"]))
        if r.random() < 0.06 and not in_loop:
            attrs.append('undo run "./scripts/revert.sh --ticket {{ticket}} --stage p%d"' % self.phase)
        fields = dict(RUN_BASE)
        for out in outs:
            ty, source = OUTPUTS[out]
            attrs.append(f"output {out}: {ty} = {source}")
            fields[out] = ty
        if attrs:
            self.open(f'run {name} "{command}"')
            for attr in attrs:
                self.line(attr)
            self.close()
        else:
            self.line(f'run {name} "{command}"')
        return Step(name, "run", fields)

    def agent_step(self):
        r = self.rng
        name = self.new_name()
        role, task = r.choice(AGENTS)
        task = self.fill(task)
        tails = [t for t in PROMPT_TAILS if self.usable(t)] or ["Earlier output: {ref:stdout}"]
        tails = [self.fill(tail) for tail in r.sample(tails, min(len(tails), r.choice([1, 1, 2])))]
        model = r.choice(["opus", "haiku"]) if r.random() < 0.3 else None
        if model == "opus" and r.random() < 0.5:
            self.line("// The careful model: the steps after this one build on its answer.")
        elif r.random() < 0.12:
            self.line("// " + r.choice([
                "The agent answers in typed fields; the gates below compare them.",
                "Earlier output goes into the prompt as text; it never reaches a shell.",
            ]))
        self.open(f'agent {name} "{role}"')
        if model:
            self.line("model models." + model)
        if r.random() < 0.35:
            self.line('prompt """')
            self.depth += 1
            self.line(task)
            for tail in tails:
                self.line(tail)
            self.line("Answer with the fields asked for, nothing else.")
            self.line('"""')
            self.depth -= 1
        else:
            self.line('prompt "%s %s"' % (task, " ".join(tails)))
        fields = dict(AGENT_BASE)
        if r.random() < 0.85:
            chosen = r.sample(sorted(RETURNS), r.choice([1, 2, 3]))
            chosen.sort(key=list(RETURNS).index)
            self.line("returns { %s }" % ", ".join(f"{f}: {RETURNS[f]}" for f in chosen))
            fields.update((f, RETURNS[f]) for f in chosen)
        self.line("expect %s tokens" % r.choice(["4k", "8k", "12k", "18k", "30k"]))
        if r.random() < 0.15:
            self.line("retry 1 backoff 5s..30s on error")
            self.line("timeout 20m")
        self.close()
        return Step(name, "agent", fields)

    def gate_step(self, closing=False):
        r = self.rng
        name = self.new_name()
        checks = []
        for _ in range(r.choice([1, 2, 2, 3])):
            kind = "require" if r.random() < 0.7 else "warn"
            expr, message = self.condition()
            checks.append(f'{kind} {expr} "{message}"')
        if closing and self.phase == 1:
            checks.append('require %s.ok or not strict "strict runs need a clean start"' % self.pool[0].name)
        self.open(f"gate {name}")
        for check in checks:
            self.line(check)
        if closing and self.phase % 5 == 0:
            self.line('approve "Phase p%d of {{ticket}} is done. Go on?"' % self.phase)
            self.line("timeout 4h")
            self.line("on timeout reject")
        self.close()
        return Step(name, "gate", dict(GATE_BASE))

    def wait_step(self):
        name = self.new_name()
        self.line("// Let the metrics settle before the next checks read them.")
        self.line(f"wait {name} {self.rng.choice(['2m', '5m', '10m'])}")
        return Step(name, "wait", dict(BASE))

    def call_step(self):
        self.used_gates = True
        name = self.new_name()
        svc = self.rng.choice(SERVICES)
        self.open(f"call {name} g.quality(project: \"services/{svc}\", max_lint_warnings: {self.rng.choice([0, 5, 20])})")
        self.line("on failure continue")
        self.line("timeout 45m")
        self.close()
        return Step(name, "call", dict(BASE))

    def parallel_group(self, size):
        """`size` steps side by side; none reads another; all are readable after the group."""
        named = self.rng.random() < 0.6
        block = f"par{self.phase}"
        self.line("// Independent checks, side by side.")
        self.open(f"parallel {block + ' ' if named else ''}max {min(size, 4)}")
        done = []
        for i in range(size):
            done.append(self.run_step() if i % 3 != 2 else self.agent_step())
        self.close()
        self.pool.extend(done)
        if named:
            self.add(Step(block, "block", dict(BLOCK)))

    def repeat_loop(self, size):
        """A fix-and-test loop; steps after it read its last iteration."""
        block = f"r{self.phase}"
        # The test step's name is known in advance: it is the last of the body.
        test = f"p{self.phase}_s{self.index + size}"
        until = self.rng.choice([f"{test}.ok", f"{test}.ok and {test}.cov >= coverage_floor"])
        self.line("// Fix, test, and go again with what the tests printed.")
        self.open(f"repeat {block} max max_rounds until {until}")
        done = []
        for i in range(size - 1):
            done.append(self.agent_step() if i == 0 else self.run_step(policy="continue", in_loop=True))
            self.add(done[-1])  # later body steps may read earlier ones
        done.append(self.run_step(outputs=(COMMANDS[1][0], ["cov", "passed", "failed"]), policy="continue", in_loop=True))
        assert done[-1].name == test
        self.close()
        self.add(done[-1])
        self.add(Step(block, "block", dict(BLOCK, iterations="int")))

    def if_block(self):
        """Two branches of one step each; nothing outside reads them except `.status`."""
        cond = self.rng.choice(["strict", self.condition()[0]])
        self.open(f"if {cond}")
        self.maybe.append(self.run_step())
        self.depth -= 1
        self.line("} else {")
        self.depth += 1
        self.maybe.append(self.run_step(policy="continue"))
        self.close()

    def for_loop(self, size):
        """One pass per service; steps in the body read each other, outside only the block."""
        self.used_services = True
        block = f"each{self.phase}"
        self.line("// Every service the same way, two at a time.")
        self.open(f"for {block} svc in services parallel max 2")
        self.line("timeout 1h")
        first = self.new_name()
        self.open(f'run {first} "./scripts/deploy.sh --service {{{{svc}}}} --ticket {{{{ticket}}}}"')
        self.line("retry 2 backoff 10s..1m on exit 1")
        self.line("timeout 15m")
        self.line("output version: string = regex(stdout, \"deployed version: ([0-9.]+)\")")
        self.close()
        for _ in range(size - 1):
            name = self.new_name()
            self.open(f'run {name} "./scripts/smoke.sh --service {{{{svc}}}} --version {{{{{first}.version}}}}"')
            self.line("timeout 10m")
            self.close()
        self.close()
        self.add(Step(block, "block", dict(BLOCK)))

    # ----- phases -----
    def phase_block(self, budget):
        r = self.rng
        self.phase += 1
        self.index = 0
        theme = THEMES[(self.phase - 1) % len(THEMES)]
        self.line()
        self.line(f"// Phase {self.phase}: {theme}.")
        self.open(f"phase p{self.phase}")
        if r.random() < 0.3:
            self.line("timeout 6h")
        left = budget - 1  # the closing gate
        specials = []
        if self.phase % 2 == 0:
            specials.append(("parallel", r.choice([3, 4])))
        if self.phase % 3 == 0:
            specials.append(("repeat", r.choice([2, 3])))
        if self.phase % 4 == 1 and self.phase > 1:
            specials.append(("if", 2))
        if self.phase % 5 == 0:
            specials.append(("for", 2))
        if self.phase % 6 == 3:
            specials.append(("call", 1))
        if self.phase % 7 == 4:
            specials.append(("wait", 1))
        if self.phase == 1:
            # The first step reads nothing.
            step = self.run_step(outputs=("git fetch origin {{branch}} && git checkout {{branch}} && git rev-parse HEAD", ["sha"]))
            self.add(step)
            left -= 1
        # Spread the specials among plain steps.
        plain = left - sum(size for _, size in specials if size <= left)
        slots = sorted(r.sample(range(max(plain, 0) + len(specials)), len(specials))) if specials else []
        position = 0
        while left > 0:
            if specials and slots and position == slots[0]:
                slots.pop(0)
                kind, size = specials.pop(0)
                position += 1
                if size > left:
                    continue
                left -= size
                if kind == "parallel":
                    self.parallel_group(size)
                elif kind == "repeat":
                    self.repeat_loop(size)
                elif kind == "if":
                    self.if_block()
                elif kind == "for":
                    self.for_loop(size)
                elif kind == "call":
                    self.add(self.call_step())
                else:
                    self.add(self.wait_step())
                continue
            position += 1
            roll = r.random()
            if roll < 0.58:
                step = self.run_step()
            elif roll < 0.9 or not self.pool:
                step = self.agent_step()
            else:
                step = self.gate_step()
            self.add(step)
            left -= 1
        self.add(self.gate_step(closing=True))
        self.close()
        self.add(Step(f"p{self.phase}", "block", dict(BLOCK)))

    def workflow(self):
        self.depth = 1
        handlers = 2
        body = self.total - handlers
        sizes = []
        while body > 0:
            size = self.rng.randint(16, 24)
            if body - size < 8:
                size = body if body <= 30 else body // 2
            sizes.append(size)
            body -= size
        for size in sizes:
            self.phase_block(size)

        last = next(s.name for s in reversed(self.pool) if s.kind != "block")
        self.line()
        self.open("on failure")
        self.index = 0
        name = "rescue_s1"
        self.emitted += 1
        self.line(f'run {name} "./scripts/notify.sh --channel eng-builds --ticket {{{{ticket}}}} --status failed --last {{{{{last}.status}}}}"')
        self.close()
        self.open("finally")
        self.emitted += 1
        maybe = self.maybe[-3:]
        statuses = " ".join("{{%s.status}}" % s.name for s in maybe) or "{{%s.status}}" % last
        self.line("// Handlers may read only `.status` and `.ok` of the steps: any may not have run.")
        self.open(f'run final_s1 "./scripts/report.sh --ticket {{{{ticket}}}} --statuses {statuses}"')
        self.line("on failure continue")
        self.line("timeout 5m")
        self.close()
        self.close()
        assert self.emitted == self.total, (self.emitted, self.total)

        body = "\n".join(self.lines)
        self.lines, self.depth = [], 0
        phases = f"{self.phase} phase" + ("s" if self.phase != 1 else "")
        self.line(f"// Generated by benches/gen_workflow.py: {self.total} steps in {phases}.")
        self.line("// A synthetic but realistic pipeline for benchmarking `wf check`; it is not meant to run.")
        self.line()
        self.line("use std/models")
        if self.used_gates:
            self.line("use std/gates as g")
        self.line()
        # Only constants the body uses: an unused one is a warning.
        consts = [("coverage_floor", "80%"), ("max_rounds", "3"),
                  ("services", "[%s]" % ", ".join(f'"{s}"' for s in SERVICES))]
        consts = [(n, v) for n, v in consts
                  if (self.used_services if n == "services" else re.search(r"\b%s\b" % n, body))]
        for n, v in consts:
            self.line(f"const {n} = {v}")
        if consts:
            self.line()
        self.open("workflow bench_pipeline(ticket: string, branch: string = \"main\", strict: bool = false)")
        self.line(f'description "Synthetic {self.total}-step pipeline for the wf check benchmark"')
        # `wf check` warns when the worst case goes over a budget, and the benchmark needs a
        # clean file: the budgets grow with the size, about twice the worst case (at seed 17
        # it is about $0.08 and 5.3k tokens a step; $0.13 a step at 100 steps).
        self.line("budget $%d.00 warn at 80%%" % max(300, self.total // 4))
        self.line("budget %s tokens" % f"{max(50_000_000, 10_000 * self.total):_}")
        self.line("timeout 7d")
        self.line("mode hybrid")
        self.line("provider sim")
        self.line("model models.sonnet")
        self.line("concurrency 4")
        self.line("secret DEPLOY_TOKEN      // the deploy scripts read $DEPLOY_TOKEN; it is never interpolated")
        self.line('env { CI: "true", BRANCH: branch }')
        self.line('shell "bash"')
        return "\n".join(self.lines) + "\n" + body + "\n}\n"


def main(argv):
    parser = argparse.ArgumentParser(description="Generate a large, realistic .wf workflow.")
    parser.add_argument("steps", type=int, help="number of steps (at least 4)")
    parser.add_argument("out", help="the .wf file to write ('-' for stdout)")
    parser.add_argument("--seed", type=int, default=17, help="random seed (default 17)")
    args = parser.parse_args(argv)
    if args.steps < 4:
        parser.error("STEPS must be at least 4")
    text = Gen(args.steps, args.seed).workflow()
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
