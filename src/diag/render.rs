//! Rendering diagnostics for people (`human`), for grep (`short`), for tools (`json`), for
//! GitHub Actions annotations (`github`) and for code scanning (`sarif`, in `sarif.rs`).

use std::collections::HashMap;
use std::fmt;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde::Serialize;

use super::excerpt::{excerpt, Excerpt, LineIndex};
use super::position::{position, Position};
use super::{Diagnostic, Severity};
use crate::ir::FileId;
use crate::source::Sources;

/// At most this many diagnostics are shown per file; the rest are counted. The first ones
/// are the ones to fix, and a file of garbage would otherwise print without end.
pub const MAX_PER_FILE: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Short,
    Json,
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards.
    Sarif,
}

/// How `human` output looks.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// Renders the diagnostics in one format, at most [`MAX_PER_FILE`] per file, then a line
/// per file saying how many more there are (not in `json`, which stays a plain list). The
/// result ends with a newline unless empty. The time taken grows with the number of
/// diagnostics shown, not with the size of the files.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, format: Format, style: Style) -> String {
    let (shown, hidden) = cap(diagnostics);
    let files = index(sources);
    let mut out = match format {
        Format::Human => human(&shown, sources, style),
        Format::Short => short(&shown, &files),
        Format::Json => json(&shown, &files),
        Format::Github => github(&shown, &files),
        Format::Sarif => super::sarif::sarif(&shown, &files),
    };
    for (file, count) in hidden {
        let name = &sources.get(file).name;
        let note =
            format!("{count} more diagnostics in `{name}` are not shown; fix the first {MAX_PER_FILE} and check again");
        match format {
            Format::Human | Format::Short => out.push_str(&format!("note: {note}\n")),
            Format::Github => {
                out.push_str(&format!("::notice file={}::{}\n", escape_property(name), escape_data(&note)))
            }
            Format::Json | Format::Sarif => {}
        }
    }
    out
}

/// The first [`MAX_PER_FILE`] diagnostics of each file, and how many each file had beyond.
fn cap(diagnostics: &[Diagnostic]) -> (Vec<Diagnostic>, Vec<(FileId, usize)>) {
    let mut per_file: HashMap<FileId, usize> = HashMap::new();
    let mut shown = Vec::with_capacity(diagnostics.len().min(MAX_PER_FILE));
    for diagnostic in diagnostics {
        let count = per_file.entry(diagnostic.file).or_default();
        *count += 1;
        if *count <= MAX_PER_FILE {
            shown.push(diagnostic.clone());
        }
    }
    let mut hidden: Vec<(FileId, usize)> = per_file
        .into_iter()
        .filter(|&(_, count)| count > MAX_PER_FILE)
        .map(|(file, count)| (file, count - MAX_PER_FILE))
        .collect();
    hidden.sort_unstable();
    (shown, hidden)
}

fn index(sources: &Sources) -> SimpleFiles<&str, &str> {
    let mut files = SimpleFiles::new();
    for (_, file) in sources.iter() {
        files.add(file.name.as_str(), file.text.as_str());
    }
    files
}

fn human(diagnostics: &[Diagnostic], sources: &Sources, style: Style) -> String {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_links(false);
    let mut out = String::new();
    let mut indexes: HashMap<FileId, LineIndex> = HashMap::new();
    for diagnostic in diagnostics {
        let file = sources.get(diagnostic.file);
        let index = indexes.entry(diagnostic.file).or_insert_with(|| LineIndex::new(&file.text));
        let labels: Vec<LabeledSpan> = diagnostic.inner().labels().map(Iterator::collect).unwrap_or_default();
        let (source, labels) = excerpt(&file.name, &file.text, index, &labels);
        let with_source = WithSource { diagnostic, source, labels };
        if handler.render_report(&mut out, &with_source).is_err() {
            out.push_str(&diagnostic.message());
            out.push('\n');
        }
    }
    out
}

fn short(diagnostics: &[Diagnostic], files: &SimpleFiles<&str, &str>) -> String {
    let config = term::Config { display_style: term::DisplayStyle::Short, ..term::Config::default() };
    let mut out = String::new();
    for diagnostic in diagnostics {
        let span = diagnostic.span();
        let head = match diagnostic.severity() {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        };
        let report = head
            .with_code(diagnostic.code())
            .with_message(diagnostic.message())
            .with_labels(vec![cs::Label::primary(diagnostic.file, span.start..span.end)]);
        match term::emit_into_string(&config, files, &report) {
            Ok(text) => out.push_str(&text),
            Err(_) => out.push_str(&format!("{}\n", diagnostic.message())),
        }
    }
    out
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: String,
    severity: Severity,
    message: String,
    file: &'a str,
    line: usize,
    column: usize,
    end: Position,
    help: Option<String>,
}

fn json(diagnostics: &[Diagnostic], files: &SimpleFiles<&str, &str>) -> String {
    let items: Vec<JsonDiagnostic> = diagnostics
        .iter()
        .map(|diagnostic| {
            let span = diagnostic.span();
            let start = position(files, diagnostic.file, span.start);
            JsonDiagnostic {
                code: diagnostic.code(),
                severity: diagnostic.severity(),
                message: diagnostic.message(),
                file: files.get(diagnostic.file).map_or("", |file| *file.name()),
                line: start.line,
                column: start.column,
                end: position(files, diagnostic.file, span.end),
                help: diagnostic.help(),
            }
        })
        .collect();
    let items = serde_json::to_value(&items).unwrap_or_default();
    let mut out = serde_json::to_string_pretty(&crate::schema::versioned(items, "diagnostics")).unwrap_or_default();
    out.push('\n');
    out
}

fn github(diagnostics: &[Diagnostic], files: &SimpleFiles<&str, &str>) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let span = diagnostic.span();
        let start = position(files, diagnostic.file, span.start);
        let end = position(files, diagnostic.file, span.end);
        let name = files.get(diagnostic.file).map_or("", |file| *file.name());
        let mut message = diagnostic.message();
        if let Some(help) = diagnostic.help() {
            message.push('\n');
            message.push_str(&help);
        }
        out.push_str(&format!(
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            diagnostic.severity().as_str(),
            escape_property(name),
            start.line,
            start.column,
            end.line,
            end.column,
            escape_property(&diagnostic.code()),
            escape_data(&message),
        ));
    }
    out
}

/// Workflow-command escaping for a message, as the Actions runner expects.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Workflow-command escaping for a property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A diagnostic with the excerpt it points into and its labels moved there, for miette's
/// renderer.
struct WithSource<'a> {
    diagnostic: &'a Diagnostic,
    source: Excerpt,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.diagnostic.inner(), f)
    }
}

impl std::error::Error for WithSource<'_> {}

impl miette::Diagnostic for WithSource<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.inner().code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.diagnostic.inner().severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.inner().help()
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.inner().url()
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}
