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
        serde_json::json!({"records": 1, "succeeded": 1})
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
