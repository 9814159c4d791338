//! Content hashes of step definitions, used by resume to tell which steps changed.

use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// Hashes a step's normalised definition. Source positions and arena indices are removed
/// first, so moving a step, reformatting the file or editing comments leaves the hash alone;
/// changing what the step does changes it.
pub fn step_hash(definition: &impl Serialize) -> String {
    let mut json = serde_json::to_value(definition).unwrap_or(Json::Null);
    strip_positions(&mut json);
    let digest = Sha256::digest(json.to_string().as_bytes());
    digest.iter().take(8).map(|byte| format!("{byte:02x}")).collect()
}

fn strip_positions(json: &mut Json) {
    match json {
        Json::Object(map) => {
            map.retain(|key, _| key != "span" && key != "index");
            map.values_mut().for_each(strip_positions);
        }
        Json::Array(items) => items.iter_mut().for_each(strip_positions),
        _ => {}
    }
}
