//! Literals written from their value, one way each: `1_000`, `2.5`, `$3.00`, `12k tokens`,
//! `1h30m`, `80%`. The units print as the IR prints them (`ir::format_*`), with the digits of
//! whole numbers of four or more grouped by `_` in threes.

use crate::ir::{format_duration, format_money, format_tokens};
use crate::syntax::ast::{LitValue, Literal};

pub(super) fn literal(literal: &Literal) -> String {
    match literal.value {
        LitValue::Int(n) => group_digits(&n.to_string(), true),
        LitValue::Float(x) => {
            // `Display` writes the shortest digits that read back as the same float, and no
            // exponent; a float literal needs its `.`.
            let text = x.to_string();
            let text = if text.contains('.') { text } else { format!("{text}.0") };
            group_digits(&text, false)
        }
        LitValue::Percent(x) => format!("{}%", group_digits(&x.to_string(), false)),
        LitValue::Bool(b) => b.to_string(),
        LitValue::Duration(ms) => group_digits(&format_duration(ms), true),
        LitValue::Money(micros) => group_digits(&format_money(micros), false),
        LitValue::Tokens(count) => group_digits(&format_tokens(count), false),
    }
}

/// Groups the digits of the first number in `text` (of every number when `every`, as in
/// `1_000d12h`) in threes from the right, when it has four digits or more. Digits after a
/// `.` are a fraction and are left alone.
fn group_digits(text: &str, every: bool) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut digits = String::new();
    let mut grouped_one = false;
    let mut in_fraction = false;
    for ch in text.chars().chain(std::iter::once('\0')) {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        if !digits.is_empty() {
            if in_fraction || (grouped_one && !every) {
                out.push_str(&digits);
            } else {
                out.push_str(&grouped(&digits));
                grouped_one = true;
            }
            digits.clear();
        }
        in_fraction = ch == '.';
        if ch != '\0' {
            out.push(ch);
        }
    }
    out
}

fn grouped(digits: &str) -> String {
    if digits.len() < 4 {
        return digits.to_owned();
    }
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn lit(value: LitValue) -> String {
        literal(&Literal { value, text: String::new(), span: Span::default() })
    }

    #[test]
    fn whole_numbers_group_from_four_digits() {
        assert_eq!(lit(LitValue::Int(999)), "999");
        assert_eq!(lit(LitValue::Int(1000)), "1_000");
        assert_eq!(lit(LitValue::Int(1_234_567)), "1_234_567");
    }

    #[test]
    fn floats_keep_their_point_and_leave_the_fraction_alone() {
        assert_eq!(lit(LitValue::Float(2.5)), "2.5");
        assert_eq!(lit(LitValue::Float(2.0)), "2.0");
        assert_eq!(lit(LitValue::Float(12_345.678_9)), "12_345.6789");
        assert_eq!(lit(LitValue::Percent(80.0)), "80%");
        assert_eq!(lit(LitValue::Percent(0.1)), "0.1%");
    }

    #[test]
    fn units_print_in_their_one_form() {
        assert_eq!(lit(LitValue::Money(3_000_000)), "$3.00");
        assert_eq!(lit(LitValue::Money(400)), "$0.0004");
        assert_eq!(lit(LitValue::Money(1_250_000_000)), "$1_250.00");
        assert_eq!(lit(LitValue::Tokens(12_000)), "12k tokens");
        assert_eq!(lit(LitValue::Tokens(1_500)), "1_500 tokens");
        assert_eq!(lit(LitValue::Tokens(1_250_000)), "1_250k tokens");
        assert_eq!(lit(LitValue::Duration(5_400_000)), "1h30m");
        assert_eq!(lit(LitValue::Duration(1_000 * 86_400_000 + 1_500)), "1_000d1s500ms");
        assert_eq!(lit(LitValue::Bool(true)), "true");
    }
}
