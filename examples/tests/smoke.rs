//! Every workflow runs end to end on an embedded server.
#![allow(clippy::unwrap_used, missing_docs)]

use examples::Target;
use examples::thumbnail::{Options, run};

#[tokio::test(flavor = "multi_thread")]
async fn the_thumbnail_workflow_writes_a_thumbnail_of_the_requested_size() {
    let target = Target::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("thumb.png");
    let report = run(
        &target,
        &Options {
            image: None,
            output: output.clone(),
            size: (200, 150),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        report.answer,
        serde_json::json!({"records": 1, "succeeded": 1, "duplicates": 0, "acknowledged_failures": 0})
    );
    assert_eq!(report.dimensions, (200, 150));
    assert_eq!(
        report.output_uri,
        "s3://thumbnails/photos/sample portrait.jpg.png"
    );
    let png = std::fs::read(&output).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(report.output_bytes, png.len() as u64);
    // The generated portrait's face is right of centre: the crop keeps it (skin tones present).
    let img = image::open(&output).unwrap().to_rgb8();
    let skin = img
        .pixels()
        .filter(|p| p[0] > 190 && p[1] > 140 && p[2] > 100 && p[2] < 160)
        .count();
    assert!(skin > 200 * 150 / 20, "only {skin} skin-toned pixels");

    // A file that is not an image fails the invocation, naming the record.
    let not_image = dir.path().join("notes.txt");
    std::fs::write(&not_image, "not an image").unwrap();
    let err = run(
        &target,
        &Options {
            image: Some(not_image),
            output: dir.path().join("x.png"),
            size: (10, 10),
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("s3://uploads/photos/notes.txt") && err.contains("not an image"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_speech_workflow_transcribes_the_sample() {
    let target = examples::speech::embedded(None).unwrap();
    let report = examples::speech::run(&target, &examples::speech::sample_audio())
        .await
        .unwrap();
    assert_eq!(
        report.answer,
        serde_json::json!({"records": 1, "succeeded": 1, "duplicates": 0, "acknowledged_failures": 0})
    );
    assert_eq!(report.transcript, "hello world");
    assert_eq!(
        report.output_uri,
        "s3://transcripts/calls/hello-world.wav.json"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_speech_algorithm_takes_raw_wav_at_any_rate_and_channel_count() {
    let target = examples::speech::embedded(None).unwrap();
    let client = target.client().unwrap();
    let audio = examples::speech::sample_audio();
    let dir = audio.parent().unwrap();
    for name in [
        "hello-world.wav",
        "hello-world-44k-stereo.wav",
        "hello-world-16k-8bit.wav",
    ] {
        let wav = std::fs::read(dir.join(name)).unwrap();
        let text = client
            .algo("sphinx/SpeechRecognition")
            .pipe(wav)
            .await
            .unwrap();
        assert_eq!(text.as_text(), Some("hello world"), "{name}");
    }
    let err = client
        .algo("sphinx/SpeechRecognition")
        .pipe(vec![1u8, 2, 3])
        .await
        .unwrap_err();
    assert_eq!(
        err.algorithm_error().unwrap().error_type.as_deref(),
        Some("InputError")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dynamodb_workflow_predicts_and_reports_the_incomplete_item() {
    let target = Target::embedded().unwrap();
    let report = examples::predict::run(&target).await.unwrap();
    assert_eq!(
        report.answer,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "103"}]})
    );
    let ids: Vec<&str> = report
        .predictions
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(ids, ["house-1", "house-2"]);
    // house-1 was modified after its insert: the later prediction (1,650 sq ft) is the one kept.
    assert_eq!(
        report.predictions[0].1["predictions"],
        serde_json::json!([50_000.0 + 120.0 * 1650.0 + 24_000.0 - 10_000.0])
    );
    assert_eq!(
        report.predictions[1].1["predictions"],
        serde_json::json!([50_000.0 + 120.0 * 2200.0 + 32_000.0 - 2_000.0])
    );
}
