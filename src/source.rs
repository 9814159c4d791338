//! The text of every file a check or run reads, by [`FileId`].

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
