//! The Data API over plain HTTP: files, directories, paging, ACLs, connectors, both route
//! families. (The SDK's data API against this and any other server is the conformance suite's,
//! `tests/src/conformance`.)

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{ALICE, BOB, http, server};

struct Api {
    base: String,
    key: &'static str,
}

impl Api {
    async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> reqwest::Response {
        let mut request = http()
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Simple {}", self.key));
        if let Some(body) = body {
            request = request.body(body);
        }
        request.send().await.unwrap()
    }

    async fn json(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .send(method, path, Some(serde_json::to_vec(&body).unwrap()))
            .await;
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap()
            },
        )
    }

    async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let r = self.send(Method::GET, path, None).await;
        (r.status(), r.json().await.unwrap())
    }
}

fn api(server: &algorithmia_local::ServerHandle, key: &'static str) -> Api {
    Api {
        base: server.base_url().to_owned(),
        key,
    }
}

#[tokio::test]
async fn files_round_trip_with_awkward_names() {
    let server = server();
    let a = api(&server, ALICE);
    let (status, body) = a
        .json(
            Method::POST,
            "/v1/connector/data/.my",
            json!({"name": "docs", "acl": {"read": []}, "_dummy": null}),
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"result": "data://.my/docs"}))
    );
    for (encoded, name) in [
        ("plain.txt", "plain.txt"),
        ("with%20space.txt", "with space.txt"),
        ("hash%23and%3Fquery.bin", "hash#and?query.bin"),
        (
            "%C3%BCn%C3%AFc%C3%B8d%C3%A9%20%E2%9C%93.txt",
            "ünïcødé ✓.txt",
        ),
    ] {
        let path = format!("/v1/connector/data/.my/docs/{encoded}");
        let content = format!("contents of {name}").into_bytes();
        let r = a.send(Method::PUT, &path, Some(content.clone())).await;
        assert_eq!(r.status(), 200, "{name}");
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"result": format!("data://.my/docs/{name}")})
        );
        let r = a.send(Method::GET, &path, None).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-data-type"], "file");
        assert_eq!(
            r.headers()["content-length"],
            content.len().to_string().as_str()
        );
        assert!(r.headers().contains_key("last-modified"));
        assert_eq!(r.bytes().await.unwrap(), content);
        let r = a.send(Method::HEAD, &path, None).await;
        assert_eq!(
            (r.status(), &r.headers()["x-data-type"]),
            (StatusCode::OK, &"file".parse().unwrap())
        );
        assert_eq!(
            r.headers()["content-length"],
            content.len().to_string().as_str()
        );
        // The file is stored under its real name.
        assert!(
            server
                .data_dir()
                .join("data/alice/docs")
                .join(name)
                .is_file(),
            "{name}"
        );
    }
    // Overwrite replaces.
    a.send(
        Method::PUT,
        "/v1/connector/data/.my/docs/plain.txt",
        Some(b"v2".to_vec()),
    )
    .await;
    let r = a
        .send(Method::GET, "/v1/connector/data/alice/docs/plain.txt", None)
        .await;
    assert_eq!(r.bytes().await.unwrap(), "v2");
    // Missing files: 404 with a body on GET and X-Error-Message on HEAD.
    let r = a
        .send(Method::HEAD, "/v1/connector/data/.my/docs/nothing", None)
        .await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["x-error-message"]
            .to_str()
            .unwrap()
            .contains("not found")
    );
    let (status, body) = a.get_json("/v1/connector/data/.my/docs/nothing").await;
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("data://.my/docs/nothing")
    );
    // Delete a file.
    let (status, body) = a
        .json(
            Method::DELETE,
            "/v1/connector/data/.my/docs/plain.txt",
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"result": {"deleted": 1}}))
    );
    assert_eq!(
        a.send(Method::HEAD, "/v1/connector/data/.my/docs/plain.txt", None)
            .await
            .status(),
        404
    );
    // A file cannot be written into a collection that does not exist.
    let r = a
        .send(
            Method::PUT,
            "/v1/connector/data/.my/nocoll/x.txt",
            Some(b"x".to_vec()),
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn listings_page_with_markers_and_report_acls() {
    let server = server(); // three entries a page
    let a = api(&server, ALICE);
    a.json(
        Method::POST,
        "/v1/connector/data/.my",
        json!({"name": "many"}),
    )
    .await;
    for dir in ["sub1", "sub2"] {
        let (status, _) = a
            .json(
                Method::POST,
                "/v1/connector/data/.my/many",
                json!({"name": dir}),
            )
            .await;
        assert_eq!(status, 200);
    }
    for i in 0..5 {
        a.send(
            Method::PUT,
            &format!("/v1/connector/data/.my/many/f{i}.txt"),
            Some(vec![b'x'; i]),
        )
        .await;
    }
    let mut folders = Vec::new();
    let mut files = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &marker {
            Some(m) => format!("/v1/connector/data/.my/many?marker={m}"),
            None => "/v1/connector/data/.my/many".to_owned(),
        };
        let r = a.send(Method::GET, &path, None).await;
        assert_eq!(r.headers()["x-data-type"], "directory");
        let page: Value = r.json().await.unwrap();
        pages += 1;
        for f in page["folders"].as_array().into_iter().flatten() {
            folders.push(f["name"].as_str().unwrap().to_owned());
        }
        for f in page["files"].as_array().into_iter().flatten() {
            files.push((
                f["filename"].as_str().unwrap().to_owned(),
                f["size"].as_u64().unwrap(),
            ));
            let modified = f["last_modified"].as_str().unwrap();
            assert_eq!(modified.len(), 24, "{modified}");
            assert!(
                modified.ends_with(".000Z") && modified.as_bytes()[10] == b'T',
                "{modified}"
            );
        }
        assert!(page.get("acl").is_none());
        match page.get("marker") {
            None => break,
            Some(m) => {
                assert!(
                    !m.as_str().unwrap().is_empty(),
                    "an empty marker would loop some clients forever"
                );
                marker = Some(m.as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(folders, ["sub1", "sub2"]);
    assert_eq!(
        files,
        (0..5)
            .map(|i| (format!("f{i}.txt"), i as u64))
            .collect::<Vec<_>>()
    );

    // ACLs: default on create, reported with ?acl=true, replaced with PATCH (200, empty body).
    let (_, page) = a.get_json("/v1/connector/data/.my/many?acl=true").await;
    assert_eq!(page["acl"], json!({"read": ["algo://.my/*"]}));
    let r = a
        .send(
            Method::PATCH,
            "/v1/connector/data/.my/many",
            Some(br#"{"acl":{"read":["user://*"]}}"#.to_vec()),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().is_empty());
    let (_, page) = a.get_json("/v1/connector/data/.my/many?acl=true").await;
    assert_eq!(page["acl"], json!({"read": ["user://*"]}));
    let (status, _) = a
        .json(
            Method::PATCH,
            "/v1/connector/data/.my/many",
            json!({"acl": {"read": ["group://x"]}}),
        )
        .await;
    assert_eq!(status, 400);
    // A bad marker is refused.
    let (status, body) = a
        .get_json("/v1/connector/data/.my/many?marker=%21%21")
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!(5002))
    );

    // The data root lists the caller; an owner root lists their collections.
    let (_, root) = a.get_json("/v1/data/").await;
    assert_eq!(root, json!({"folders": [{"name": "alice"}]}));
    let (_, mine) = a.get_json("/v1/connector/data/.my").await;
    assert_eq!(mine["folders"], json!([{"name": "many"}]));
}

#[tokio::test]
async fn deleting_directories_needs_force_when_not_empty() {
    let server = server();
    let a = api(&server, ALICE);
    a.json(
        Method::POST,
        "/v1/connector/data/.my",
        json!({"name": "full"}),
    )
    .await;
    a.json(
        Method::POST,
        "/v1/connector/data/.my/full",
        json!({"name": "nested"}),
    )
    .await;
    for path in ["full/a", "full/b", "full/nested/c"] {
        a.send(
            Method::PUT,
            &format!("/v1/connector/data/.my/{path}"),
            Some(b"x".to_vec()),
        )
        .await;
    }
    for query in ["", "?force=false"] {
        let (status, body) = a
            .json(
                Method::DELETE,
                &format!("/v1/connector/data/.my/full{query}"),
                Value::Null,
            )
            .await;
        assert_eq!(status, 400, "{query}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not empty")
        );
    }
    let (status, body) = a
        .json(
            Method::DELETE,
            "/v1/connector/data/.my/full?force=true",
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"result": {"deleted": 3}}))
    );
    assert!(!server.data_dir().join("data/alice/full").exists());
    // An empty directory goes without force; deleting it again is a 404.
    a.json(
        Method::POST,
        "/v1/connector/data/.my",
        json!({"name": "empty"}),
    )
    .await;
    let (status, body) = a
        .json(Method::DELETE, "/v1/connector/data/.my/empty", Value::Null)
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"result": {"deleted": 0}}))
    );
    let (status, _) = a
        .json(Method::DELETE, "/v1/connector/data/.my/empty", Value::Null)
        .await;
    assert_eq!(status, 404);
    // Creating twice is an error; names must be single segments.
    a.json(
        Method::POST,
        "/v1/connector/data/.my",
        json!({"name": "once"}),
    )
    .await;
    let (status, body) = a
        .json(
            Method::POST,
            "/v1/connector/data/.my",
            json!({"name": "once"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    for bad in ["a/b", "..", ""] {
        let (status, _) = a
            .json(Method::POST, "/v1/connector/data/.my", json!({"name": bad}))
            .await;
        assert_eq!(status, 400, "{bad:?}");
    }
}

#[tokio::test]
async fn acls_are_enforced_between_users() {
    let server = server();
    let (a, b) = (api(&server, ALICE), api(&server, BOB));
    a.json(
        Method::POST,
        "/v1/connector/data/.my",
        json!({"name": "pub", "acl": {"read": ["user://*"]}}),
    )
    .await;
    a.json(
        Method::POST,
        "/v1/connector/data/.my",
        json!({"name": "priv", "acl": {"read": []}}),
    )
    .await;
    a.json(
        Method::POST,
        "/v1/connector/data/.my",
        json!({"name": "algos"}),
    )
    .await;
    for c in ["pub", "priv", "algos"] {
        a.send(
            Method::PUT,
            &format!("/v1/connector/data/.my/{c}/f"),
            Some(b"alice's".to_vec()),
        )
        .await;
    }
    assert_eq!(
        b.send(Method::GET, "/v1/connector/data/alice/pub/f", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        b.send(Method::GET, "/v1/connector/data/alice/priv/f", None)
            .await
            .status(),
        403
    );
    assert_eq!(
        b.send(Method::GET, "/v1/connector/data/alice/algos/f", None)
            .await
            .status(),
        403
    );
    assert_eq!(
        b.send(Method::HEAD, "/v1/connector/data/alice/priv/f", None)
            .await
            .status(),
        403
    );
    // Nobody but alice writes, deletes or changes her collections, even public ones.
    assert_eq!(
        b.send(
            Method::PUT,
            "/v1/connector/data/alice/pub/f",
            Some(b"bob's".to_vec())
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        b.send(Method::DELETE, "/v1/connector/data/alice/pub/f", None)
            .await
            .status(),
        403
    );
    assert_eq!(
        b.json(
            Method::POST,
            "/v1/connector/data/alice",
            json!({"name": "x"})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        b.json(
            Method::PATCH,
            "/v1/connector/data/alice/priv",
            json!({"acl": {"read": ["user://*"]}})
        )
        .await
        .0,
        403
    );
    let r = a
        .send(Method::GET, "/v1/connector/data/alice/pub/f", None)
        .await;
    assert_eq!(r.bytes().await.unwrap(), "alice's");
    // Bob sees only what he may read in alice's root.
    let (_, listing) = b.get_json("/v1/connector/data/alice").await;
    assert_eq!(listing["folders"], json!([{"name": "pub"}]));
    // .my is always the caller.
    b.json(
        Method::POST,
        "/v1/connector/data/.my",
        json!({"name": "pub"}),
    )
    .await;
    let (_, bobs) = b.get_json("/v1/connector/data/.my").await;
    assert_eq!(bobs["folders"], json!([{"name": "pub"}]));
    assert!(server.data_dir().join("data/bob/pub").is_dir());
}

#[tokio::test]
async fn connectors_and_the_legacy_data_route() {
    let server = server();
    let a = api(&server, ALICE);
    // Local connectors: s3, s3+label, dropbox, gs, azureblob are directories under the data dir.
    for connector in ["s3", "s3+backup", "dropbox", "gs", "azureblob"] {
        let path = format!("/v1/connector/{connector}/bucket/dir/key%20one.txt");
        let r = a.send(Method::PUT, &path, Some(b"object".to_vec())).await;
        assert_eq!(r.status(), 200, "{connector}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["result"],
            format!("{connector}://bucket/dir/key one.txt")
        );
        let r = a.send(Method::GET, &path, None).await;
        assert_eq!(r.bytes().await.unwrap(), "object");
        let (_, listing) = a
            .get_json(&format!("/v1/connector/{connector}/bucket"))
            .await;
        assert_eq!(listing["folders"], json!([{"name": "dir"}]));
        let (status, _) = a
            .json(
                Method::DELETE,
                &format!("/v1/connector/{connector}/bucket?force=true"),
                Value::Null,
            )
            .await;
        assert_eq!(status, 200);
    }
    // The legacy route with a scheme inside the path, as the Python and Node clients send it.
    let r = a
        .send(
            Method::PUT,
            "/v1/data/dropbox://folder/file.txt",
            Some(b"via data route".to_vec()),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = a
        .send(Method::GET, "/v1/connector/dropbox/folder/file.txt", None)
        .await;
    assert_eq!(r.bytes().await.unwrap(), "via data route");
    // The Java client's fully form-encoded path.
    a.json(Method::POST, "/v1/data/.my", json!({"name": "java"}))
        .await;
    let r = a
        .send(
            Method::PUT,
            "/v1/data/.my%2Fjava%2Fa+b.txt",
            Some(b"java".to_vec()),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(server.data_dir().join("data/alice/java/a b.txt").is_file());
    let r = a
        .send(
            Method::GET,
            "/v1/data/data%3A%2F%2F.my%2Fjava%2Fa+b.txt",
            None,
        )
        .await;
    assert_eq!(r.bytes().await.unwrap(), "java");
    // Directories can be created on connectors; buckets cannot be created on s3.
    let (status, body) = a
        .json(
            Method::POST,
            "/v1/connector/dropbox/",
            json!({"name": "newdir"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"result": "dropbox://newdir"}))
    );
    let (status, _) = a
        .json(
            Method::POST,
            "/v1/connector/s3/",
            json!({"name": "newbucket"}),
        )
        .await;
    assert_eq!(status, 400);
    // Session and algorithm areas.
    let r = a
        .send(
            Method::PUT,
            "/v1/connector/data/.session/scratch.txt",
            Some(b"s".to_vec()),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = a
        .send(
            Method::PUT,
            "/v1/connector/data/.algo/alice/Tool/temp/t.txt",
            Some(b"t".to_vec()),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        a.send(
            Method::GET,
            "/v1/connector/data/.algo/alice/Tool/temp/t.txt",
            None
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        a.send(Method::GET, "/v1/connector/data/.weird/x", None)
            .await
            .status(),
        400
    );
}
