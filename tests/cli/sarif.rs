//! `wf check --format sarif`: valid SARIF 2.1.0 that GitHub code scanning can take.

use super::{Test, BAD, GOOD, WARNS};

/// The OASIS SARIF 2.1.0 schema, vendored (`tests/schemas/sarif-2.1.0.json`).
const SARIF_SCHEMA: &str = include_str!("../schemas/sarif-2.1.0.json");

/// Validates `instance` against `schema`, with formats (`uri`, `uri-reference`) asserted too.
pub fn validate(schema: &str, instance: &serde_json::Value) -> Result<(), String> {
    let schema: serde_json::Value = serde_json::from_str(schema).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource("file:///schema.json", schema).unwrap();
    let index = compiler.compile("file:///schema.json", &mut schemas).unwrap();
    schemas.validate(instance, index).map_err(|error| format!("{error:#}"))
}

pub fn assert_valid(schema: &str, instance: &serde_json::Value) {
    if let Err(error) = validate(schema, instance) {
        panic!("not valid against the schema:\n{error}\n{}", serde_json::to_string_pretty(instance).unwrap());
    }
}

fn sarif(ran: &super::Ran) -> serde_json::Value {
    serde_json::from_str(&ran.stdout()).unwrap()
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let ran = Test::new()
        .file("a.wf", BAD)
        .file("dir with space/b.wf", WARNS)
        .args(&["check", "--format", "sarif", "a.wf", "dir with space/b.wf"])
        .run();
    ran.code(1);
    let log = sarif(&ran);
    assert_valid(SARIF_SCHEMA, &log);
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "dir%20with%20space/b.wf"
    );

    // The validator is not a rubber stamp: a line 0 breaks the schema's `minimum: 1`.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    assert!(validate(SARIF_SCHEMA, &broken).is_err(), "line 0 accepted");
}

#[test]
fn sarif_results_have_physical_locations_and_levels() {
    let ran =
        Test::new().file("a.wf", BAD).file("b.wf", WARNS).args(&["check", "--format", "sarif", "a.wf", "b.wf"]).run();
    let log = sarif(&ran);
    let results = &log["runs"][0]["results"];
    let first = &results[0];
    assert_eq!(first["ruleId"], "wf::check::unknown_name");
    assert_eq!(first["level"], "error");
    assert_eq!(first["message"]["text"], "unknown name `buld`\nhelp: did you mean `build`?");
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "a.wf");
    let region = &location["region"];
    assert_eq!(
        (&region["startLine"], &region["startColumn"], &region["endLine"], &region["endColumn"]),
        (&3.into(), &20.into(), &3.into(), &24.into())
    );
    assert_eq!(results[1]["level"], "warning");
    assert_eq!(results[1]["ruleId"], "wf::check::unused_param");
}

#[test]
fn sarif_has_a_rule_per_code_with_help_and_the_explain_command() {
    let ran = Test::new().file("a.wf", BAD).args(&["check", "--format", "sarif", "a.wf"]).run();
    let log = sarif(&ran);
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let codes = wf::explain::entries();
    assert_eq!(rules.len(), codes.len(), "one rule per documented code");
    for (rule, entry) in rules.iter().zip(&codes) {
        assert_eq!(rule["id"], entry.code.as_str());
    }
    let result = &log["runs"][0]["results"][0];
    let rule = &rules[usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap()];
    assert_eq!(rule["id"], result["ruleId"], "ruleIndex points at the result's rule");
    assert!(
        rule["shortDescription"]["text"].as_str().unwrap().starts_with("A name in an expression is not a parameter"),
        "{rule}"
    );
    let help = rule["help"]["text"].as_str().unwrap();
    assert!(help.contains("```wf"), "help has the examples: {help}");
    assert!(help.contains("`wf explain wf::check::unknown_name`"), "help names the command: {help}");
}

#[test]
fn sarif_of_a_clean_file_has_no_results() {
    let ran = Test::new().file("a.wf", GOOD).args(&["check", "--format", "sarif", "a.wf"]).run();
    ran.code(0);
    let log = sarif(&ran);
    assert_valid(SARIF_SCHEMA, &log);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}
