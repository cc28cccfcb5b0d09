//! Algorithm calls through our SDK against a server set up for them (custom algorithms, the
//! built-ins' versions, SmartThumbnail) and over plain HTTP: versions, content types, options,
//! stdout, void, cancellation, crashes. The checks any server must pass (content types, raw
//! output, keys, the input limit) are in the conformance suite, `tests/src/conformance`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use algorithmia_client::{AlgoOutput, Error, Void};
use algorithmia_local::{AlgoError, AlgorithmDef, Output};
use serde_json::{Value, json};

use crate::{ALICE, BOB, builder, client, http, server};

#[tokio::test]
async fn versions_resolve_as_documented() {
    let server = builder()
        .algorithm(
            AlgorithmDef::new("alice/Versioned")
                .version("0.9.0")
                .version("1.0.0")
                .version("1.2.0")
                .version("1.2.7")
                .private_version("1.3.0")
                .private_version("2.0.0")
                .handler(|_, ctx| async move {
                    Ok(Output::Text(ctx.algorithm().version().unwrap().to_string()))
                }),
        )
        .start()
        .unwrap();
    let c = client(&server, ALICE);
    let hashes: Value = http()
        .get(format!(
            "{}/v1/algorithms/alice/Versioned/versions",
            server.base_url()
        ))
        .header("Authorization", format!("Simple {ALICE}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hash_of = |v: &str| {
        hashes["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["version_info"]["semantic_version"] == v)
            .unwrap()["version_info"]["git_hash"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(hashes["marker"], Value::Null);
    let hash = hash_of("1.3.0");
    for (reference, want) in [
        ("alice/Versioned".to_owned(), "1.2.7"),
        ("alice/Versioned/1.0.0".into(), "1.0.0"),
        ("alice/Versioned/1.3.0".into(), "1.3.0"),
        ("alice/Versioned/1.2.*".into(), "1.2.7"),
        ("alice/Versioned/1.2".into(), "1.2.7"),
        ("alice/Versioned/1.*".into(), "1.2.7"),
        ("alice/Versioned/0.9".into(), "0.9.0"),
        ("alice/Versioned/latestPrivate".into(), "2.0.0"),
        (format!("alice/Versioned/{hash}"), "1.3.0"),
    ] {
        let r = c.algo(reference.as_str()).pipe("x").await.unwrap();
        assert_eq!(r.as_text(), Some(want), "{reference}");
    }
    for missing in [
        "alice/Versioned/3.*",
        "alice/Versioned/1.1.0",
        "alice/Nope",
        "alice/Versioned/2.*",
    ] {
        let err = c.algo(missing).pipe("x").await.unwrap_err();
        let api = err
            .api_error()
            .unwrap_or_else(|| panic!("{missing}: {err:?}"));
        assert_eq!((api.status, api.code), (404, Some(1000)), "{missing}");
        assert!(api.message.contains("alice/"), "{}", api.message);
    }
    // The built-ins are published at 0.1.0 and 1.0.0.
    for v in ["0.1.0", "1.0.0", "0.*", "1.0"] {
        c.algo(format!("demo/Hello/{v}")).pipe("x").await.unwrap();
    }
}

#[tokio::test]
async fn timeouts_end_the_call_and_cancel_its_work() {
    let finished = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&finished);
    let server = builder()
        .algorithm(
            AlgorithmDef::new("alice/Slow")
                .version("1.0.0")
                .handler(move |_, _| {
                    let flag = Arc::clone(&flag);
                    async move {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                        flag.store(true, Ordering::SeqCst);
                        Ok(Output::Void)
                    }
                }),
        )
        .start()
        .unwrap();
    let c = client(&server, ALICE);
    let started = Instant::now();
    let err = c
        .algo("alice/Slow")
        .timeout(Duration::from_secs(1))
        .pipe("x")
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(
        err.algorithm_error().unwrap().error_type.as_deref(),
        Some("TimeoutError")
    );
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_millis(1400),
        "{elapsed:?}"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        !finished.load(Ordering::SeqCst),
        "the timed-out work kept running"
    );

    // Fractional timeouts are accepted on the wire.
    let response = http()
        .post(format!(
            "{}/v1/algo/util/Delay?timeout=0.2",
            server.base_url()
        ))
        .header("Authorization", ALICE)
        .json(&json!({"ms": 1000}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["error_type"], "TimeoutError");
}

#[tokio::test]
async fn stdout_and_void() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let server =
        builder()
            .algorithm(AlgorithmDef::new("alice/Chatty").version("1.0.0").handler(
                |input, ctx| async move {
                    ctx.print("step 1\n");
                    ctx.print("step 2\n");
                    Ok(Output::from(input))
                },
            ))
            .algorithm(AlgorithmDef::new("alice/Writer").version("1.0.0").handler(
                move |input, ctx| {
                    let tx = tx.clone();
                    async move {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        let uri = ctx
                            .data()
                            .write(
                                "data://.my/outputs/void.txt",
                                input.as_text().unwrap().to_owned(),
                            )
                            .await?;
                        tx.send(format!("{uri} by {}", ctx.user())).unwrap();
                        Ok(Output::Void)
                    }
                },
            ))
            .start()
            .unwrap();
    let c = client(&server, ALICE);
    let r = c.algo("alice/Chatty").stdout(true).pipe("x").await.unwrap();
    assert_eq!(r.stdout(), Some("step 1\nstep 2\n"));
    let r = c.algo("alice/Chatty").pipe("x").await.unwrap();
    assert_eq!(r.stdout(), None);

    // Void returns at once; the work happens afterwards and can write data.
    http()
        .post(format!("{}/v1/connector/data/.my", server.base_url()))
        .header("Authorization", ALICE)
        .json(&json!({"name": "outputs"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let started = Instant::now();
    let v = c
        .algo("alice/Writer")
        .output(Void)
        .pipe("written later")
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(150));
    assert_eq!(v.request_id.len(), 32, "the id our client sent");
    let done = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done, "data://.my/outputs/void.txt by alice");
    let stored =
        std::fs::read_to_string(server.data_dir().join("data/alice/outputs/void.txt")).unwrap();
    assert_eq!(stored, "written later");
}

#[tokio::test]
async fn every_request_content_type_spelling_and_boolean_spelling_is_accepted() {
    let server = server();
    let base = server.base_url();
    for (content_type, body, want) in [
        ("text/plain", "hi", json!("hi")),
        ("text/plain; charset=UTF-8", "hi", json!("hi")),
        ("application/text", "hi", json!("hi")),
        ("application/json; charset=utf-8", "\"hi\"", json!("hi")),
        ("APPLICATION/JSON", "[1]", json!([1])),
        ("application/octet-stream", "hi", json!("aGk=")),
        ("application/x-www-form-urlencoded", "hi", json!("aGk=")),
    ] {
        let response: Value = http()
            .post(format!(
                "{base}/v1/algo/util/Echo/?stdout=False&output=default"
            ))
            .header("Authorization", ALICE)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(response["result"], want, "{content_type}");
        assert!(response["metadata"]["duration"].is_f64());
        assert_eq!(response["request_id"], response["metadata"]["request_id"]);
    }
    // No content type at all: bytes.
    let response: Value = http()
        .post(format!("{base}/v1/algo/util/Echo"))
        .header("Authorization", ALICE)
        .body("hi")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(response["metadata"]["content_type"], "binary");
    // Malformed JSON is refused with a parsing error.
    let response = http()
        .post(format!("{base}/v1/algo/util/Echo"))
        .header("Authorization", ALICE)
        .header("Content-Type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["error_type"], "ParsingError");
}

#[tokio::test]
async fn platform_errors() {
    let server = builder()
        .algorithm(
            AlgorithmDef::new("alice/Panics")
                .version("1.0.0")
                .handler(|_, _| async {
                    if true {
                        panic!("boom");
                    }
                    Ok(Output::Void)
                }),
        )
        // The first step of a call runs on the connection's task, the rest in a task of its
        // own: a panic in either is caught.
        .algorithm(
            AlgorithmDef::new("alice/PanicsLater")
                .version("1.0.0")
                .handler(|_, _| async {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    if true {
                        panic!("boom, later");
                    }
                    Ok(Output::Void)
                }),
        )
        .start()
        .unwrap();
    // A crashing algorithm is an algorithm error, and the server goes on.
    for name in ["alice/Panics", "alice/PanicsLater"] {
        let err = client(&server, ALICE)
            .algo(name)
            .pipe("x")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Algorithm(_)), "{name}: {err:?}");
        assert!(err.to_string().contains("panicked"), "{name}: {err}");
    }
    client(&server, ALICE)
        .algo("demo/Hello")
        .pipe("x")
        .await
        .unwrap();

    // Bad option values and unknown routes.
    let response = http()
        .post(format!(
            "{}/v1/algo/demo/Hello?timeout=5000",
            server.base_url()
        ))
        .header("Authorization", ALICE)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = http()
        .get(format!("{}/v1/nothing", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.json::<Value>().await.unwrap()["error"]["message"].is_string());
}

#[tokio::test]
async fn algorithms_use_the_data_api_with_the_callers_rights() {
    let server = builder()
        .algorithm(AlgorithmDef::new("alice/Reader").version("1.0.0").handler(
            |input, ctx| async move {
                let uri = input
                    .as_text()
                    .ok_or_else(|| AlgoError::input("send a URI"))?;
                let bytes = ctx.data().read(uri).await?;
                Ok(Output::Binary(bytes))
            },
        ))
        .start()
        .unwrap();
    let base = server.base_url();
    let put = |path: &str, body: &'static str| {
        let url = format!("{base}{path}");
        async move {
            http()
                .put(url)
                .header("Authorization", ALICE)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let create = |name: &str, acl: Value| {
        let url = format!("{base}/v1/connector/data/.my");
        let body = json!({"name": name, "acl": acl});
        async move {
            http()
                .post(url)
                .header("Authorization", ALICE)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        create("shared", json!({"read": ["algo://.my/*"]}))
            .await
            .status(),
        200
    );
    assert_eq!(create("secret", json!({"read": []})).await.status(), 200);
    assert_eq!(
        put("/v1/connector/data/.my/shared/a.txt", "for my algorithms")
            .await
            .status(),
        200
    );
    assert_eq!(
        put("/v1/connector/data/.my/secret/b.txt", "alice only")
            .await
            .status(),
        200
    );

    let bob = client(&server, BOB);
    // Bob cannot read alice's collection himself...
    let direct = http()
        .get(format!("{base}/v1/connector/data/alice/shared/a.txt"))
        .header("Authorization", BOB)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 403);
    // ...but alice's algorithm can, when bob calls it.
    let r = bob
        .algo("alice/Reader")
        .pipe("data://alice/shared/a.txt")
        .await
        .unwrap();
    assert_eq!(
        r.into_output(),
        AlgoOutput::Binary("for my algorithms".into())
    );
    // A private collection stays private even to her algorithms when someone else calls.
    let err = bob
        .algo("alice/Reader")
        .pipe("data://alice/secret/b.txt")
        .await
        .unwrap_err();
    assert!(
        err.algorithm_error()
            .unwrap()
            .message
            .contains("may not read"),
        "{err}"
    );
    // Alice herself reads both.
    client(&server, ALICE)
        .algo("alice/Reader")
        .pipe("data://.my/secret/b.txt")
        .await
        .unwrap();
    // A missing file is an EntityNotFoundError.
    let err = bob
        .algo("alice/Reader")
        .pipe("data://alice/shared/none.txt")
        .await
        .unwrap_err();
    assert_eq!(
        err.algorithm_error().unwrap().error_type.as_deref(),
        Some("EntityNotFoundError")
    );
}

/// Serve `body` once over plain HTTP, as a presigned URL would.
#[cfg(feature = "workflow-algorithms")]
fn serve_once(body: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.read(&mut [0u8; 4096]);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}/presigned/photo.png?X-Amz-Signature=abc")
}

#[cfg(feature = "workflow-algorithms")]
#[tokio::test(flavor = "multi_thread")]
async fn smart_thumbnail_takes_every_input_shape() {
    let server = server();
    let c = client(&server, ALICE);
    let algo = c.algo("opencv/SmartThumbnail/1.0.0");
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/astronaut-wide.jpg"
    ))
    .unwrap();
    c.file("s3://photos/in/astronaut.jpg")
        .put_bytes(photo.clone())
        .await
        .unwrap();
    // A PNG that decodes, and its size.
    let dims = |png: &[u8]| {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        (frame.width, frame.height)
    };

    // Raw bytes: a 200x200 PNG.
    let out = algo.pipe(photo.clone()).await.unwrap();
    assert_eq!(dims(out.as_bytes().unwrap()), (200, 200));
    // [source, width, height]: a PNG of that size.
    let out = algo
        .pipe(json!(["s3://photos/in/astronaut.jpg", 120, 80]))
        .await
        .unwrap();
    assert_eq!(dims(out.as_bytes().unwrap()), (120, 80));
    // [source, destination, width, height, flag]: written, and its URI returned.
    let out = algo
        .pipe(json!([
            "s3://photos/in/astronaut.jpg",
            "s3://photos/out/a.png",
            64,
            64,
            0
        ]))
        .await
        .unwrap();
    assert_eq!(out.as_text(), Some("s3://photos/out/a.png"));
    assert_eq!(
        dims(&c.file("s3://photos/out/a.png").get_bytes().await.unwrap()),
        (64, 64)
    );
    // {"image", "outputUrl", "width", "height"}: written, {"output": uri} returned.
    let out = algo
        .pipe(json!({"image": "s3://photos/in/astronaut.jpg", "outputUrl": "s3://photos/out/b.png", "width": 90, "height": 30}))
        .await
        .unwrap();
    assert_eq!(
        out.as_json(),
        Some(&json!({"output": "s3://photos/out/b.png"}))
    );
    assert_eq!(
        dims(&c.file("s3://photos/out/b.png").get_bytes().await.unwrap()),
        (90, 30)
    );
    // An http(s) source, such as a presigned S3 URL.
    let out = algo
        .pipe(json!([serve_once(photo.clone()), 50, 50]))
        .await
        .unwrap();
    assert_eq!(dims(out.as_bytes().unwrap()), (50, 50));

    // Bad input: each an InputError saying which.
    for (input, needle) in [
        (
            json!(["s3://photos/in/none.jpg", 10, 10]),
            "could not read the source",
        ),
        (json!(["s3://photos/in/astronaut.jpg", 0, 10]), "width"),
        (json!(["s3://photos/in/astronaut.jpg", 10, 4097]), "height"),
        (
            json!(["http://127.0.0.1:9/unreachable.png", 10, 10]),
            "could not read the source",
        ),
    ] {
        let err = algo.pipe(input.clone()).await.unwrap_err();
        let e = err
            .algorithm_error()
            .unwrap_or_else(|| panic!("{input}: {err:?}"));
        assert_eq!(e.error_type.as_deref(), Some("InputError"), "{input}");
        assert!(e.message.contains(needle), "{input}: {}", e.message);
    }
    let err = algo
        .pipe(b"plain text, not an image".to_vec())
        .await
        .unwrap_err();
    assert!(
        err.algorithm_error()
            .unwrap()
            .message
            .contains("not an image")
    );
}
