//! Every mistake the parser reports. The wording lives here and nowhere else.

use miette::Diagnostic;
use thiserror::Error;

use crate::span::Span;

/// The codes of the syntax errors after which the parser skipped text (a statement, an item,
/// the rest of a line or of the file), so what it skipped may have used any name; after the
/// others (a number out of range, an unknown escape…) every name is still in the tree. The
/// checker does not call a constant or module unused in a file with one of these. A new
/// variant belongs here when its recovery skips text.
pub const SKIPS_TEXT: &[&str] = &[
    "wf::syntax::unexpected",
    "wf::syntax::unmatched_brace",
    "wf::syntax::unclosed_block",
    "wf::syntax::unterminated_string",
    "wf::syntax::unterminated_text_block",
    "wf::syntax::unterminated_comment",
    "wf::syntax::keyword_as_name",
    "wf::syntax::unclosed_interpolation",
    "wf::syntax::invalid_character",
    "wf::syntax::nesting_too_deep",
    "wf::syntax::expression_too_long",
];

/// A syntax error: where it is, and the facts its message needs.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
pub enum SyntaxError {
    /// The parser could not go on: it found one thing where it expected another.
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(wf::syntax::unexpected))]
    Unexpected {
        #[label("expected {expected}")]
        span: Span,
        /// What is there, as shown to the user ("`}`", "the end of the file").
        found: String,
        /// What could have been there ("a statement, an attribute or `}`").
        expected: String,
        #[help]
        hint: Option<String>,
    },

    #[error("this `}}` has no matching `{{`")]
    #[diagnostic(code(wf::syntax::unmatched_brace), help("remove it, or add the `{{` it was meant to close"))]
    UnmatchedBrace {
        #[label("unmatched `}}`")]
        span: Span,
    },

    #[error("this block is never closed")]
    #[diagnostic(code(wf::syntax::unclosed_block), help("add the `}}` that closes it"))]
    UnclosedBlock {
        #[label("this `{{` is never closed")]
        open: Span,
        #[label("{end_note}")]
        end: Span,
        /// What is at `end` ("the file ends here", "the next item starts here").
        end_note: String,
    },

    #[error("this string is never closed")]
    #[diagnostic(
        code(wf::syntax::unterminated_string),
        help("close it with `\"` on the same line; for text over several lines, use a `\"\"\"` text block")
    )]
    UnterminatedString {
        #[label("the string starts here and the line ends before a closing `\"`")]
        span: Span,
    },

    #[error("this text block is never closed")]
    #[diagnostic(code(wf::syntax::unterminated_text_block), help("close it with `\"\"\"`"))]
    UnterminatedTextBlock {
        #[label("the text block starts here and runs to the end of the file")]
        span: Span,
    },

    #[error("this comment is never closed")]
    #[diagnostic(code(wf::syntax::unterminated_comment), help("close it with `*/` (block comments do not nest)"))]
    UnterminatedComment {
        #[label("the comment starts here and runs to the end of the file")]
        span: Span,
    },

    #[error("`{keyword}` is a keyword and cannot be used as a name")]
    #[diagnostic(code(wf::syntax::keyword_as_name), help("pick another name, for example `{keyword}_`"))]
    KeywordAsName {
        #[label("a name was expected here")]
        span: Span,
        keyword: String,
    },

    #[error("unknown escape `{escape}`")]
    #[diagnostic(
        code(wf::syntax::invalid_escape),
        help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\{{{{`; write `\\\\` for a backslash")
    )]
    InvalidEscape {
        #[label("not an escape")]
        span: Span,
        escape: String,
    },

    #[error("this interpolation is never closed")]
    #[diagnostic(
        code(wf::syntax::unclosed_interpolation),
        help("close it with `}}}}`, or write `\\{{{{` for a literal `{{{{`")
    )]
    UnclosedInterpolation {
        #[label("`{{{{` without a matching `}}}}` before the string ends")]
        span: Span,
    },

    #[error("empty interpolation")]
    #[diagnostic(
        code(wf::syntax::empty_interpolation),
        help("put an expression between `{{{{` and `}}}}`, or write `\\{{{{` for a literal `{{{{`")
    )]
    EmptyInterpolation {
        #[label("nothing to interpolate")]
        span: Span,
    },

    #[error("`{text}` is too large for {what}")]
    #[diagnostic(code(wf::syntax::number_out_of_range), help("{limit}"))]
    NumberOutOfRange {
        #[label("out of range")]
        span: Span,
        text: String,
        /// "a whole number", "a duration", ...
        what: &'static str,
        /// The largest value, said in the help.
        limit: &'static str,
    },

    #[error("`{text}` has more than 6 decimal places")]
    #[diagnostic(
        code(wf::syntax::money_precision),
        help("money is held exactly, in millionths of a dollar; round to at most 6 decimal places")
    )]
    MoneyPrecision {
        #[label("too precise")]
        span: Span,
        text: String,
    },

    #[error("invalid duration `{text}`: {reason}")]
    #[diagnostic(
        code(wf::syntax::invalid_duration),
        help(
            "write whole numbers with the units d, h, m, s or ms, largest first, without spaces: `500ms`, `30s`, `1h30m`"
        )
    )]
    InvalidDuration {
        #[label("{reason}")]
        span: Span,
        text: String,
        reason: String,
    },

    #[error("`{text}` is not a valid number")]
    #[diagnostic(code(wf::syntax::invalid_number))]
    InvalidNumber {
        #[label("not a number")]
        span: Span,
        text: String,
        #[help]
        hint: Option<String>,
    },

    #[error("`{text}` is not a whole number of tokens")]
    #[diagnostic(
        code(wf::syntax::fractional_tokens),
        help("token counts are whole; a fraction needs a `k` or `M` suffix that makes it whole, as in `1.5k tokens`")
    )]
    FractionalTokens {
        #[label("not whole")]
        span: Span,
        text: String,
    },

    #[error("invalid character {shown}")]
    #[diagnostic(code(wf::syntax::invalid_character))]
    InvalidCharacter {
        #[label("not part of the language here")]
        span: Span,
        /// The character as shown to the user: "`@`" or "U+200B".
        shown: String,
        #[help]
        hint: Option<String>,
    },

    #[error("comparisons cannot be chained")]
    #[diagnostic(
        code(wf::syntax::chained_comparison),
        help("compare twice and join with `and`, as in `a < b and b < c`, or add parentheses")
    )]
    ChainedComparison {
        #[label("this comparison")]
        span: Span,
        #[label("compares the result of this one")]
        first: Span,
    },

    #[error("a `use` path cannot interpolate")]
    #[diagnostic(
        code(wf::syntax::interpolated_use_path),
        help("write the path out in full; it is resolved before anything runs")
    )]
    InterpolatedUsePath {
        #[label("`{{{{ }}}}` in a module path")]
        span: Span,
    },

    #[error("this is nested too deeply")]
    #[diagnostic(
        code(wf::syntax::nesting_too_deep),
        help("split it up, for example with a `const` or a separate workflow")
    )]
    NestingTooDeep {
        #[label("nested too deeply here")]
        span: Span,
    },

    #[error("this expression is too long")]
    #[diagnostic(code(wf::syntax::expression_too_long), help("split it up, for example with `const`s"))]
    ExpressionTooLong {
        #[label("more than {limit} operators")]
        span: Span,
        limit: usize,
    },
}

impl SyntaxError {
    /// The primary location: where the error is reported and how errors are sorted.
    pub fn span(&self) -> Span {
        match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::UnmatchedBrace { span }
            | SyntaxError::UnterminatedString { span }
            | SyntaxError::UnterminatedTextBlock { span }
            | SyntaxError::UnterminatedComment { span }
            | SyntaxError::KeywordAsName { span, .. }
            | SyntaxError::InvalidEscape { span, .. }
            | SyntaxError::UnclosedInterpolation { span }
            | SyntaxError::EmptyInterpolation { span }
            | SyntaxError::NumberOutOfRange { span, .. }
            | SyntaxError::MoneyPrecision { span, .. }
            | SyntaxError::InvalidDuration { span, .. }
            | SyntaxError::InvalidNumber { span, .. }
            | SyntaxError::FractionalTokens { span, .. }
            | SyntaxError::InvalidCharacter { span, .. }
            | SyntaxError::ChainedComparison { span, .. }
            | SyntaxError::InterpolatedUsePath { span }
            | SyntaxError::NestingTooDeep { span }
            | SyntaxError::ExpressionTooLong { span, .. } => *span,
            SyntaxError::UnclosedBlock { open, .. } => *open,
        }
    }

    /// The stable code, as in `wf explain CODE`.
    pub fn code(&self) -> &'static str {
        match self {
            SyntaxError::Unexpected { .. } => "wf::syntax::unexpected",
            SyntaxError::UnmatchedBrace { .. } => "wf::syntax::unmatched_brace",
            SyntaxError::UnclosedBlock { .. } => "wf::syntax::unclosed_block",
            SyntaxError::UnterminatedString { .. } => "wf::syntax::unterminated_string",
            SyntaxError::UnterminatedTextBlock { .. } => "wf::syntax::unterminated_text_block",
            SyntaxError::UnterminatedComment { .. } => "wf::syntax::unterminated_comment",
            SyntaxError::KeywordAsName { .. } => "wf::syntax::keyword_as_name",
            SyntaxError::InvalidEscape { .. } => "wf::syntax::invalid_escape",
            SyntaxError::UnclosedInterpolation { .. } => "wf::syntax::unclosed_interpolation",
            SyntaxError::EmptyInterpolation { .. } => "wf::syntax::empty_interpolation",
            SyntaxError::NumberOutOfRange { .. } => "wf::syntax::number_out_of_range",
            SyntaxError::MoneyPrecision { .. } => "wf::syntax::money_precision",
            SyntaxError::InvalidDuration { .. } => "wf::syntax::invalid_duration",
            SyntaxError::InvalidNumber { .. } => "wf::syntax::invalid_number",
            SyntaxError::FractionalTokens { .. } => "wf::syntax::fractional_tokens",
            SyntaxError::InvalidCharacter { .. } => "wf::syntax::invalid_character",
            SyntaxError::ChainedComparison { .. } => "wf::syntax::chained_comparison",
            SyntaxError::InterpolatedUsePath { .. } => "wf::syntax::interpolated_use_path",
            SyntaxError::NestingTooDeep { .. } => "wf::syntax::nesting_too_deep",
            SyntaxError::ExpressionTooLong { .. } => "wf::syntax::expression_too_long",
        }
    }
}
