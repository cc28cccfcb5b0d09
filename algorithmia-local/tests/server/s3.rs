//! The `s3` connector backed by a real S3-compatible endpoint (moto, started on a free loopback
//! port), so an algorithm and any other S3 client see the same bucket.

use object_store::{ObjectStore, ObjectStoreExt};
use serde_json::{Value, json};

use testkit::Moto;

use crate::{ALICE, builder, http};

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
