//! `wf list FILE`: every workflow a file declares, with its parameters and description.

use super::{Test, BAD};

const TWO: &str = r#"workflow deploy(service: string, replicas: int = 3, pause: duration = 2m) {
  description "Roll a service out"
  run apply "kubectl apply -f {{service}}.yaml"
}

workflow smoke(urls: list<string> = ["https://a.example"]) {
  run curl "curl -fsS https://a.example"
}
"#;

#[test]
fn list_names_each_workflow_with_its_description_and_parameters() {
    let ran = Test::new().file("a.wf", TWO).args(&["list", "a.wf"]).run();
    ran.code(0);
    assert_eq!(
        ran.stdout(),
        concat!(
            "deploy  Roll a service out\n",
            "  --arg service=<string>     required\n",
            "  --arg replicas=<int>       default 3\n",
            "  --arg pause=<duration>     default 2m\n",
            "smoke\n",
            "  --arg urls=<list<string>>  default [\"https://a.example\"]\n",
        )
    );
}

#[test]
fn list_as_json_gives_types_and_defaults() {
    let ran = Test::new().file("a.wf", TWO).args(&["list", "--format", "json", "a.wf"]).run();
    ran.code(0);
    let json: serde_json::Value = serde_json::from_str(&ran.stdout()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["file"], "a.wf");
    let deploy = &json["workflows"][0];
    assert_eq!(deploy["name"], "deploy");
    assert_eq!(deploy["description"], "Roll a service out");
    assert_eq!(deploy["params"][0], serde_json::json!({ "name": "service", "type": "string", "default": null }));
    assert_eq!(deploy["params"][2], serde_json::json!({ "name": "pause", "type": "duration", "default": "2m" }));
    assert_eq!(json["workflows"][1]["description"], serde_json::Value::Null);
}

#[test]
fn list_of_a_file_with_errors_shows_them_and_exits_1() {
    Test::new().file("a.wf", BAD).args(&["list", "a.wf"]).run().code(1).stderr_has("wf::check::unknown_name");
    Test::new().args(&["list", "missing.wf"]).run().code(2).stderr_has("cannot read `missing.wf`");
}

#[test]
fn list_of_a_module_without_workflows_says_so() {
    Test::new()
        .file("m.wf", "const limit = 3\n")
        .args(&["list", "m.wf"])
        .run()
        .code(0)
        .stdout_has("m.wf declares no workflow");
}
