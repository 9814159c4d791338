//! The version of wf's JSON outputs. Each output (`wf check --format json`, the run report,
//! `--events ndjson`, `wf runs|show|stats|cost|list --format json`) carries it as `version`,
//! and each is described by a JSON Schema in `docs/schemas/`, which tests hold against real
//! output. Adding a field keeps the version; renaming, removing or retyping one bumps it.

use serde_json::{Map, Value};

/// The shape version every JSON output carries.
pub const VERSION: u32 = 1;

/// `value` with `version` as its first field; a value that is not an object (a list) goes
/// under `field` instead, so every output is an object that says its version.
pub fn versioned(value: Value, field: &str) -> Value {
    let mut out = Map::new();
    out.insert("version".to_owned(), Value::from(VERSION));
    match value {
        Value::Object(fields) => out.extend(fields),
        other => {
            out.insert(field.to_owned(), other);
        }
    }
    Value::Object(out)
}
