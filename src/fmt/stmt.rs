//! Blocks and statements.
//!
//! A block of statements (workflow, phase, `parallel`, `if`, `repeat`, `for`, handlers) always
//! takes one entry per line. A step's block (`run`, `agent`, `call`, `wait`, `gate`) stays on
//! the step's line when it holds one or two attributes and no comment, and the whole line
//! fits; three or more attributes read as a list, and a list reads best one per line.

use super::attr::path_text;
use super::layout::fits;
use super::printer::{ListLine, Printer};
use crate::span::Span;
use crate::syntax::ast::{Block, Call, Entry, For, If, NamedArg, Parallel, Repeat, Stmt};

/// The most attributes a step's block holds on the step's line.
const FLAT_ATTRS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BlockKind {
    /// Statements: one per line.
    Statements,
    /// A step's attributes: on the step's line when they fit.
    Step,
}

pub(super) fn entry_span(entry: &Entry) -> Span {
    match entry {
        Entry::Attr(attr) => attr.span,
        Entry::Stmt(stmt) => stmt_span(stmt),
    }
}

fn stmt_span(stmt: &Stmt) -> Span {
    match stmt {
        Stmt::Phase(phase) => phase.span,
        Stmt::Run(run) => run.span,
        Stmt::Agent(agent) => agent.span,
        Stmt::Call(call) => call.span,
        Stmt::Gate(gate) => gate.span,
        Stmt::Wait(wait) => wait.span,
        Stmt::Watch(watch) => watch.span,
        Stmt::Parallel(parallel) => parallel.span,
        Stmt::If(stmt) => stmt.span,
        Stmt::Repeat(repeat) => repeat.span,
        Stmt::For(stmt) => stmt.span,
        Stmt::Fail(fail) => fail.span,
        Stmt::OnFailure(handler) | Stmt::Finally(handler) => handler.span,
    }
}

impl Printer<'_> {
    /// `head { ... }` at `depth`. Comments between the head and `{` that are still to be
    /// placed (after an `else`, after a broken parameter list) go first inside the block.
    pub(super) fn block(&mut self, head: &str, block: &Block, depth: usize, kind: BlockKind) {
        let moved = self.comments.take_before(block.span.start);
        let close = block.span.end.saturating_sub(1);
        if moved.is_empty() && !self.comments.any_before(close) {
            if block.entries.is_empty() {
                self.push(depth, format!("{head} {{}}"));
                return;
            }
            if kind == BlockKind::Step {
                if let Some(line) = self.flat_block(head, block, depth) {
                    self.push(depth, line);
                    return;
                }
            }
        }
        self.open_line(depth, format!("{head} {{"), block.span.start);
        for comment in moved {
            self.push_comment(depth + 1, comment);
        }
        self.sequence(&block.entries, entry_span, close, depth + 1, Self::entry);
        self.push(depth, "}");
    }

    /// `head { a b }` when the entries are at most [`FLAT_ATTRS`] attributes, each on one
    /// line, and the line fits.
    fn flat_block(&self, head: &str, block: &Block, depth: usize) -> Option<String> {
        if block.entries.len() > FLAT_ATTRS {
            return None;
        }
        let mut line = format!("{head} {{");
        for entry in &block.entries {
            let Entry::Attr(attr) = entry else { return None };
            let text = self.attr_text(attr, depth + 1);
            if text.contains('\n') {
                return None;
            }
            line.push(' ');
            line.push_str(&text);
        }
        line.push_str(" }");
        fits(depth, &line).then_some(line)
    }

    pub(super) fn entry(&mut self, entry: &Entry, depth: usize) {
        match entry {
            Entry::Attr(attr) => self.attr(attr, depth),
            Entry::Stmt(stmt) => self.stmt(stmt, depth),
        }
    }

    fn stmt(&mut self, stmt: &Stmt, depth: usize) {
        match stmt {
            Stmt::Phase(phase) => self.container(&format!("phase {}", phase.name.name), &phase.body, depth),
            Stmt::Run(run) => {
                let head = format!("run {} {}", run.name.name, self.string(&run.command, depth));
                self.step(&head, run.attrs.as_ref(), run.span, depth);
            }
            Stmt::Agent(agent) => {
                let head = format!("agent {} {}", agent.name.name, self.string(&agent.role, depth));
                self.step(&head, agent.attrs.as_ref(), agent.span, depth);
            }
            Stmt::Call(call) => self.call(call, depth),
            Stmt::Gate(gate) => self.step(&format!("gate {}", gate.name.name), Some(&gate.body), gate.span, depth),
            Stmt::Wait(wait) => {
                let head = format!("wait {} {}", wait.name.name, self.expr(&wait.duration, depth));
                self.step(&head, wait.attrs.as_ref(), wait.span, depth);
            }
            Stmt::Watch(watch) => {
                let head = format!(
                    "watch {} {} every {} for {}",
                    watch.name.name,
                    self.string(&watch.command, depth),
                    self.expr(&watch.every, depth),
                    self.expr(&watch.duration, depth)
                );
                self.step(&head, Some(&watch.body), watch.span, depth);
            }
            Stmt::Parallel(parallel) => self.container(&self.parallel_head(parallel, depth), &parallel.body, depth),
            Stmt::If(stmt) => self.if_stmt(stmt, depth),
            Stmt::Repeat(repeat) => self.container(&self.repeat_head(repeat, depth), &repeat.body, depth),
            Stmt::For(stmt) => self.container(&self.for_head(stmt, depth), &stmt.body, depth),
            Stmt::Fail(fail) => {
                let head = format!("fail {}", self.string(&fail.message, depth));
                self.step(&head, None, fail.span, depth);
            }
            Stmt::OnFailure(handler) => self.container("on failure", &handler.body, depth),
            Stmt::Finally(handler) => self.container("finally", &handler.body, depth),
        }
    }

    /// A statement whose head is printed on one line: comments inside the head move before it.
    fn container(&mut self, head: &str, body: &Block, depth: usize) {
        self.hoist(body.span.start, depth);
        self.block(head, body, depth, BlockKind::Statements);
    }

    fn step(&mut self, head: &str, attrs: Option<&Block>, span: Span, depth: usize) {
        match attrs {
            Some(attrs) => {
                self.hoist(attrs.span.start, depth);
                self.block(head, attrs, depth, BlockKind::Step);
            }
            None => {
                let end = self.comments.tight_end(span);
                self.hoist(end, depth);
                self.push(depth, head);
            }
        }
    }

    /// `call NAME target(arg: value, ...)`, with one argument per line when they do not fit
    /// or hold comments.
    fn call(&mut self, call: &Call, depth: usize) {
        let open = self.comments.find(call.target.span.end, '(', &[]).unwrap_or(call.target.span.end);
        let after_args = call.args.last().map_or(open + 1, |arg| self.comments.tight_end(arg.span));
        let close = self.comments.find(after_args, ')', &[',']).unwrap_or(after_args);
        self.hoist(open, depth);
        let head = format!("call {} {}", call.name.name, path_text(&call.target.segments));
        let args: Vec<ListLine> =
            call.args.iter().map(|arg| ListLine { span: arg.span, text: self.named_arg(arg, depth + 1) }).collect();
        let flat = format!("{head}({})", args.iter().map(|arg| arg.text.as_str()).collect::<Vec<_>>().join(", "));
        let brace = if call.attrs.is_some() { " {" } else { "" };
        let rest = if !self.comments.any_before(close) && fits(depth, &format!("{flat}{brace}")) {
            flat
        } else {
            self.broken_list(depth, format!("{head}("), (open, close), &args, ",", ")");
            // The `)` line is continued by the block, if there is one.
            self.continue_line().unwrap_or_else(|| ")".to_owned())
        };
        match &call.attrs {
            Some(attrs) => self.block(&rest, attrs, depth, BlockKind::Step),
            None => self.push(depth, rest),
        }
    }

    fn named_arg(&self, arg: &NamedArg, depth: usize) -> String {
        format!("{}: {}", arg.name.name, self.expr(&arg.value, depth))
    }

    fn parallel_head(&self, parallel: &Parallel, depth: usize) -> String {
        let mut head = "parallel".to_owned();
        if let Some(name) = &parallel.name {
            head.push_str(&format!(" {}", name.name));
        }
        if let Some(max) = &parallel.max {
            head.push_str(&format!(" max {}", self.expr(max, depth)));
        }
        head
    }

    fn repeat_head(&self, repeat: &Repeat, depth: usize) -> String {
        let mut head = "repeat".to_owned();
        if let Some(name) = &repeat.name {
            head.push_str(&format!(" {}", name.name));
        }
        head.push_str(&format!(" max {}", self.expr(&repeat.max, depth)));
        if let Some(until) = &repeat.until {
            head.push_str(&format!(" until {}", self.expr(until, depth)));
        }
        head
    }

    fn for_head(&self, stmt: &For, depth: usize) -> String {
        let mut head = "for".to_owned();
        if let Some(name) = &stmt.name {
            head.push_str(&format!(" {}", name.name));
        }
        if let Some(index) = &stmt.index {
            head.push_str(&format!(" {},", index.name));
        }
        head.push_str(&format!(" {} in {}", stmt.var.name, self.expr(&stmt.iter, depth)));
        match &stmt.parallel {
            Some(Some(max)) => head.push_str(&format!(" parallel max {}", self.expr(max, depth))),
            Some(None) => head.push_str(" parallel"),
            None => {}
        }
        head
    }

    /// `if c { } else if c { } else { }`, each `else` on the line of the `}` before it.
    /// Comments between a `}` and the next `{` go first inside the next block.
    fn if_stmt(&mut self, stmt: &If, depth: usize) {
        for (i, (condition, body)) in stmt.branches.iter().enumerate() {
            let head = format!("if {}", self.expr(condition, depth));
            if i == 0 {
                self.container(&head, body, depth);
            } else {
                self.else_block(&format!("else {head}"), body, depth);
            }
        }
        if let Some(otherwise) = &stmt.otherwise {
            self.else_block("else", otherwise, depth);
        }
    }

    fn else_block(&mut self, head: &str, body: &Block, depth: usize) {
        let head = match self.continue_line() {
            Some(line) => format!("{line} {head}"),
            None => head.to_owned(),
        };
        self.block(&head, body, depth, BlockKind::Statements);
    }
}
