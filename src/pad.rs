//! Text padded to a column's width, for tables and aligned lists.
//!
//! `format!("{text:<width$}")` panics when `width` is over 65,535 ("Formatting argument out of
//! range"), and column widths come from names people write: a step name of 70,000 characters
//! made `wf cost` panic. These count characters as `format!` does, for any width.

/// `text`, then spaces up to `width` characters.
pub fn left(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + width);
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(text.chars().count())));
    out
}

/// Spaces up to `width` characters, then `text`.
pub fn right(text: &str, width: usize) -> String {
    let mut out: String = std::iter::repeat_n(' ', width.saturating_sub(text.chars().count())).collect();
    out.push_str(text);
    out
}

/// `text` in the middle of `width` characters (the extra space on the right, as `{:^}`).
pub fn center(text: &str, width: usize) -> String {
    let spare = width.saturating_sub(text.chars().count());
    let mut out: String = std::iter::repeat_n(' ', spare / 2).collect();
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', spare - spare / 2));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pads_like_format_for_any_width() {
        for text in ["", "a", "step", "é中"] {
            for width in [0, 1, 5, 9] {
                assert_eq!(super::left(text, width), format!("{text:<width$}"));
                assert_eq!(super::right(text, width), format!("{text:>width$}"));
                assert_eq!(super::center(text, width), format!("{text:^width$}"));
            }
        }
        assert_eq!(super::left("x", 70_000).len(), 70_000);
        assert_eq!(super::right("x", 70_000).len(), 70_000);
    }
}
