//! Where each `{{ }}` of a command stands in the shell syntax written around it.
//!
//! At run time a value becomes one shell word, quoted by `shlex` for a shell reading plain
//! command words. That quoting holds only there: inside quotes the author wrote it is undone
//! (`"echo \"{{x}}\""` with `x = $(touch p)` runs `touch`), and so it is in backticks, a
//! here-document, a comment (a newline in the value ends it), after a backslash or a `$`, and
//! in `$((…))`. The checker rejects an interpolation in any of those places; this module says
//! which one it is in. Inside `$(…)` the shell starts afresh, so a plain word there is fine.

use crate::syntax::ast;

/// A place where an interpolated value would not stay one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsafe {
    SingleQuotes,
    DoubleQuotes,
    AnsiQuotes,
    Backticks,
    Arithmetic,
    Braces,
    HereDocument,
    Comment,
    AfterBackslash,
    AfterDollar,
}

impl Unsafe {
    pub fn describe(self) -> &'static str {
        match self {
            Unsafe::SingleQuotes => "inside single quotes",
            Unsafe::DoubleQuotes => "inside double quotes",
            Unsafe::AnsiQuotes => "inside `$'…'` quotes",
            Unsafe::Backticks => "inside backticks",
            Unsafe::Arithmetic => "inside `$((…))`",
            Unsafe::Braces => "inside `${…}`",
            Unsafe::HereDocument => "in a here-document",
            Unsafe::Comment => "in a shell comment",
            Unsafe::AfterBackslash => "right after a backslash",
            Unsafe::AfterDollar => "right after a `$`",
        }
    }

    pub fn fix(self) -> &'static str {
        match self {
            Unsafe::SingleQuotes | Unsafe::DoubleQuotes | Unsafe::AnsiQuotes => {
                "remove the quotes around it: wf already passes each value as exactly one shell word, and the quotes would undo that"
            }
            Unsafe::Backticks => "write `$(…)` instead of backticks; inside `$(…)` the value stays one word",
            Unsafe::Arithmetic | Unsafe::Braces => {
                "compute it outside the expansion: pass the value as a word, or through the step's `env`"
            }
            Unsafe::HereDocument => {
                "pass the value as an argument or through the step's `env` (`\"$NAME\"`) rather than in a here-document"
            }
            Unsafe::Comment => "move it out of the comment: a newline in the value would end the comment",
            Unsafe::AfterBackslash => "remove the backslash: it would escape the quote that wf puts around the value",
            Unsafe::AfterDollar => "remove the `$`: wf puts the value itself there, quoted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Plain command words: the whole command, or a `$(…)` (with its open parentheses).
    Command {
        parens: usize,
    },
    Single,
    Double,
    Ansi,
    Backticks,
    Arithmetic {
        parens: usize,
    },
    /// The first `)` of the `))` that ends a `$((…))`.
    ArithmeticClosing,
    Braces,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HereDoc {
    /// Reading the delimiter word after `<<`; `strip_tabs` for `<<-`.
    Delimiter { word: String, strip_tabs: bool, started: bool },
    /// The delimiter is known; the body starts at the next newline.
    Pending { word: String, strip_tabs: bool },
    /// In the body, on a line that so far reads `line`.
    Body { word: String, strip_tabs: bool, line: String },
}

struct Scanner {
    frames: Vec<Frame>,
    escaped: bool,
    comment: bool,
    heredoc: Option<HereDoc>,
    /// The previous character, if it can matter (`$`, `<`, a word start).
    prev: Option<char>,
    /// The character before `prev`.
    prev2: Option<char>,
}

/// For each interpolation of `command`, in order: where it is unsafe, or `None` where it is a
/// plain word.
pub fn interpolations(command: &ast::StringLit) -> Vec<Option<Unsafe>> {
    let mut scanner = Scanner {
        frames: vec![Frame::Command { parens: 0 }],
        escaped: false,
        comment: false,
        heredoc: None,
        prev: None,
        prev2: None,
    };
    let mut found = Vec::new();
    for part in &command.parts {
        match part {
            ast::StrPart::Text(text) => text.chars().for_each(|c| scanner.char(c)),
            ast::StrPart::Interp(_) => {
                found.push(scanner.interpolation());
                // The value is a word: it ends a `$`, a backslash, a comment start.
                scanner.escaped = false;
                scanner.prev2 = scanner.prev;
                scanner.prev = Some('a');
                if let Some(HereDoc::Delimiter { started, .. }) = &mut scanner.heredoc {
                    *started = true;
                }
            }
        }
    }
    found
}

impl Scanner {
    fn interpolation(&self) -> Option<Unsafe> {
        if matches!(self.heredoc, Some(HereDoc::Body { .. } | HereDoc::Delimiter { .. })) {
            return Some(Unsafe::HereDocument);
        }
        if self.comment {
            return Some(Unsafe::Comment);
        }
        if self.escaped {
            return Some(Unsafe::AfterBackslash);
        }
        let innermost = self.frames.iter().rev().find(|frame| !matches!(frame, Frame::Command { .. }));
        match innermost {
            Some(Frame::Single) => Some(Unsafe::SingleQuotes),
            Some(Frame::Double) => Some(Unsafe::DoubleQuotes),
            Some(Frame::Ansi) => Some(Unsafe::AnsiQuotes),
            Some(Frame::Backticks) => Some(Unsafe::Backticks),
            Some(Frame::Arithmetic { .. } | Frame::ArithmeticClosing) => Some(Unsafe::Arithmetic),
            Some(Frame::Braces) => Some(Unsafe::Braces),
            Some(Frame::Command { .. }) | None if self.prev == Some('$') => Some(Unsafe::AfterDollar),
            Some(Frame::Command { .. }) | None => None,
        }
    }

    fn char(&mut self, c: char) {
        self.step(c);
        self.prev2 = self.prev;
        self.prev = Some(c);
    }

    fn step(&mut self, c: char) {
        if self.here_document(c) {
            return;
        }
        if self.comment {
            if c == '\n' {
                self.comment = false;
            }
            return;
        }
        if self.escaped {
            self.escaped = false;
            // A `\$` or `\\` does not start anything, and must not look like a `$` later.
            self.prev = None;
            return;
        }
        let top = self.frames.len() - 1;
        match self.frames[top] {
            Frame::Single => {
                if c == '\'' {
                    self.frames.pop();
                }
            }
            Frame::Ansi => match c {
                '\\' => self.escaped = true,
                '\'' => {
                    self.frames.pop();
                }
                _ => {}
            },
            Frame::Backticks => match c {
                '\\' => self.escaped = true,
                '`' => {
                    self.frames.pop();
                }
                _ => {}
            },
            Frame::Double => match c {
                '\\' => self.escaped = true,
                '"' => {
                    self.frames.pop();
                }
                '`' => self.frames.push(Frame::Backticks),
                '(' if self.prev == Some('$') => self.open_dollar_paren(),
                '{' if self.prev == Some('$') => self.frames.push(Frame::Braces),
                _ => {}
            },
            Frame::Braces => match c {
                '\\' => self.escaped = true,
                '}' => {
                    self.frames.pop();
                }
                '\'' => self.frames.push(Frame::Single),
                '"' => self.frames.push(Frame::Double),
                _ => {}
            },
            Frame::Arithmetic { parens } => match c {
                '(' => self.frames[top] = Frame::Arithmetic { parens: parens + 1 },
                ')' if parens > 0 => self.frames[top] = Frame::Arithmetic { parens: parens - 1 },
                // The first of the closing `))`; the second closes nothing more.
                ')' => self.frames[top] = Frame::ArithmeticClosing,
                _ => {}
            },
            Frame::ArithmeticClosing => {
                self.frames.pop();
                // Not the second `)`: the expansion is malformed; read on as if it ended.
                if c != ')' {
                    self.step(c);
                }
            }
            Frame::Command { parens } => self.command_char(c, top, parens),
        }
    }

    fn command_char(&mut self, c: char, top: usize, parens: usize) {
        match c {
            '\\' => self.escaped = true,
            '\'' if self.prev == Some('$') => self.frames.push(Frame::Ansi),
            '\'' => self.frames.push(Frame::Single),
            '"' => self.frames.push(Frame::Double),
            '`' => self.frames.push(Frame::Backticks),
            '{' if self.prev == Some('$') => self.frames.push(Frame::Braces),
            '(' if self.prev == Some('$') => self.open_dollar_paren(),
            '(' => self.frames[top] = Frame::Command { parens: parens + 1 },
            ')' if parens > 0 => self.frames[top] = Frame::Command { parens: parens - 1 },
            ')' if top > 0 => {
                self.frames.pop();
            }
            '#' if self.prev.is_none_or(|p| p.is_whitespace() || ";&|()<>".contains(p)) => self.comment = true,
            '<' if self.prev == Some('<') && self.prev2 != Some('<') => {
                self.heredoc = Some(HereDoc::Delimiter { word: String::new(), strip_tabs: false, started: false });
            }
            _ => {}
        }
    }

    /// `$(` just read: a command substitution, or the start of `$((`.
    fn open_dollar_paren(&mut self) {
        self.frames.push(Frame::Command { parens: 0 });
    }

    /// Follows a here-document from `<<` to its delimiter line; true when `c` was part of one.
    fn here_document(&mut self, c: char) -> bool {
        // `$((`: the `(` after `$(` turns the substitution just opened into arithmetic.
        if c == '(' && self.prev == Some('(') && self.prev2 == Some('$') {
            if let Some(Frame::Command { parens: 0 }) = self.frames.last() {
                self.frames.pop();
                self.frames.push(Frame::Arithmetic { parens: 0 });
                return true;
            }
        }
        let Some(state) = self.heredoc.take() else { return false };
        self.heredoc = match state {
            HereDoc::Delimiter { mut word, strip_tabs, started } => match c {
                '<' if !started && word.is_empty() => None, // `<<<`: a here-string, one word
                '-' if !started && word.is_empty() && !strip_tabs => {
                    Some(HereDoc::Delimiter { word, strip_tabs: true, started })
                }
                ' ' | '\t' if !started => Some(HereDoc::Delimiter { word, strip_tabs, started }),
                '\'' | '"' | '\\' => Some(HereDoc::Delimiter { word, strip_tabs, started: true }),
                c if c.is_whitespace() || ";&|<>()".contains(c) => {
                    let next = if c == '\n' {
                        HereDoc::Body { word, strip_tabs, line: String::new() }
                    } else {
                        HereDoc::Pending { word, strip_tabs }
                    };
                    self.heredoc = Some(next);
                    // The character still means what it means to the command line.
                    return c == '\n';
                }
                c => {
                    word.push(c);
                    Some(HereDoc::Delimiter { word, strip_tabs, started: true })
                }
            },
            HereDoc::Pending { word, strip_tabs } => {
                if c == '\n' && self.frames.len() == 1 {
                    self.heredoc = Some(HereDoc::Body { word, strip_tabs, line: String::new() });
                    return true;
                }
                self.heredoc = Some(HereDoc::Pending { word, strip_tabs });
                return false;
            }
            HereDoc::Body { word, strip_tabs, mut line } => {
                if c == '\n' {
                    let ends = if strip_tabs { line.trim_start_matches('\t') == word } else { line == word };
                    (!ends).then(|| HereDoc::Body { word, strip_tabs, line: String::new() })
                } else {
                    line.push(c);
                    Some(HereDoc::Body { word, strip_tabs, line })
                }
            }
        };
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax;

    /// Where the interpolations of `run x "<command>"` stand.
    fn contexts(command: &str) -> Vec<Option<Unsafe>> {
        let command = command.replace('\\', "\\\\");
        let source = format!("workflow w(v: string) {{\n  run x \"\"\"\n{command}\n\"\"\"\n}}\n");
        let parsed = syntax::parse(&source);
        assert!(parsed.errors.is_empty(), "{command}: {:?}", parsed.errors);
        let ast::Item::Workflow(workflow) = &parsed.file.items[0] else { panic!("a workflow") };
        let Some(ast::Entry::Stmt(ast::Stmt::Run(run))) = workflow.body.entries.first() else { panic!("a run step") };
        interpolations(&run.command)
    }

    #[test]
    fn plain_words_and_command_substitutions_are_safe() {
        for command in [
            "echo {{v}}",
            "echo --tag={{v}} x",
            "echo $(printf '%s' {{v}})",
            "echo \"$(a)\" {{v}}",
            "echo 'a' {{v}} \"b\"",
            "cat <<< {{v}}",
            "echo \\$ {{v}}",
            "x=$((1 + 2)) ; echo {{v}}",
            "cat <<EOF\nbody\nEOF\necho {{v}}",
            "echo a#b {{v}}",
            "case a in a) echo {{v}} ;; esac",
        ] {
            assert_eq!(contexts(command), [None], "{command}");
        }
    }

    #[test]
    fn every_context_that_undoes_the_quoting_is_named() {
        let cases = [
            ("echo \"{{v}}\"", Unsafe::DoubleQuotes),
            ("echo \"a $(b) {{v}}\"", Unsafe::DoubleQuotes),
            ("echo '{{v}}'", Unsafe::SingleQuotes),
            ("echo $'{{v}}'", Unsafe::AnsiQuotes),
            ("echo `echo {{v}}`", Unsafe::Backticks),
            ("echo $(( {{v}} + 1 ))", Unsafe::Arithmetic),
            ("echo ${X:-{{v}}}", Unsafe::Braces),
            ("cat <<EOF\n{{v}}\nEOF", Unsafe::HereDocument),
            ("cat <<-'EOF'\n\t{{v}}\n\tEOF", Unsafe::HereDocument),
            ("echo hi # {{v}}", Unsafe::Comment),
            ("echo \\{{v}}", Unsafe::AfterBackslash),
            ("echo ${{v}}", Unsafe::AfterDollar),
            ("echo $(echo \"{{v}}\")", Unsafe::DoubleQuotes),
        ];
        for (command, expected) in cases {
            assert_eq!(contexts(command), [Some(expected)], "{command}");
        }
    }
}
