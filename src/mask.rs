//! Masking secrets in text: the [`Redactor`] replaces every occurrence of a set of values
//! with [`MASK`], and [`Stream`] does it to output read in chunks. Pure: the runner decides
//! which values are secret (`run::redact`) and the process and agent stages apply it to what
//! they read.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::ir::Value;

/// What a secret's bytes are replaced with.
pub const MASK: &str = "***";

/// Values shorter than this are refused: masking every `ab` of the output would garble it,
/// and where the masks fall would spell the secret out.
pub const MIN_LEN: usize = 4;

/// Replaces every occurrence of a secret with [`MASK`]. Occurrences of different secrets that
/// overlap or touch are masked as one, so no byte of either is left; redaction is by exact
/// bytes (a secret encoded, split or transformed is not recognised).
#[derive(Clone, Default)]
pub struct Redactor {
    matcher: Option<AhoCorasick>,
    /// The longest value's length: how much of a stream to hold back until more arrives.
    longest: usize,
    /// Whether a value spans lines; when none does, a stream is passed on up to its last newline.
    multiline: bool,
}

impl Redactor {
    /// A redactor for these values. Each line of a value holding several is a value too, so a
    /// multi-line secret printed line by line is still masked. Empty values are ignored.
    pub fn new<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Redactor {
        let mut patterns: Vec<String> = Vec::new();
        for value in values {
            let value = value.as_ref();
            patterns.push(value.to_owned());
            if value.contains('\n') {
                let lines = value.lines().map(|line| line.trim_end_matches('\r'));
                patterns.extend(lines.filter(|line| line.len() >= MIN_LEN).map(str::to_owned));
            }
        }
        patterns.retain(|pattern| !pattern.is_empty());
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        patterns.dedup();
        let longest = patterns.first().map_or(0, String::len);
        let multiline = patterns.iter().any(|pattern| pattern.contains('\n'));
        // Standard semantics find every match, overlapping ones included; the spans are merged below.
        let matcher = (!patterns.is_empty())
            .then(|| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns).ok())
            .flatten();
        Redactor { matcher, longest, multiline }
    }

    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// The byte ranges to mask, merged where they overlap or touch, in order.
    pub(crate) fn spans(&self, bytes: &[u8]) -> Vec<(usize, usize)> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let mut spans: Vec<(usize, usize)> = Vec::new();
        // Overlapping matches come in order of their end; sorting by start merges them in one pass.
        let mut found: Vec<(usize, usize)> =
            matcher.find_overlapping_iter(bytes).map(|found| (found.start(), found.end())).collect();
        found.sort_unstable();
        for (start, end) in found {
            match spans.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => spans.push((start, end)),
            }
        }
        spans
    }

    pub(crate) fn mask(bytes: &[u8], spans: &[(usize, usize)]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut at = 0;
        for &(start, end) in spans {
            out.extend_from_slice(&bytes[at..start]);
            out.extend_from_slice(MASK.as_bytes());
            at = end;
        }
        out.extend_from_slice(&bytes[at..]);
        out
    }

    pub fn bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let spans = self.spans(bytes);
        if spans.is_empty() {
            Cow::Borrowed(bytes)
        } else {
            Cow::Owned(Redactor::mask(bytes, &spans))
        }
    }

    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Secrets are UTF-8 and UTF-8 matches start and end on character boundaries, so
            // the masked text is UTF-8 too; the lossy path is never taken.
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
            ),
        }
    }

    pub(crate) fn string(&self, text: String) -> String {
        match self.text(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(masked) => masked,
        }
    }

    /// A value with every string in it masked; numbers and other units are left as they are.
    pub fn value(&self, value: Value) -> Value {
        if self.is_empty() {
            return value;
        }
        match value {
            Value::String(text) => Value::String(self.string(text)),
            Value::List(items) => Value::List(items.into_iter().map(|item| self.value(item)).collect()),
            Value::Record(fields) => {
                Value::Record(fields.into_iter().map(|(name, value)| (name, self.value(value))).collect())
            }
            other @ (Value::Int(_)
            | Value::Float(_)
            | Value::Bool(_)
            | Value::Duration(_)
            | Value::Money(_)
            | Value::Tokens(_)
            | Value::Percent(_)) => other,
        }
    }

    pub fn json(&self, value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value as Json;
        match value {
            Json::String(text) => Json::String(self.string(text)),
            Json::Array(items) => Json::Array(items.into_iter().map(|item| self.json(item)).collect()),
            Json::Object(fields) => {
                Json::Object(fields.into_iter().map(|(name, value)| (self.string(name), self.json(value))).collect())
            }
            other @ (Json::Null | Json::Bool(_) | Json::Number(_)) => other,
        }
    }

    pub(crate) fn option(&self, text: Option<String>) -> Option<String> {
        text.map(|text| self.string(text))
    }

    /// A redacting stream over this redactor's values.
    pub fn stream(&self) -> Stream<'_> {
        Stream { redactor: self, held: Vec::new() }
    }
}

/// Redacts a byte stream read in chunks. A secret can straddle two chunks, so the end of
/// what has arrived — anything that could still be the start of a secret — is held back
/// until more arrives or the stream ends.
pub struct Stream<'r> {
    redactor: &'r Redactor,
    held: Vec<u8>,
}

impl Stream<'_> {
    /// The masked bytes that are safe to pass on after `bytes` arrived.
    pub fn push<'b>(&mut self, bytes: &'b [u8]) -> Cow<'b, [u8]> {
        if self.redactor.is_empty() {
            return Cow::Borrowed(bytes);
        }
        self.held.extend_from_slice(bytes);
        let spans = self.redactor.spans(&self.held);
        // A secret not yet complete starts within the last `longest - 1` bytes; cut before
        // them, and (below) before any complete match that reaches past the cut (it may
        // merge with the next one).
        let mut cut = self.held.len().saturating_sub(self.redactor.longest.saturating_sub(1));
        // No secret crosses a newline unless one holds a newline: a whole line can go on at
        // once, so `--verbose` shows it as soon as it is printed.
        if !self.redactor.multiline {
            if let Some(newline) = self.held.iter().rposition(|&byte| byte == b'\n') {
                cut = cut.max(newline + 1);
            }
        }
        if let Some(&(start, _)) = spans.iter().find(|(start, end)| *start < cut && *end > cut) {
            cut = start;
        }
        let done: Vec<(usize, usize)> = spans.into_iter().filter(|&(_, end)| end <= cut).collect();
        let out = Redactor::mask(&self.held[..cut], &done);
        self.held.drain(..cut);
        Cow::Owned(out)
    }

    /// The rest, masked, once the stream has ended.
    pub fn finish(&mut self) -> Vec<u8> {
        let held = std::mem::take(&mut self.held);
        self.redactor.bytes(&held).into_owned()
    }
}
