//! Smart thumbnails: an image uploaded to S3 becomes a thumbnail in another bucket.
//!
//! Locally, a sample image is staged in the `s3` connector of an embedded `algorithmia-local`, a
//! real S3 `ObjectCreated:Put` event is built for it, the blueprint's handler runs it (calling
//! `opencv/SmartThumbnail`), and the thumbnail is downloaded to a local file.
//!
//! Deploying the same workflow to Lambda is configuration only:
//!
//! ```text
//! ALGORITHMIA_ALGORITHM=opencv/SmartThumbnail/1.0.0
//! ALGORITHMIA_API_KEY_ENCRYPTED=<aws kms encrypt ... CiphertextBlob>
//! ALGORITHMIA_INPUT_TEMPLATE={"image":"${/uri}","outputUrl":"s3://thumbnails/${/key}.png","width":200,"height":200}
//! ```
//!
//! With SAM (`lambda-blueprint/template.yaml`), the function's settings:
//!
//! ```yaml
//! Environment:
//!   Variables:
//!     ALGORITHMIA_ALGORITHM: opencv/SmartThumbnail/1.0.0
//!     ALGORITHMIA_API_KEY_ENCRYPTED: !Ref EncryptedApiKey
//!     ALGORITHMIA_INPUT_TEMPLATE: '{"image":"${/uri}","outputUrl":"s3://thumbnails/${/key}.png","width":200,"height":200}'
//! Events:
//!   Uploaded:
//!     Type: S3
//!     Properties:
//!       Bucket: !Ref Uploads
//!       Events: s3:ObjectCreated:*
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lambda_blueprint::Blueprint;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

use crate::{Target, s3_event};

/// The algorithm the workflow calls.
pub const ALGORITHM: &str = "opencv/SmartThumbnail/1.0.0";
/// The bucket uploads land in.
pub const UPLOAD_BUCKET: &str = "uploads";
/// The bucket thumbnails go to.
pub const THUMBNAIL_BUCKET: &str = "thumbnails";

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The image to upload; a generated sample when absent.
    pub image: Option<PathBuf>,
    /// Where to write the thumbnail.
    pub output: PathBuf,
    /// Thumbnail width and height.
    pub size: (u32, u32),
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Report {
    /// Where the algorithms ran.
    pub target: String,
    /// The uploaded object.
    pub source: String,
    /// Its size in bytes.
    pub source_bytes: u64,
    /// The algorithm called.
    pub algorithm: String,
    /// The input the blueprint's template made for it.
    pub input: Value,
    /// What the blueprint answered.
    pub answer: Value,
    /// How long the blueprint's invocation took.
    pub took: Duration,
    /// The thumbnail's URI.
    pub output_uri: String,
    /// Where it was downloaded to.
    pub local_path: PathBuf,
    /// Its dimensions.
    pub dimensions: (u32, u32),
    /// Its size in bytes.
    pub output_bytes: u64,
}

/// A generated sample photo: sky, ground, and a face-like figure off centre.
pub fn sample_image(path: &Path) -> Result<(), image::ImageError> {
    let (width, height) = (960u32, 640u32);
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f64, y as f64);
        let head = ((fx - 700.0) / 95.0).powi(2) + ((fy - 300.0) / 120.0).powi(2);
        let eye = |cx: f64| ((fx - cx) / 14.0).powi(2) + ((fy - 275.0) / 9.0).powi(2) < 1.0;
        if head < 1.0 {
            if eye(665.0) || eye(735.0) {
                image::Rgb([30, 25, 20])
            } else if ((fx - 700.0) / 40.0).powi(2) + ((fy - 360.0) / 10.0).powi(2) < 1.0 {
                image::Rgb([170, 60, 60])
            } else {
                let shade = ((fx as u32 * 7 + fy as u32 * 3) % 11) as u8;
                image::Rgb([225 - shade, 175 - shade, 140 - shade])
            }
        } else if y > 470 {
            image::Rgb([60, 110 + (x % 9) as u8, 50])
        } else {
            let t = (y * 120 / 470) as u8;
            image::Rgb([110 + t / 2, 160 + t / 3, 235])
        }
    });
    img.save_with_format(path, image::ImageFormat::Jpeg)
}

/// Run the workflow against `target`.
pub async fn run(target: &Target, options: &Options) -> Result<Report, Box<dyn std::error::Error>> {
    let client = target.client()?;
    let staging = tempfile::tempdir()?;
    let image = match &options.image {
        Some(path) => path.clone(),
        None => {
            let path = staging.path().join("sample portrait.jpg");
            sample_image(&path)?;
            path
        }
    };
    let name = image
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the image path has no UTF-8 file name")?;
    let key = format!("photos/{name}");
    let source = format!("s3://{UPLOAD_BUCKET}/{key}");
    let source_bytes = client.file(source.as_str()).put_file(&image).await?;

    let (width, height) = options.size;
    let template = json!({
        "image": "${/uri}",
        "outputUrl": format!("s3://{THUMBNAIL_BUCKET}/${{/key}}.png"),
        "width": width,
        "height": height,
    });
    let config = target.config(&[
        ("ALGORITHMIA_ALGORITHM", ALGORITHM.to_owned()),
        ("ALGORITHMIA_INPUT_TEMPLATE", template.to_string()),
    ])?;
    let blueprint = Blueprint::with_plain_key(config)?;
    let input = blueprint
        .config()
        .target
        .template
        .as_ref()
        .map(|t| t.render(&json!({"uri": source, "key": key})))
        .transpose()?
        .unwrap_or(Value::Null);
    let event = s3_event(UPLOAD_BUCKET, &key, source_bytes);
    let started = Instant::now();
    let answer = blueprint
        .handle(LambdaEvent::new(event, Context::default()))
        .await?;
    let took = started.elapsed();

    let output_uri = format!("s3://{THUMBNAIL_BUCKET}/{key}.png");
    if let Some(parent) = options.output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let output_bytes = client
        .file(output_uri.as_str())
        .download_to(&options.output)
        .await?;
    let dimensions = image::image_dimensions(&options.output)?;
    Ok(Report {
        target: target.describe(),
        source,
        source_bytes,
        algorithm: ALGORITHM.to_owned(),
        input,
        answer,
        took,
        output_uri,
        local_path: options.output.clone(),
        dimensions,
        output_bytes,
    })
}
