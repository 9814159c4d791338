//! Where the cursor is, read from the text alone: the text being typed rarely parses (the
//! parser drops a broken item whole), so completion cannot rely on the tree. One pass over
//! the text before the cursor follows comments, strings, `{{ }}` and braces, and keeps the
//! tokens of the statement being written.

/// The kind of `{ }` the cursor is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Outside every block: items.
    Top,
    Workflow,
    Phase,
    Parallel,
    Repeat,
    For,
    /// An `if` or `else` branch.
    Branch,
    /// `on failure { }` or `finally { }` of a workflow.
    Handler,
    Run,
    Agent,
    Call,
    Gate,
    Wait,
    Watch,
    /// A `model` item.
    Model,
    /// A `provider` item.
    Provider,
    /// `env { }`, `returns { }`, a record type: no keywords here.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The innermost block around the cursor.
    pub block: Block,
    /// In a comment or in the text of a string: nothing to complete.
    pub in_text: bool,
    /// In a `{{ }}` of a string: an expression.
    pub in_interp: bool,
    /// The word being typed, up to the cursor (possibly empty).
    pub prefix: String,
    /// The name before `.` when the word follows one (`plan.` gives `plan`); `None` when it
    /// does not, or when the name is itself dotted.
    pub dotted: Option<String>,
    /// The tokens of the statement before the word (and before `NAME.`), last one last.
    pub previous: Vec<String>,
    /// Whether the word is the first on its line.
    pub line_start: bool,
    /// The workflow the cursor is in, by the name after `workflow`.
    pub workflow: Option<String>,
}

impl Context {
    pub fn last(&self) -> Option<&str> {
        self.previous.last().map(String::as_str)
    }

    /// Whether the word starts an attribute or a statement (rather than continuing an
    /// expression, which may go on over several lines).
    pub fn entry_start(&self) -> bool {
        !self.in_interp && (self.previous.is_empty() || (self.line_start && !self.last().is_some_and(wants_operand)))
    }

    /// The word a `watch`'s head needs next: `every` after its command, `for` after the
    /// interval.
    pub fn watch_head(&self) -> Option<&'static str> {
        let at = self.previous.iter().rposition(|token| token == "watch")?;
        match &self.previous[at + 1..] {
            [_, quote] if quote == "\"" => Some("every"),
            [_, quote, every, _, ..]
                if quote == "\"" && every == "every" && !self.previous[at..].iter().any(|t| t == "for") =>
            {
                Some("for")
            }
            _ => None,
        }
    }
}

/// Tokens after which an expression (not a new entry) comes.
fn wants_operand(token: &str) -> bool {
    matches!(
        token,
        "and"
            | "or"
            | "not"
            | "if"
            | "in"
            | "max"
            | "until"
            | "require"
            | "warn"
            | "timeout"
            | "expect"
            | "every"
            | "when"
            | "cost"
            | "budget"
            | "dir"
            | "concurrency"
            | "retry"
            | "at"
            | "="
            | "<"
            | ">"
            | "!"
            | "+"
            | "-"
            | "*"
            | "/"
            | "("
            | "["
            | ","
            | ":"
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    Str,
    TextBlock,
    Interp,
}

/// A token of the statement being read, and where it ends.
struct Token {
    text: String,
    end: usize,
}

/// Reads the text before `offset`.
pub fn at(text: &str, offset: usize) -> Context {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let bytes = &text.as_bytes()[..offset];
    let mut modes = vec![Mode::Code];
    // The statement being read at each level of `{{ }}`: code, then each interpolation.
    let mut segments: Vec<Vec<Token>> = vec![Vec::new()];
    // Open blocks, and for a record type's `{ }` the statement it sits in, which goes on after it.
    let mut blocks: Vec<(Block, Vec<Token>)> = Vec::new();
    let mut workflow = None;
    let mut in_comment = false;
    let mut i = 0;
    let starts = |i: usize, pattern: &[u8]| bytes[i..].starts_with(pattern);
    while i < bytes.len() {
        let mode = *modes.last().unwrap_or(&Mode::Code);
        let Some(segment) = segments.last_mut() else { break };
        let b = bytes[i];
        match mode {
            Mode::Code | Mode::Interp => {
                if starts(i, b"//") {
                    match bytes[i..].iter().position(|&c| c == b'\n') {
                        Some(end) => i += end,
                        None => {
                            in_comment = true;
                            break;
                        }
                    }
                } else if starts(i, b"/*") {
                    match text[i + 2..offset].find("*/") {
                        Some(end) => i += end + 4,
                        None => {
                            in_comment = true;
                            break;
                        }
                    }
                } else if mode == Mode::Interp && starts(i, b"}}") {
                    modes.pop();
                    segments.pop();
                    i += 2;
                } else if starts(i, b"\"\"\"") {
                    segment.push(Token { text: "\"".into(), end: i + 3 });
                    modes.push(Mode::TextBlock);
                    i += 3;
                } else if b == b'"' {
                    segment.push(Token { text: "\"".into(), end: i + 1 });
                    modes.push(Mode::Str);
                    i += 1;
                } else if b == b'{' && mode == Mode::Code {
                    let block = classify(segment, blocks.is_empty());
                    if blocks.is_empty() && block == Block::Workflow {
                        workflow = name_after(segment, "workflow");
                    }
                    let record = segment.last().is_some_and(|token| matches!(token.text.as_str(), ":" | "<" | ","));
                    let outer = if record { std::mem::take(segment) } else { Vec::new() };
                    segment.clear();
                    blocks.push((block, outer));
                    i += 1;
                } else if b == b'}' && mode == Mode::Code {
                    *segment = blocks.pop().map(|(_, outer)| outer).unwrap_or_default();
                    if blocks.is_empty() && segment.is_empty() {
                        workflow = None;
                    }
                    i += 1;
                } else if b == b';' && mode == Mode::Code {
                    segment.clear();
                    i += 1;
                } else if b.is_ascii_alphanumeric() || b == b'_' {
                    let start = i;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                        i += 1;
                    }
                    segment.push(Token { text: text[start..i].to_string(), end: i });
                } else if b.is_ascii_whitespace() {
                    i += 1;
                } else {
                    let len = text[i..offset].chars().next().map_or(1, char::len_utf8);
                    segment.push(Token { text: text[i..i + len].to_string(), end: i + len });
                    i += len;
                }
            }
            Mode::Str | Mode::TextBlock => {
                if b == b'\\' {
                    i += 2;
                } else if starts(i, b"{{") {
                    modes.push(Mode::Interp);
                    segments.push(Vec::new());
                    i += 2;
                } else if mode == Mode::Str && (b == b'"' || b == b'\n') {
                    modes.pop();
                    i += 1;
                } else if mode == Mode::TextBlock && starts(i, b"\"\"\"") {
                    modes.pop();
                    i += 3;
                } else {
                    i += 1;
                }
            }
        }
    }
    let mode = *modes.last().unwrap_or(&Mode::Code);

    let prefix_start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_ascii_alphanumeric() || c == '_')
        .last()
        .map_or(offset, |(i, _)| i);
    let mut tokens: Vec<&Token> = segments
        .last()
        .map(|segment| segment.iter().filter(|token| token.end <= prefix_start).collect())
        .unwrap_or_default();
    let mut dotted = None;
    if tokens.last().is_some_and(|token| token.text == "." && token.end == prefix_start) {
        tokens.pop();
        if let Some(base) = tokens.pop().filter(|base| is_word(&base.text)) {
            let chained =
                tokens.last().is_some_and(|token| token.text == "." && token.end == base.end - base.text.len());
            if !chained {
                dotted = Some(base.text.clone());
            }
        }
    }
    let line_start = text[..prefix_start].trim_end_matches([' ', '\t']).ends_with('\n')
        || text[..prefix_start].trim_end_matches([' ', '\t']).is_empty();
    Context {
        block: blocks.last().map_or(Block::Top, |(block, _)| *block),
        in_text: in_comment || matches!(mode, Mode::Str | Mode::TextBlock),
        in_interp: mode == Mode::Interp,
        prefix: text[prefix_start..offset].to_string(),
        dotted,
        previous: tokens.into_iter().map(|token| token.text.clone()).collect(),
        line_start,
        workflow,
    }
}

fn is_word(token: &str) -> bool {
    token.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

fn name_after(segment: &[Token], keyword: &str) -> Option<String> {
    let at = segment.iter().rposition(|token| token.text == keyword)?;
    segment.get(at + 1).filter(|token| is_word(&token.text)).map(|token| token.text.clone())
}

/// The kind of block a `{` opens, from the statement before it: its last keyword that opens
/// a block (`for x in xs parallel {` is a `for`).
fn classify(segment: &[Token], top: bool) -> Block {
    // A `{` after `:`, `<` or `,` opens a record type.
    if segment.last().is_some_and(|token| matches!(token.text.as_str(), ":" | "<" | ",")) {
        return Block::Other;
    }
    let mut found = None;
    for (at, token) in segment.iter().enumerate().rev() {
        let block = match token.text.as_str() {
            "workflow" => Block::Workflow,
            "phase" => Block::Phase,
            "run" => Block::Run,
            "agent" => Block::Agent,
            "call" => Block::Call,
            "gate" => Block::Gate,
            "wait" => Block::Wait,
            "watch" => Block::Watch,
            // `watch NAME "..." every 30s for 10m {` is a watch, not a `for`.
            "for" if segment[..at].iter().any(|token| token.text == "every") => continue,
            "parallel" => Block::Parallel,
            "repeat" => Block::Repeat,
            "for" => Block::For,
            "if" | "else" => Block::Branch,
            "finally" => Block::Handler,
            "failure" if at > 0 && segment[at - 1].text == "on" => Block::Handler,
            "env" | "returns" => Block::Other,
            "model" if top => Block::Model,
            "provider" if top => Block::Provider,
            _ => continue,
        };
        found = Some((at, block));
        break;
    }
    match found {
        Some((at, Block::Parallel)) if segment[..at].iter().any(|token| token.text == "for") => Block::For,
        Some((_, block)) => block,
        None => Block::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The context at the `|` in `marked`.
    fn context(marked: &str) -> Context {
        let offset = marked.find('|').expect("a cursor mark");
        let text = marked.replacen('|', "", 1);
        at(&text, offset)
    }

    #[test]
    fn blocks_are_named_by_their_statement() {
        assert_eq!(context("wor|").block, Block::Top);
        assert_eq!(context("workflow w() {\n  |").block, Block::Workflow);
        assert_eq!(context("workflow w() {\n  phase a {\n    run x \"y\" {\n      ret|").block, Block::Run);
        assert_eq!(context("workflow w() { agent a \"r\" { pro|").block, Block::Agent);
        assert_eq!(context("workflow w() { for each s in xs parallel max 2 { |").block, Block::For);
        assert_eq!(context("workflow w() { parallel max 2 { |").block, Block::Parallel);
        assert_eq!(context("workflow w() { if a.ok { } else { |").block, Block::Branch);
        assert_eq!(context("workflow w() { on failure { |").block, Block::Handler);
        assert_eq!(context("workflow w(c: { a: int }) { |").block, Block::Workflow);
        assert_eq!(context("model m { |").block, Block::Model);
        assert_eq!(context("workflow w() { run x \"y\" { env { |").block, Block::Other);
        assert_eq!(context("workflow w() { run x \"{ not a block\" { |").block, Block::Run);
        assert_eq!(context("workflow w() { phase p { } |").block, Block::Workflow);
        assert_eq!(context("workflow w() { watch h \"curl\" every 30s for 10m { fa|").block, Block::Watch);
    }

    #[test]
    fn a_watch_head_asks_for_every_then_for() {
        assert_eq!(context("workflow w() {\n  watch h \"curl x\" |").watch_head(), Some("every"));
        assert_eq!(context("workflow w() {\n  watch h \"curl x\" every 30s |").watch_head(), Some("for"));
        assert_eq!(context("workflow w() {\n  watch h \"curl x\" every 30s for 1m |").watch_head(), None);
        assert_eq!(context("workflow w() {\n  run h \"curl x\" |").watch_head(), None);
    }

    #[test]
    fn strings_comments_and_interpolations() {
        assert!(context("workflow w() { run x \"cargo te|").in_text);
        assert!(context("workflow w() { // a comm|").in_text);
        assert!(context("workflow w() { /* a comm|").in_text);
        let interp = context("workflow w() { run x \"echo {{plan.su|");
        assert!(interp.in_interp && !interp.in_text);
        assert_eq!(interp.dotted.as_deref(), Some("plan"));
        assert_eq!(interp.prefix, "su");
        let after = context("workflow w() { run x \"echo {{plan.summary}}\" { |");
        assert_eq!(after.block, Block::Run);
        assert!(!after.in_text && !after.in_interp);
        assert!(context("workflow w() { agent a \"r\" { prompt \"\"\"\n  résumé {{|").in_interp);
    }

    #[test]
    fn words_and_what_comes_before_them() {
        let model = context("workflow w() {\n  model |");
        assert_eq!(model.last(), Some("model"));
        assert!(!model.entry_start());
        let entry = context("workflow w() {\n  model m\n  ti|");
        assert!(entry.entry_start());
        assert_eq!(entry.prefix, "ti");
        let continued = context("workflow w() { gate g {\n  require a.ok and\n    b|");
        assert!(!continued.entry_start());
        assert_eq!(context("workflow w() { gate g { require a.b.|").dotted, None);
        assert_eq!(context("workflow build() { |").workflow.as_deref(), Some("build"));
        assert_eq!(context("workflow build() { } |").workflow, None);
    }
}
