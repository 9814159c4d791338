//! Which files a command that takes `FILE|DIR...` works on (`wf check`, `wf fmt`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// `path` itself when it is a file; every `.wf` file under it, sorted, when it is a directory.
pub fn collect(path: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    if !fs::metadata(path)?.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut found = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            // Linked directories are not followed, so a link cannot make the walk go round.
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "wf") {
                found.push(path);
            }
        }
    }
    found.sort();
    files.extend(found);
    Ok(())
}
