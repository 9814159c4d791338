//! What the unit tests share.

/// How many cases a property test runs: `WF_PROPTEST_CASES` when it is set (`.ci/run` raises
/// it), else `default`, small enough that a plain `cargo test` does not wait on it. The
/// integration tests have the same function in `tests/common/mod.rs`.
#[allow(clippy::disallowed_methods)] // Tests read the environment.
pub(crate) fn proptest_cases(default: u32) -> u32 {
    std::env::var("WF_PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default)
}
