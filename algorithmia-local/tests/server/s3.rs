//! The `s3` connector backed by a real S3-compatible endpoint (moto, started on a free loopback
//! port), so an algorithm and any other S3 client see the same bucket.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use object_store::{ObjectStore, ObjectStoreExt};
use serde_json::{Value, json};

use crate::{ALICE, builder, http};

/// A moto server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Moto {
        let program = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server");
        assert!(
            program.exists(),
            "{} is missing: run scripts/test.sh",
            program.display()
        );
        let mut child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("moto_server starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("moto_server printed its address")
                .unwrap();
            if let Some(i) = line.find("http://127.0.0.1:") {
                break line[i..].split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Moto { child, url }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Another S3 client on the same bucket, signing its requests as the server does.
fn bucket(moto: &Moto, name: &str) -> object_store::aws::AmazonS3 {
    object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&moto.url)
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_bucket_name(name)
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_s3_connector_reads_and_writes_the_real_bucket() {
    let moto = Moto::start();
    let created = http()
        .put(format!("{}/photos", moto.url))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{}", created.status());
    let photos = bucket(&moto, "photos");
    let server = builder()
        .connector("s3", &moto.url)
        .s3_credentials("testing", "testing")
        .start()
        .unwrap();
    let base = server.base_url();
    let send = |method: reqwest::Method, path: &str| {
        http()
            .request(method, format!("{base}{path}"))
            .header("Authorization", ALICE)
    };

    // Written through the data API, visible to a plain S3 GET on the bucket.
    let r = send(
        reqwest::Method::PUT,
        "/v1/connector/s3/photos/2026/cat%20one.jpg",
    )
    .body(vec![0xffu8, 0xd8, 0xff, 1, 2, 3])
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"result": "s3://photos/2026/cat one.jpg"})
    );
    let direct = photos
        .get(&"2026/cat one.jpg".into())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(direct.as_ref(), &[0xffu8, 0xd8, 0xff, 1, 2, 3]);

    // Written by another S3 client, read through the data API.
    photos
        .put(&"2026/dog.png".into(), "png bytes".into())
        .await
        .unwrap();
    let r = send(reqwest::Method::GET, "/v1/connector/s3/photos/2026/dog.png")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-data-type"], "file");
    assert_eq!(r.bytes().await.unwrap(), "png bytes");
    let r = send(
        reqwest::Method::HEAD,
        "/v1/connector/s3/photos/2026/dog.png",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "9");
    let r = send(
        reqwest::Method::HEAD,
        "/v1/connector/s3/photos/2026/none.png",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 404);

    // Listing, directory creation (a marker object, hidden), and deletes.
    let r = send(reqwest::Method::POST, "/v1/connector/s3/photos")
        .json(&json!({"name": "albums"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listing: Value = send(reqwest::Method::GET, "/v1/connector/s3/photos")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listing["folders"],
        json!([{"name": "2026"}, {"name": "albums"}])
    );
    let listing: Value = send(reqwest::Method::GET, "/v1/connector/s3/photos/2026")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cat one.jpg", "dog.png"]);
    let r = send(reqwest::Method::DELETE, "/v1/connector/s3/photos/2026")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "not empty without force");
    let r = send(
        reqwest::Method::DELETE,
        "/v1/connector/s3/photos/2026?force=true",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"result": {"deleted": 2}})
    );
    let gone = photos.head(&"2026/dog.png".into()).await.unwrap_err();
    assert!(
        matches!(gone, object_store::Error::NotFound { .. }),
        "{gone}"
    );
    let _: &dyn ObjectStore = &photos;
    // A bucket that does not exist is a 404, not a crash.
    let r = send(reqwest::Method::GET, "/v1/connector/s3/nobucket/x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "{:?}", r.text().await);
}
