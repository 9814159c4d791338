//! The colours of the symbols that the live view (`run/view.rs`) and the report print, or
//! none when the output is not a terminal or `NO_COLOR` is set.

use console::Style;

/// Colours for the symbols, or none.
#[derive(Clone)]
pub struct Palette {
    pub ok: Style,
    pub bad: Style,
    pub dim: Style,
    pub warn: Style,
    pub bold: Style,
}

impl Palette {
    pub fn new(color: bool) -> Palette {
        let style = |style: Style| style.force_styling(color);
        Palette {
            ok: style(Style::new().green()),
            bad: style(Style::new().red()),
            dim: style(Style::new().dim()),
            warn: style(Style::new().yellow()),
            bold: style(Style::new().bold()),
        }
    }
}
