//! Content hashes of step definitions, used by resume to tell which steps changed.

use std::io;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::span;

/// Hashes a step's normalised definition. Source positions and arena indices are left out,
/// so moving a step, reformatting the file or editing comments leaves the hash alone;
/// changing what the step does changes it. The definition is serialized straight into the
/// digest, with no intermediate tree.
pub fn step_hash(definition: &impl Serialize) -> String {
    struct Writer(Sha256);
    impl io::Write for Writer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut writer = Writer(Sha256::new());
    // Serializing plain data into a digest cannot fail; a failure would only change the hash.
    let _ = span::without_positions(|| serde_json::to_writer(&mut writer, definition));
    writer.0.finalize().iter().take(8).map(|byte| format!("{byte:02x}")).collect()
}
