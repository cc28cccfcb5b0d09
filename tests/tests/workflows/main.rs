//! The workflows end to end with real components, all on free loopback ports started here:
//! moto (S3 and KMS), `algorithmia-local` with its `s3` connector backed by moto, and the built
//! `bootstrap` under cargo-lambda's Runtime API emulator, invoked with `cargo lambda invoke`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use algorithmia_local::{LocalServer, ServerHandle};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;
use serde_json::{Value, json};
use testkit::{Emulator, Function, Moto};

const KEY: &str = "simWorkflowKey";
const FUNCTION: &str = "workflow";

fn s3_config(moto: &Moto) -> aws_sdk_s3::Config {
    aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&moto.url)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build()
}

async fn ciphertext(moto: &Moto) -> String {
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new("us-east-1"))
        .endpoint_url(&moto.url)
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    let kms = aws_sdk_kms::Client::from_conf(config);
    let key = kms.create_key().send().await.unwrap();
    let blob = kms
        .encrypt()
        .key_id(key.key_metadata().unwrap().key_id())
        .plaintext(Blob::new(KEY.as_bytes()))
        .encryption_context("LambdaFunctionName", FUNCTION)
        .send()
        .await
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(blob.ciphertext_blob().unwrap().as_ref())
}

/// Everything one workflow needs.
struct Rig {
    /// Kept alive for the rig's lifetime.
    _moto: Moto,
    s3: aws_sdk_s3::Client,
    server: ServerHandle,
    emulator: Emulator,
    function: Function,
}

async fn rig(algorithm: &str, template: Value, buckets: &[&str]) -> Rig {
    let moto = Moto::start();
    let s3 = aws_sdk_s3::Client::from_conf(s3_config(&moto));
    for bucket in buckets {
        s3.create_bucket().bucket(*bucket).send().await.unwrap();
    }
    let server = LocalServer::builder()
        .api_key(KEY, "workflows")
        .connector("s3", &moto.url)
        .s3_credentials("testing", "testing")
        .adk_algorithm(examples::speech::speech_algorithm(None))
        .start()
        .unwrap();
    let encrypted = ciphertext(&moto).await;
    let emulator = Emulator::start();
    let function = Function::start(
        &testkit::blueprint_bootstrap(),
        &emulator,
        FUNCTION,
        &[
            ("ALGORITHMIA_ALGORITHM", algorithm.to_owned()),
            ("ALGORITHMIA_API", server.base_url().to_owned()),
            ("ALGORITHMIA_API_KEY_ENCRYPTED", encrypted),
            ("AWS_ENDPOINT_URL_KMS", moto.url.clone()),
            ("ALGORITHMIA_INPUT_TEMPLATE", template.to_string()),
        ],
    );
    Rig {
        _moto: moto,
        s3,
        server,
        emulator,
        function,
    }
}

impl Rig {
    async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> u64 {
        let size = body.len() as u64;
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
        size
    }

    async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        out.body.collect().await.unwrap().into_bytes().to_vec()
    }

    fn invoke(&self, event: &Value) -> (bool, String) {
        self.emulator.invoke(&event.to_string())
    }

    fn assert_no_secret(&self) {
        assert!(
            !self.function.logs().contains(KEY),
            "the key leaked into the function's output"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn thumbnails_of_s3_uploads() {
    let template = json!({"image": "${/uri}", "outputUrl": "s3://thumbnails/${/key}.png", "width": 160, "height": 120});
    let rig = rig(
        examples::thumbnail::ALGORITHM,
        template,
        &["uploads", "thumbnails"],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("portrait.jpg");
    examples::thumbnail::sample_image(&photo).unwrap();
    let key = "photos/my portrait.jpg";
    let size = rig
        .put("uploads", key, std::fs::read(&photo).unwrap())
        .await;

    let (ok, text) = rig.invoke(&examples::s3_event("uploads", key, size));
    assert!(ok, "{text}\n{}", rig.function.logs());
    assert_eq!(
        testkit::first_json(&text).unwrap(),
        json!({"records": 1, "succeeded": 1, "duplicates": 0, "acknowledged_failures": 0})
    );
    let png = rig.get("thumbnails", "photos/my portrait.jpg.png").await;
    assert_eq!(image::guess_format(&png).unwrap(), image::ImageFormat::Png);
    let thumb = image::load_from_memory(&png).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (160, 120));

    // A non-image upload is a reported failure that names the object.
    let size = rig
        .put("uploads", "photos/notes.txt", b"not an image".to_vec())
        .await;
    let (ok, text) = rig.invoke(&examples::s3_event("uploads", "photos/notes.txt", size));
    assert!(!ok, "{text}");
    assert!(
        text.contains("RecordsFailed")
            && text.contains("s3://uploads/photos/notes.txt")
            && text.contains("not an image"),
        "{text}"
    );
    rig.assert_no_secret();
}

#[tokio::test(flavor = "multi_thread")]
async fn transcripts_of_s3_recordings() {
    let template = json!({"inputUrl": "${/uri}", "outputFile": "s3://transcripts/${/key}.json"});
    let rig = rig(
        examples::speech::ALGORITHM,
        template,
        &["recordings", "transcripts"],
    )
    .await;
    let wav = std::fs::read(examples::speech::sample_audio()).unwrap();
    let size = rig.put("recordings", "calls/greeting.wav", wav).await;
    let (ok, text) = rig.invoke(&examples::s3_event(
        "recordings",
        "calls/greeting.wav",
        size,
    ));
    assert!(ok, "{text}\n{}", rig.function.logs());
    let transcript: Value =
        serde_json::from_slice(&rig.get("transcripts", "calls/greeting.wav.json").await).unwrap();
    assert!(
        transcript["transcript"]
            .as_str()
            .unwrap()
            .contains("hello world"),
        "{transcript}"
    );
    rig.assert_no_secret();
}

#[tokio::test(flavor = "multi_thread")]
async fn predictions_on_dynamodb_updates() {
    let rig = rig(
        examples::predict::ALGORITHM,
        examples::predict::template(),
        &[],
    )
    .await;
    let client = algorithmia_client::Client::builder()
        .base_url(rig.server.base_url())
        .api_key(KEY)
        .build()
        .unwrap();
    client
        .dir(examples::predict::PREDICTIONS)
        .create(algorithmia_client::DataAcl::Private)
        .await
        .unwrap();
    let (ok, text) = rig.invoke(&examples::predict::sample_event());
    assert!(ok, "{text}\n{}", rig.function.logs());
    // The item without `age` is reported; the others succeed.
    assert_eq!(
        testkit::first_json(&text).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "103"}]})
    );
    let house1: Value = client
        .file("data://.my/predictions/house-1.json")
        .get_json()
        .await
        .unwrap();
    assert_eq!(house1["predictions"], json!([262000.0]));
    let house2: Value = client
        .file("data://.my/predictions/house-2.json")
        .get_json()
        .await
        .unwrap();
    assert_eq!(house2["predictions"], json!([344000.0]));
    assert!(
        !client
            .file("data://.my/predictions/house-3.json")
            .exists()
            .await
            .unwrap()
    );
    rig.assert_no_secret();
}
