//! The text of every file a check or run reads, by [`FileId`].

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A file's index in [`Sources`], and in the program's list of source files.
pub type FileId = usize;

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// How the file is named to people: the path as given, or `std/models` for the stdlib.
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, name: String, text: String) -> FileId {
        self.files.push(SourceFile { name, text });
        self.files.len() - 1
    }

    pub fn get(&self, file: FileId) -> &SourceFile {
        &self.files[file]
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// What `wf` agrees to read as a workflow file or module: a regular file of at most
/// [`MAX_SOURCE_BYTES`], inside the project unless allowed out. `use "/dev/zero"` grew to
/// 2 GB and `use "/etc/passwd"` printed its lines before this.
///
/// This is the one part of `source` that touches the file system; the loader stays pure and
/// gets it as its reader. A refusal is an [`io::Error`] carrying a [`Refused`], which the
/// loader turns into `wf::load::module_refused` at the `use` that asked.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The project folder, canonical; `None` when any folder may be read.
    project: Option<PathBuf>,
}

/// Larger than any workflow a person writes (the 10,000-step benchmark is under 1 MB).
pub const MAX_SOURCE_BYTES: u64 = 4 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotAFile { kind: &'static str },
    TooLarge { bytes: u64 },
    OutsideProject,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::NotAFile { kind } => write!(f, "it is {kind}, not a regular file"),
            Refused::TooLarge { bytes } => {
                write!(f, "it is {bytes} bytes, more than the {MAX_SOURCE_BYTES} a workflow file may be")
            }
            Refused::OutsideProject => {
                write!(f, "it is outside the project (pass `--allow-outside-project` to read it anyway)")
            }
        }
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// The refusal an I/O error carries, if it is one.
    pub fn of(error: &io::Error) -> Option<&Refused> {
        error.get_ref().and_then(|inner| inner.downcast_ref::<Refused>())
    }
}

#[allow(clippy::disallowed_methods)] // The reader the CLI hands the loader.
impl Policy {
    /// The policy for checking `root`: the project is the nearest folder from `root`'s own
    /// upwards that holds `.git`; else the current folder when `root` is under it; else
    /// `root`'s own folder. `allow_outside` lifts that limit.
    pub fn for_root(root: &Path, allow_outside: bool) -> Policy {
        if allow_outside {
            return Policy { project: None };
        }
        let file = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let folder = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let current =
            std::env::current_dir().and_then(std::fs::canonicalize).ok().filter(|dir| folder.starts_with(dir));
        let project = match folder.ancestors().find(|dir| dir.join(".git").exists()) {
            Some(repository) => repository.to_path_buf(),
            None => current.unwrap_or(folder),
        };
        Policy { project: Some(project) }
    }

    /// No project limit, still only regular files of a sane size (the language server).
    pub fn anywhere() -> Policy {
        Policy { project: None }
    }

    /// Reads `path` as UTF-8 text if the policy allows it.
    pub fn read(&self, path: &Path) -> io::Result<String> {
        let real = std::fs::canonicalize(path)?;
        if let Some(project) = &self.project {
            if !real.starts_with(project) {
                return Err(refuse(Refused::OutsideProject));
            }
        }
        // Ask before opening: opening a FIFO would wait for a writer.
        check_kind(&std::fs::metadata(&real)?)?;
        let file = std::fs::File::open(&real)?;
        check_kind(&file.metadata()?)?;
        let mut bytes = Vec::new();
        file.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_SOURCE_BYTES {
            return Err(refuse(Refused::TooLarge { bytes: bytes.len() as u64 }));
        }
        String::from_utf8(bytes).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
    }
}

fn check_kind(metadata: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let kind = metadata.file_type();
    let name = if kind.is_file() {
        if metadata.len() > MAX_SOURCE_BYTES {
            return Err(refuse(Refused::TooLarge { bytes: metadata.len() }));
        }
        return Ok(());
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "an unusual file"
    };
    Err(refuse(Refused::NotAFile { kind: name }))
}

fn refuse(refused: Refused) -> io::Error {
    io::Error::other(refused)
}
