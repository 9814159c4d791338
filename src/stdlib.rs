//! The standard library, embedded in the binary so `use std/NAME` works from any directory.

/// `(path under std/, text)` for every stdlib module.
pub const MODULES: &[(&str, &str)] = &[
    ("models", include_str!("../stdlib/models.wf")),
    ("gates", include_str!("../stdlib/gates.wf")),
    ("flows/bug_fix", include_str!("../stdlib/flows/bug_fix.wf")),
    ("flows/feature", include_str!("../stdlib/flows/feature.wf")),
    ("flows/canary", include_str!("../stdlib/flows/canary.wf")),
];

/// The text of `std/PATH`, where `path` is `models` or `flows/bug_fix`.
pub fn module(path: &str) -> Option<&'static str> {
    MODULES.iter().find(|(name, _)| *name == path).map(|(_, text)| *text)
}
