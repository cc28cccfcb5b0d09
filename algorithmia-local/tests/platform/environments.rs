//! Build environments: the python3 language, its environment, and the template tarball.

use std::io::Read;

use crate::{ALICE, Api, start};

#[test]
fn the_python3_environment_and_its_template_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    let languages = alice.get("/v1/algorithm-environments/edge/languages");
    assert_eq!(languages.json[0]["name"], "python3");
    let display = languages.json[0]["display_name"].as_str().unwrap();
    assert!(display.starts_with("Python 3"), "{display}");

    let envs = alice.get("/v1/algorithm-environments/edge/languages/python3/environments");
    let env = &envs.json["environments"][0];
    let again = alice.get("/v1/algorithm-environments/edge/languages/python3/environments");
    assert_eq!(env["id"], again.json["environments"][0]["id"]);
    assert_eq!(env["machine_type"], "CPU");
    assert_eq!(
        alice
            .get("/v1/algorithm-environments/edge/languages/cobol/environments")
            .status,
        404
    );

    let spec = env["environment_specification_id"].as_str().unwrap();
    let response = reqwest::blocking::Client::new()
        .get(format!(
            "{}/v1/algorithm-environments/edge/environment-specifications/{spec}/template?username=alice&algoname=Greeter",
            alice.base
        ))
        .header("Authorization", format!("Simple {ALICE}"))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let bytes = response.bytes().unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let mut files = std::collections::BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        files.insert(path, text);
    }
    let names: Vec<_> = files.keys().cloned().collect();
    assert_eq!(
        names,
        [
            "algorithmia.conf",
            "requirements.txt",
            "src/Greeter.py",
            "src/Greeter_test.py",
            "src/__init__.py"
        ]
    );
    assert!(files["algorithmia.conf"].contains("\"username\": \"alice\""));
    assert!(files["algorithmia.conf"].contains("\"algoname\": \"Greeter\""));
    assert!(files["requirements.txt"].contains("algorithmia-adk"));
    assert!(files["src/Greeter.py"].contains("def apply(input)"));
    assert!(files["src/Greeter_test.py"].contains("Greeter.apply(\"Jane\") == \"hello Jane\""));
    let unknown =
        alice.get("/v1/algorithm-environments/edge/environment-specifications/nope/template");
    assert_eq!(unknown.status, 404);
}
