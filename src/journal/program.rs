//! The checked program a run follows, stored once per version of its sources (`programs`),
//! so that `wf resume` of an unchanged workflow loads it instead of checking the files again.
//!
//! A stored program is keyed by [`Origins::key`]: a digest of this wf build, and of the name
//! and text of every file the check read — the root file, each `use`d file and each `std/`
//! module. A resume that finds every file on disk (and every `std/` module in this binary)
//! as it was uses the stored program; anything else checks the files again, as a run does.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ir::Program;
use crate::source::Sources;

/// Where a program came from: every file the check read, with its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origins {
    /// The digest of the build and of every file below: the `programs` row's key.
    pub key: String,
    pub files: Vec<Origin>,
}

/// One file a check read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// `std/models` for a module embedded in wf, else the file's absolute path.
    pub path: String,
    pub std: bool,
    /// SHA-256 of its text, in hex.
    pub sha256: String,
}

impl Origins {
    /// The origins of a check's sources. `absolute` makes a file's name (as the loader gave
    /// it, relative to the working folder) into the path a later resume reads it at.
    pub fn of(sources: &Sources, absolute: &dyn Fn(&str) -> String) -> Origins {
        let files = sources
            .iter()
            .map(|(_, file)| {
                let std = is_std(&file.name, &file.text);
                let path = if std { file.name.clone() } else { absolute(&file.name) };
                Origin { path, std, sha256: digest(file.text.as_bytes()) }
            })
            .collect();
        Origins::from_files(files)
    }

    fn from_files(files: Vec<Origin>) -> Origins {
        let mut hasher = Sha256::new();
        hasher.update(build().as_bytes());
        for file in &files {
            // Lengths first, so no two lists of names and digests run together the same way.
            for part in [file.path.as_str(), if file.std { "std" } else { "file" }, file.sha256.as_str()] {
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part.as_bytes());
            }
        }
        Origins { key: hex(&hasher.finalize()), files }
    }

    /// Whether every file is as it was: `read` gives a file's bytes now (`None` when it
    /// cannot be read); a `std/` module is compared with the one this binary embeds. The
    /// key is computed again too, so a stored program from another wf build never matches.
    pub fn unchanged(&self, read: &dyn Fn(&str) -> Option<Vec<u8>>) -> bool {
        let same = self.files.iter().all(|file| {
            let now = if file.std {
                file.path.strip_prefix("std/").and_then(crate::stdlib::module).map(|text| digest(text.as_bytes()))
            } else {
                read(&file.path).map(|bytes| digest(&bytes))
            };
            now.as_deref() == Some(file.sha256.as_str())
        });
        same && Origins::from_files(self.files.clone()).key == self.key
    }
}

/// A `std/NAME` module as this binary embeds it (a file of that name with other text is a file).
fn is_std(name: &str, text: &str) -> bool {
    name.strip_prefix("std/").and_then(crate::stdlib::module).is_some_and(|embedded| embedded == text)
}

/// What tells this wf build from others: a program checked by another build may differ even
/// from the same text, so its programs are never reused. The version, and the executable's
/// size and modification time (a rebuild of the same version changes them).
fn build() -> String {
    let exe = std::env::current_exe().and_then(std::fs::metadata).ok();
    let stamp = exe.map(|meta| {
        let modified = meta.modified().ok().and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok());
        format!("{}:{}", meta.len(), modified.map(|at| at.as_nanos()).unwrap_or_default())
    });
    format!("wf {} {}", env!("CARGO_PKG_VERSION"), stamp.unwrap_or_default())
}

/// SHA-256 of `bytes`, in hex.
pub fn digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// The program as the `programs` table holds it.
pub fn encode(program: &Program) -> serde_json::Result<String> {
    serde_json::to_string(program)
}

/// A stored program; `None` when this wf cannot read it (written by a build whose program
/// had another shape), which the resume treats as no stored program at all.
pub fn decode(text: &str) -> Option<Program> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Sources {
        let mut sources = Sources::default();
        for (name, text) in files {
            sources.add((*name).to_owned(), (*text).to_owned());
        }
        sources
    }

    #[test]
    fn origins_tell_std_modules_from_files_and_see_any_change() {
        let gates = crate::stdlib::module("gates").expect("std/gates");
        let checked = sources(&[("flow.wf", "workflow w() {}\n"), ("std/gates", gates), ("std/x", "a file")]);
        let origins = Origins::of(&checked, &|name| format!("/project/{name}"));
        let kinds: Vec<(&str, bool)> = origins.files.iter().map(|file| (file.path.as_str(), file.std)).collect();
        assert_eq!(kinds, [("/project/flow.wf", false), ("std/gates", true), ("/project/std/x", false)]);
        let disk = |text: &'static str| {
            move |path: &str| match path {
                "/project/flow.wf" => Some(text.as_bytes().to_vec()),
                "/project/std/x" => Some(b"a file".to_vec()),
                _ => None,
            }
        };
        assert!(origins.unchanged(&disk("workflow w() {}\n")));
        assert!(!origins.unchanged(&disk("workflow w() { run a \"true\" }\n")), "an edited root");
        assert!(!origins.unchanged(&|_| None), "files gone");
        let mut forged = origins.clone();
        forged.files[1].sha256 = digest(b"another std/gates");
        assert!(!forged.unchanged(&disk("workflow w() {}\n")), "a std module this binary does not embed");
        let mut other_key = origins.clone();
        other_key.key = digest(b"another build");
        assert!(!other_key.unchanged(&disk("workflow w() {}\n")), "a key from another build");
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // The test reads the examples from disk.
    fn every_example_reads_back_as_it_was_written() {
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut seen = 0;
        for entry in std::fs::read_dir(&examples).expect("examples") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|extension| extension != "wf") {
                continue;
            }
            let outcome = crate::check_path(&path, &|path| std::fs::read_to_string(path)).expect("reads");
            assert!(!outcome.checked.has_errors(), "{}", path.display());
            let stored = encode(&outcome.checked.program).expect("encodes");
            let read = decode(&stored).expect("decodes");
            assert_eq!(encode(&read).expect("encodes again"), stored, "{} changed on the way", path.display());
            seen += 1;
        }
        assert!(seen >= 5, "only {seen} examples");
        assert!(decode("{\"workflows\": 3}").is_none(), "another shape is no program");
    }
}
