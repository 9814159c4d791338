//! Turning pest's raw failures into coded errors, and finding where to resume after one.
//!
//! pest says only "at offset N, one of these rules was expected". That is enough for
//! `unexpected`, but several common mistakes read better as what they are: a block left open
//! (the parse runs into the end of the file or into the next item), a keyword used as a name,
//! a stray `}`, a character the language does not use at all.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::error::SyntaxError;
use super::grammar::{begins_operand, continues_expression, describe, Rule};
use super::scan::{line_start, starts_line, Lexed};
use crate::span::Span;

/// Words that cannot be names (the grammar's `keyword` rule; a test keeps the two in step).
pub(crate) const RESERVED: &[&str] = &[
    "use", "as", "const", "model", "provider", "workflow", "phase", "run", "agent", "call", "gate", "wait", "parallel",
    "if", "else", "repeat", "for", "in", "fail", "max", "until", "on", "finally", "true", "false", "and", "or", "not",
];

/// The error for an item that failed to parse, `item_start` being where it starts. `None` when
/// an error from the lexical pass already explains the failure (a text block or comment that
/// swallowed the rest of the file).
pub(super) fn item_error(error: &Error<Rule>, source: &str, item_start: usize, lexed: &Lexed) -> Option<SyntaxError> {
    let at = offset(error).min(source.len());
    let positives = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        // pest's call and stack limits are the only custom errors it raises for this grammar.
        ErrorVariant::CustomError { .. } => return Some(SyntaxError::NestingTooDeep { span: Span::new(at, at) }),
    };
    let at_end = source[at..].trim().is_empty();
    if at_end && lexed.runs_to_end_from(item_start) {
        return None;
    }
    let token = Token::at(source, at);
    if at_end || starts_item(source, at) {
        if let Some(open) = lexed.unclosed_open(source, item_start, at) {
            let end_note = if at_end { "the file ends here" } else { "the next item starts here" };
            return Some(SyntaxError::UnclosedBlock {
                open: Span::new(open, open + 1),
                end: if at_end { last_char(source) } else { token.span },
                end_note: end_note.to_owned(),
            });
        }
    }
    if source[at..].starts_with('}') && lexed.is_stray_close(at) {
        return Some(SyntaxError::UnmatchedBrace { span: token.span });
    }
    if let Some(error) = invalid_character(source, at, 0) {
        return Some(error);
    }
    let name_wanted = positives.contains(&Rule::name) && !wants_operand(positives);
    if name_wanted && RESERVED.contains(&token.text.as_str()) {
        return Some(SyntaxError::KeywordAsName { span: token.span, keyword: token.text });
    }
    let hint = hint(positives, &token);
    Some(SyntaxError::Unexpected { span: token.span, found: token.shown, expected: expected(positives), hint })
}

/// The error for the inside of a `{{ }}` that is not an expression; `base` is where `inside`
/// starts in the file.
pub(super) fn interpolation_error(error: &Error<Rule>, inside: &str, base: usize) -> SyntaxError {
    let at = offset(error).min(inside.len());
    let positives = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.as_slice(),
        ErrorVariant::CustomError { .. } => &[],
    };
    if let Some(error) = invalid_character(inside, at, base) {
        return error;
    }
    let token = Token::at(inside, at);
    let (span, found) = if inside[at..].trim().is_empty() {
        let close = base + inside.len();
        (Span::new(close, close + 2), "`}}`".to_owned())
    } else {
        let span = Span::new(base + token.span.start, base + token.span.end);
        (span, token.shown)
    };
    let expected = expected(positives).replace(describe(Rule::EOI), "`}}`");
    SyntaxError::Unexpected { span, found, expected, hint: Some("write `\\{{` for a literal `{{`".to_owned()) }
}

/// The last character that is not white space: where a file that ends too soon is shown to end.
fn last_char(source: &str) -> Span {
    let trimmed = source.trim_end();
    match trimmed.chars().next_back() {
        Some(last) => Span::new(trimmed.len() - last.len_utf8(), trimmed.len()),
        None => Span::new(0, 0),
    }
}

fn offset(error: &Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(at) => at,
        InputLocation::Span((start, _)) => start,
    }
}

/// Whether pest was expecting the operand of an expression. One literal kind alone is a
/// specific request (`$3.00` in a model's price); several mean that any operand would do.
fn wants_operand(positives: &[Rule]) -> bool {
    positives.iter().filter(|&&rule| begins_operand(rule)).count() > 1
}

/// "a statement, an attribute or `}`": pest's positives, named, without duplicates. Operators
/// are left out when anything else was possible, as continuing an expression is rarely what
/// was meant.
fn expected(positives: &[Rule]) -> String {
    let only_operators = positives.iter().all(|&rule| continues_expression(rule));
    let operand = wants_operand(positives);
    let mut names: Vec<&str> = Vec::new();
    for &rule in positives {
        let part_of_operand = matches!(rule, Rule::str_lit | Rule::name | Rule::lparen | Rule::lbracket);
        let name = if continues_expression(rule) {
            if !only_operators {
                continue;
            }
            "an operator"
        } else if operand && (begins_operand(rule) || part_of_operand) {
            describe(Rule::expr)
        } else {
            describe(rule)
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.as_slice() {
        [] => "something else".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn hint(positives: &[Rule], token: &Token) -> Option<String> {
    let wants = |rule| positives.contains(&rule);
    let word = token.text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if word {
        if let Some(keyword) = crate::suggest::did_you_mean(&token.text, keywords_wanted(positives)) {
            return Some(format!("did you mean `{keyword}`?"));
        }
    }
    if wants(Rule::str_lit) && word && !wants_operand(positives) {
        return Some("strings are written in double quotes, as in `\"cargo test\"`".to_owned());
    }
    if wants(Rule::lparen) && token.text == "{" {
        return Some(
            "a workflow lists its parameters in parentheses, even when it has none: `workflow name() { ... }`"
                .to_owned(),
        );
    }
    None
}

/// The words that begin an item, and those that begin a statement or attribute in a block.
const ITEM_WORDS: &[&str] = &["use", "const", "model", "provider", "workflow"];
const BLOCK_WORDS: &[&str] = &[
    "phase",
    "run",
    "agent",
    "call",
    "gate",
    "wait",
    "parallel",
    "if",
    "repeat",
    "for",
    "fail",
    "on",
    "finally",
    "description",
    "budget",
    "timeout",
    "mode",
    "provider",
    "model",
    "concurrency",
    "secret",
    "env",
    "shell",
    "retry",
    "undo",
    "risk",
    "dir",
    "expect",
    "cost",
    "output",
    "prompt",
    "returns",
    "require",
    "warn",
    "approve",
];

/// The keywords that would have been accepted where the parse failed, for "did you mean".
fn keywords_wanted(positives: &[Rule]) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = positives
        .iter()
        .filter_map(|&rule| describe(rule).strip_prefix('`')?.strip_suffix('`'))
        .filter(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .collect();
    if positives.iter().any(|rule| matches!(rule, Rule::stmt | Rule::attr)) {
        words.extend(BLOCK_WORDS);
    }
    if positives.iter().any(|rule| matches!(rule, Rule::file | Rule::items | Rule::item)) {
        words.extend(ITEM_WORDS);
    }
    words
}

/// What sits at an offset, for "found ..." and for the label's underline.
struct Token {
    span: Span,
    /// The raw text ("" at the end of the file).
    text: String,
    /// As shown to the user: "`retry`", "a string", "the end of the file".
    shown: String,
}

impl Token {
    fn at(source: &str, at: usize) -> Token {
        let rest = &source[at..];
        let Some(first) = rest.chars().next() else {
            return Token::new(at, "", "the end of the file".to_owned());
        };
        let len = if first.is_ascii_alphanumeric() || first == '_' || first == '$' {
            let bytes = rest.as_bytes();
            let mut len = first.len_utf8();
            while len < bytes.len() {
                let b = bytes[len];
                let decimal_point = b == b'.'
                    && (first.is_ascii_digit() || first == '$')
                    && bytes.get(len + 1).is_some_and(u8::is_ascii_digit);
                if b.is_ascii_alphanumeric() || b == b'_' || decimal_point {
                    len += 1;
                } else {
                    break;
                }
            }
            len
        } else if first == '"' {
            let kind = string_kind(rest);
            let quotes = if kind == "a text block" { 3 } else { 1 };
            return Token::new(at, &rest[..quotes], kind.to_owned());
        } else if first == '\n' || first == '\r' {
            return Token::new(at, "", "the end of the line".to_owned());
        } else if ["==", "!=", "<=", ">=", "..", "{{", "}}"].iter().any(|pair| rest.starts_with(pair)) {
            2
        } else {
            first.len_utf8()
        };
        let text = &rest[..len];
        let shown = if first == ' ' || first == '\t' { "a space".to_owned() } else { format!("`{text}`") };
        Token::new(at, text, shown)
    }

    fn new(at: usize, text: &str, shown: String) -> Token {
        Token { span: Span::new(at, at + text.len()), text: text.to_owned(), shown }
    }
}

fn string_kind(rest: &str) -> &'static str {
    if rest.starts_with("\"\"\"") {
        "a text block"
    } else {
        "a string"
    }
}

/// A character at `at` that has no place outside strings and comments, with what was probably
/// meant; `base` is where `text` starts in the file.
fn invalid_character(text: &str, at: usize, base: usize) -> Option<SyntaxError> {
    let rest = &text[at..];
    let ch = rest.chars().next()?;
    let hint = match ch {
        'A'..='Z' | 'a'..='z' | '0'..='9' | '_' | ' ' | '\t' | '\n' | '\r' => return None,
        '{' | '}' | '(' | ')' | '[' | ']' | '<' | '>' | ',' | ':' | '=' | '.' | '+' | '-' => return None,
        '*' | '/' | '%' | '$' | '"' | ';' => return None,
        '!' if rest.starts_with("!=") => return None,
        '!' => Some("write `not` to negate a condition"),
        '&' => Some("write `and` to combine conditions"),
        '|' => Some("write `or` to combine conditions"),
        '\'' | '`' => Some("strings are written in double quotes: `\"...\"`"),
        '\u{201c}' | '\u{201d}' => Some("use a plain double quote `\"`"),
        '#' => Some("comments start with `//`"),
        '\\' => Some("escapes are only allowed inside strings"),
        c if !c.is_ascii() => {
            Some("names use ASCII letters, digits and `_`; other characters may appear in strings and comments")
        }
        _ => None,
    };
    let shown =
        if ch.is_control() || ch.is_whitespace() { format!("U+{:04X}", u32::from(ch)) } else { format!("`{ch}`") };
    Some(SyntaxError::InvalidCharacter {
        span: Span::new(base + at, base + at + ch.len_utf8()),
        shown,
        hint: hint.map(str::to_owned),
    })
}

/// Whether an item starts at `offset`: `use`, `const` or `workflow`, or `model`/`provider`
/// followed by a name and `{` (without the `{` they are the attributes of the same names).
fn starts_item(source: &str, offset: usize) -> bool {
    let rest = &source[offset..];
    let word = leading_word(rest);
    match word {
        "use" | "const" | "workflow" => true,
        "model" | "provider" => {
            let after = rest[word.len()..].trim_start();
            let name = leading_word(after);
            !name.is_empty() && after[name.len()..].trim_start().starts_with('{')
        }
        _ => false,
    }
}

fn leading_word(text: &str) -> &str {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        return "";
    }
    let len = text.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
    &text[..len]
}

/// The statement or attribute to drop when an item starting at `item_start` failed at
/// `failed_at` inside one of its blocks: from its start (after the last `{`, `}` or `;` on the
/// line, else the line's first word) to the end of the line or of the block it is in,
/// whichever comes first, and on over any block or literal that opens there. `None` when the
/// failure is not inside a closed block of the item (its first line, a block never closed, a
/// string).
pub(super) fn statement_to_drop(
    source: &str,
    lexed: &Lexed,
    item_start: usize,
    failed_at: usize,
) -> Option<(usize, usize)> {
    if failed_at >= source.len() || lexed.in_literal(failed_at) {
        return None;
    }
    let failed_at = unfinished_before(source, failed_at);
    let line = line_start(source, failed_at);
    let after_separator = (line..failed_at)
        .rev()
        .find(|&at| matches!(source.as_bytes()[at], b'{' | b'}' | b';') && !lexed.in_literal(at))
        .map_or(line, |at| at + 1);
    let first = after_separator + source[after_separator..].bytes().take_while(|&b| b == b' ' || b == b'\t').count();
    if first <= item_start || source[first..].starts_with('}') || !lexed.in_closed_block(item_start, first) {
        return None;
    }
    let line_end = |offset: usize| source[offset..].find('\n').map_or(source.len(), |i| offset + i);
    let mut end = line_end(failed_at).min(lexed.enclosing_close(first).unwrap_or(source.len()));
    // A block or literal that opens in the statement takes the rest of the line it ends on.
    loop {
        let reach = lexed.reach(first, end)?;
        if reach <= end {
            break;
        }
        end = line_end(reach.min(source.len()));
    }
    Some((first, end))
}

/// A statement left unfinished at the end of its line (`retry 3 backoff`) makes pest fail at
/// the `}` that closes its block, on a later line: the statement to drop is the unfinished
/// one, whose last character this returns. Dropping the whole item instead would lose the
/// references the rest of it makes (and warn that the modules it uses are unused).
fn unfinished_before(source: &str, failed_at: usize) -> usize {
    if !source[failed_at..].starts_with('}') {
        return failed_at;
    }
    let gap = source[..failed_at].bytes().rev().take_while(u8::is_ascii_whitespace).count();
    if gap == failed_at || !source[failed_at - gap..failed_at].contains('\n') {
        return failed_at;
    }
    source[..failed_at - gap].char_indices().next_back().map_or(failed_at, |(at, _)| at)
}

/// Where to resume after an item that starts at `item_start` failed at `failed_at`: the next
/// line at or after the failure that starts with an item, outside strings and comments.
pub(super) fn resume_point(source: &str, lexed: &Lexed, item_start: usize, failed_at: usize) -> Option<usize> {
    let failed_at = failed_at.min(source.len());
    let mut line = line_start(source, failed_at);
    while line < source.len() {
        let first = line + source[line..].bytes().take_while(|&b| b == b' ' || b == b'\t').count();
        if first >= failed_at
            && first > item_start
            && starts_line(source, first)
            && !lexed.in_literal(first)
            && starts_item(source, first)
        {
            return Some(first);
        }
        line = match source[line..].find('\n') {
            Some(i) => line + i + 1,
            None => source.len(),
        };
    }
    None
}
