//! The commands wf prints for a person to run next (`wf approve …`, `wf resume …`): each
//! word quoted for the shell, with the state folder when it is not the default, so that a
//! command pasted as printed works.

use std::path::Path;

use crate::ir::{format_money, format_tokens};

/// The state folder `wf` uses when neither `--state-dir` nor `WF_STATE_DIR` says otherwise.
pub const DEFAULT_STATE_DIR: &str = ".wf";

/// `wf WORDS… [--state-dir DIR]`, each word quoted where the shell would read it otherwise.
pub fn wf(words: &[&str], state_dir: &Path) -> String {
    let mut line = String::from("wf");
    for word in words {
        line.push(' ');
        line.push_str(&quote(word));
    }
    if state_dir != Path::new(DEFAULT_STATE_DIR) {
        line.push_str(" --state-dir ");
        line.push_str(&quote(&state_dir.to_string_lossy()));
    }
    line
}

pub fn quote(word: &str) -> String {
    shlex::try_quote(word).map_or_else(|_| word.to_owned(), std::borrow::Cow::into_owned)
}

/// A budget that lets the run go on: twice the limit, and at least what is spent plus what
/// the next attempt expects; money in whole cents, tokens in thousands.
pub fn raised_money(limit: i64, needed: i64) -> String {
    let amount = limit.saturating_mul(2).max(needed);
    let cents = amount.saturating_add(9_999) / 10_000;
    format_money(cents.saturating_mul(10_000))
}

/// [`raised_money`] for tokens.
pub fn raised_tokens(limit: u64, needed: u64) -> String {
    let amount = limit.saturating_mul(2).max(needed);
    format_tokens(amount.div_ceil(1_000).saturating_mul(1_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_and_a_custom_state_dir_is_named() {
        assert_eq!(wf(&["resume", "1m8-abc"], Path::new(".wf")), "wf resume 1m8-abc");
        assert_eq!(
            wf(&["resume", "r", "--budget", "work=$7.00"], Path::new("/tmp/my state")),
            "wf resume r --budget 'work=$7.00' --state-dir '/tmp/my state'"
        );
        assert_eq!(wf(&["approve", "r", "fix[2]/review"], Path::new(".wf")), "wf approve r 'fix[2]/review'");
    }

    #[test]
    fn a_raised_budget_covers_the_next_attempt() {
        assert_eq!(raised_money(2_500_000, 3_000_000), "$5.00");
        assert_eq!(raised_money(100_000, 900_001), "$0.91");
        assert_eq!(raised_tokens(10_000, 25_500), "26k tokens");
    }
}
