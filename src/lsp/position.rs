//! Positions: the protocol's lines and UTF-16 columns to byte offsets into the text, and back.
//!
//! LSP counts columns in UTF-16 code units (the one encoding every client supports); spans
//! are byte offsets into UTF-8 text. `é` is two bytes and one unit, `🚀` four bytes and two.

use lsp_types::{Position, Range};

use crate::span::Span;

/// Where each line of one text starts.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// The byte offset of the start of every line; the first is 0.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The byte offset of `position` in `text` (the text this index was built from). A column
    /// past the end of its line means the end of the line, and a line past the last one the
    /// end of the text, as the protocol asks; a column inside a surrogate pair means the start
    /// of that character.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = usize::try_from(position.line).ok().and_then(|line| self.starts.get(line)) else {
            return text.len();
        };
        let end = self.content_end(text, position.line as usize);
        let wanted = position.character as usize;
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            units += c.len_utf16();
            if units > wanted {
                return start + i;
            }
        }
        end
    }

    /// The position of byte `offset` (clamped to the text, and to the start of the character
    /// it falls in).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(to_u32(line), to_u32(character))
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(self.position(text, span.start), self.position(text, span.end))
    }

    /// The end of line `line`'s text, before its `\n` or `\r\n`.
    fn content_end(&self, text: &str, line: usize) -> usize {
        let Some(&next) = self.starts.get(line + 1) else { return text.len() };
        let end = next - 1;
        if end > self.starts[line] && text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str, offset: usize, line: u32, character: u32) {
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, offset), Position::new(line, character), "position of byte {offset}");
        assert_eq!(index.offset(text, Position::new(line, character)), offset, "offset of {line}:{character}");
    }

    #[test]
    fn ascii_columns_are_bytes() {
        let text = "workflow a() {\n  run x \"y\"\n}\n";
        roundtrip(text, 0, 0, 0);
        roundtrip(text, 15, 1, 0);
        roundtrip(text, 21, 1, 6);
        roundtrip(text, text.len(), 3, 0);
    }

    #[test]
    fn two_byte_characters_are_one_unit() {
        // `é` is two bytes in UTF-8 and one UTF-16 unit.
        let text = "// résumé\nrun x";
        roundtrip(text, 4, 0, 4); // before `é`
        roundtrip(text, 6, 0, 5); // after `é`
        roundtrip(text, 11, 0, 9); // the end of line 0, after the second `é`
        roundtrip(text, 12, 1, 0);
    }

    #[test]
    fn astral_characters_are_two_units() {
        // `🚀` is four bytes in UTF-8 and a surrogate pair (two units) in UTF-16.
        let text = "\"🚀 {{plan.summary}}\"";
        roundtrip(text, 1, 0, 1);
        roundtrip(text, 5, 0, 3);
        roundtrip(text, 8, 0, 6); // the `p` of `plan`
        let index = LineIndex::new(text);
        // A column between the two halves of the pair means the start of the character.
        assert_eq!(index.offset(text, Position::new(0, 2)), 1);
    }

    #[test]
    fn offsets_inside_a_character_round_down() {
        let text = "aé";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 2), Position::new(0, 1));
    }

    #[test]
    fn columns_past_the_end_of_a_line_mean_its_end() {
        let text = "ab\r\ncd\nef";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, Position::new(0, 99)), 2, "before the \\r\\n");
        assert_eq!(index.offset(text, Position::new(1, 99)), 6, "before the \\n");
        assert_eq!(index.offset(text, Position::new(2, 99)), 9, "the last line ends the text");
        assert_eq!(index.offset(text, Position::new(7, 0)), 9, "lines past the last one");
        assert_eq!(index.position(text, 5), Position::new(1, 1));
    }

    #[test]
    fn ranges_convert_spans() {
        let text = "é\n🚀x";
        let index = LineIndex::new(text);
        let range = index.range(text, Span::new(3, 8));
        assert_eq!(range, Range::new(Position::new(1, 0), Position::new(1, 3)));
    }
}
