//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `name`, when it is close enough to be a likely typo: at most a
/// third of the longer name's characters (and at least one) inserted, deleted, changed or
/// swapped with a neighbour.
///
/// Called once per unknown name with every name in scope, so it must be cheap per
/// candidate: one whose length alone puts it too far is skipped before any distance is
/// computed, and the distance is the table-only (optimal string alignment) form.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let length = name.chars().count();
    candidates
        .into_iter()
        .filter(|candidate| *candidate != name)
        .filter_map(|candidate| {
            let other = candidate.chars().count();
            let allowed = (length.max(other) / 3).max(1);
            if length.abs_diff(other) > allowed {
                return None;
            }
            let distance = strsim::osa_distance(name, candidate);
            (distance <= allowed).then_some((distance, candidate))
        })
        .min_by_key(|(distance, candidate)| (*distance, *candidate))
        .map(|(_, candidate)| candidate)
}

/// `did you mean `x`?` as help text.
pub fn help<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(name, candidates).map(|candidate| format!("did you mean `{candidate}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("tset", ["test", "lint"]), Some("test"));
        assert_eq!(did_you_mean("coverag", ["coverage", "stdout"]), Some("coverage"));
        assert_eq!(did_you_mean("xyz", ["coverage", "stdout"]), None);
    }
}
