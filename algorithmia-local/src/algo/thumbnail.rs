//! `opencv/SmartThumbnail`: face-aware, content-aware thumbnails, PNG out.
//!
//! Faces are found with SeetaFace's frontal detector (rustface, with the model vendored in
//! `models/` under its BSD licence); when there are faces, the crop is the largest window of the
//! requested aspect centred on them. Otherwise smartcrop chooses (edges, saturation, skin tones).

use std::io::Cursor;
use std::num::NonZeroU32;
use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::{Value, json};

use super::{AlgorithmDef, Input, Output};
use crate::context::Context;
use crate::error::AlgoError;

/// The largest width or height a thumbnail may have.
pub(crate) const MAX_SIDE: u32 = 4096;
/// The default size for raw image input.
const DEFAULT_SIDE: u32 = 200;

pub(crate) fn definition() -> AlgorithmDef {
    AlgorithmDef::new("opencv/SmartThumbnail")
        .version("0.1.0")
        .version("1.0.0")
        .handler(|input, ctx| async move { run(input, ctx).await })
}

/// What a call asked for.
struct Request {
    source: Source,
    destination: Option<String>,
    width: u32,
    height: u32,
    /// The object form answers `{"output": uri}`; the array form answers the URI.
    object_form: bool,
}

enum Source {
    Bytes(Bytes),
    Uri(String),
}

fn side(value: Option<&Value>, what: &str) -> Result<u32, AlgoError> {
    let n = value
        .and_then(Value::as_u64)
        .ok_or_else(|| AlgoError::input(format!("{what} must be a whole number of pixels")))?;
    if n == 0 || n > u64::from(MAX_SIDE) {
        return Err(AlgoError::input(format!(
            "{what} must be from 1 to {MAX_SIDE} pixels, not {n}"
        )));
    }
    Ok(n as u32)
}

fn text(value: Option<&Value>, what: &str) -> Result<String, AlgoError> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            AlgoError::input(format!(
                "{what} must be a data URI, a connector URI or an http(s) URL"
            ))
        })
}

fn parse(input: Input) -> Result<Request, AlgoError> {
    match input {
        Input::Binary(bytes) => Ok(Request {
            source: Source::Bytes(bytes),
            destination: None,
            width: DEFAULT_SIDE,
            height: DEFAULT_SIDE,
            object_form: false,
        }),
        Input::Json(Value::Array(items)) if items.len() == 3 => Ok(Request {
            source: Source::Uri(text(items.first(), "the source")?),
            destination: None,
            width: side(items.get(1), "the width")?,
            height: side(items.get(2), "the height")?,
            object_form: false,
        }),
        Input::Json(Value::Array(items)) if items.len() == 5 => Ok(Request {
            source: Source::Uri(text(items.first(), "the source")?),
            destination: Some(text(items.get(1), "the destination")?),
            width: side(items.get(2), "the width")?,
            height: side(items.get(3), "the height")?,
            object_form: false,
        }),
        Input::Json(Value::Object(fields)) => Ok(Request {
            source: Source::Uri(text(fields.get("image"), "`image`")?),
            destination: Some(text(fields.get("outputUrl"), "`outputUrl`")?),
            width: side(fields.get("width"), "`width`")?,
            height: side(fields.get("height"), "`height`")?,
            object_form: true,
        }),
        other => Err(AlgoError::input(format!(
            "opencv/SmartThumbnail takes image bytes, [source, width, height], [source, destination, width, height, flag] or {{\"image\", \"outputUrl\", \"width\", \"height\"}}, not {} input",
            other.kind()
        ))),
    }
}

async fn read_source(source: &Source, ctx: &Context) -> Result<Bytes, AlgoError> {
    match source {
        Source::Bytes(bytes) => Ok(bytes.clone()),
        Source::Uri(uri) if uri.starts_with("http://") || uri.starts_with("https://") => {
            let fail =
                |e: String| AlgoError::input(format!("could not read the source {uri}: {e}"));
            // One client for every call: connections and TLS set-up are reused.
            static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
            let response = HTTP
                .get_or_init(reqwest::Client::new)
                .get(uri)
                .send()
                .await
                .map_err(|e| fail(e.to_string()))?;
            if !response.status().is_success() {
                return Err(fail(format!("HTTP {}", response.status())));
            }
            response.bytes().await.map_err(|e| fail(e.to_string()))
        }
        Source::Uri(uri) => ctx
            .data()
            .read(uri)
            .await
            .map_err(|e| AlgoError::input(format!("could not read the source {uri}: {e}"))),
    }
}

/// The vendored SeetaFace frontal model.
const FACE_MODEL: &[u8] = include_bytes!("../../models/seeta_fd_frontal_v1.0.bin");

fn face_model() -> Option<&'static rustface::Model> {
    static MODEL: OnceLock<Option<rustface::Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| match rustface::read_model(Cursor::new(FACE_MODEL)) {
            Ok(model) => Some(model),
            Err(e) => {
                tracing::error!(error = %e, "the face model does not load; thumbnails use smartcrop alone");
                None
            }
        })
        .as_ref()
}

/// A rectangle in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// The faces in a picture (searched on a copy at most 800 pixels on its longer side).
pub(crate) fn faces(picture: &image::RgbImage) -> Vec<Rect> {
    let Some(model) = face_model() else {
        return Vec::new();
    };
    let (w, h) = picture.dimensions();
    let scale = (800.0 / f64::from(w.max(h))).min(1.0);
    let (sw, sh) = ((f64::from(w) * scale) as u32, (f64::from(h) * scale) as u32);
    if sw < 40 || sh < 40 {
        return Vec::new();
    }
    let small = image::imageops::resize(picture, sw, sh, image::imageops::FilterType::Triangle);
    let gray = image::DynamicImage::ImageRgb8(small).to_luma8();
    let mut detector = rustface::create_detector_with_model(model.clone());
    detector.set_min_face_size(20);
    detector.set_score_thresh(2.0);
    detector.set_pyramid_scale_factor(0.8);
    detector.set_slide_window_step(4, 4);
    detector
        .detect(&rustface::ImageData::new(gray.as_raw(), sw, sh))
        .iter()
        .map(|face| {
            let b = face.bbox();
            let unscale = |v: f64| (v / scale).max(0.0) as u32;
            let x = unscale(f64::from(b.x()));
            let y = unscale(f64::from(b.y()));
            Rect {
                x: x.min(w - 1),
                y: y.min(h - 1),
                width: unscale(f64::from(b.width())).min(w - x.min(w - 1)),
                height: unscale(f64::from(b.height())).min(h - y.min(h - 1)),
            }
        })
        .collect()
}

/// The crop for a `width` x `height` thumbnail: centred on the faces when there are any, else
/// smartcrop's choice. Also says whether faces decided it.
pub(crate) fn choose_crop(
    picture: &image::RgbImage,
    width: u32,
    height: u32,
) -> Result<(Rect, bool), AlgoError> {
    let (iw, ih) = picture.dimensions();
    let found = faces(picture);
    if !found.is_empty() {
        let aspect = f64::from(width) / f64::from(height);
        let (cw, ch) = if f64::from(iw) / f64::from(ih) > aspect {
            (((f64::from(ih) * aspect) as u32).clamp(1, iw), ih)
        } else {
            (iw, ((f64::from(iw) / aspect) as u32).clamp(1, ih))
        };
        let left = found.iter().map(|f| f.x).min().unwrap_or(0);
        let top = found.iter().map(|f| f.y).min().unwrap_or(0);
        let right = found.iter().map(|f| f.x + f.width).max().unwrap_or(iw);
        let bottom = found.iter().map(|f| f.y + f.height).max().unwrap_or(ih);
        let (cx, cy) = ((left + right) / 2, (top + bottom) / 2);
        let x = cx.saturating_sub(cw / 2).min(iw - cw);
        let y = cy.saturating_sub(ch / 2).min(ih - ch);
        return Ok((
            Rect {
                x,
                y,
                width: cw,
                height: ch,
            },
            true,
        ));
    }
    let (Some(w), Some(h)) = (NonZeroU32::new(width), NonZeroU32::new(height)) else {
        return Err(AlgoError::input("the size must not be zero"));
    };
    let crop = smartcrop::find_best_crop(picture, w, h)
        .map_err(|e| AlgoError::input(format!("the image cannot be cropped: {e}")))?
        .crop;
    Ok((
        Rect {
            x: crop.x,
            y: crop.y,
            width: crop.width.max(1),
            height: crop.height.max(1),
        },
        false,
    ))
}

/// Decode, crop (faces first, then content), resize, encode PNG.
pub(crate) fn thumbnail(bytes: &[u8], width: u32, height: u32) -> Result<Vec<u8>, AlgoError> {
    let format = image::guess_format(bytes)
        .ok()
        .filter(|f| {
            matches!(
                f,
                image::ImageFormat::Jpeg
                    | image::ImageFormat::Png
                    | image::ImageFormat::Gif
                    | image::ImageFormat::WebP
            )
        })
        .ok_or_else(|| AlgoError::input("the source is not an image (JPEG, PNG, GIF or WebP)"))?;
    let picture = image::load_from_memory_with_format(bytes, format)
        .map_err(|e| AlgoError::input(format!("the image could not be decoded: {e}")))?
        .to_rgb8();
    let (crop, by_faces) = choose_crop(&picture, width, height)?;
    tracing::debug!(?crop, by_faces, "thumbnail crop");
    let cropped =
        image::imageops::crop_imm(&picture, crop.x, crop.y, crop.width, crop.height).to_image();
    let resized = image::imageops::resize(
        &cropped,
        width,
        height,
        image::imageops::FilterType::Lanczos3,
    );
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(resized)
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| AlgoError::new(format!("could not encode the PNG: {e}")))?;
    Ok(png)
}

async fn run(input: Input, ctx: Context) -> Result<Output, AlgoError> {
    let request = parse(input)?;
    let bytes = read_source(&request.source, &ctx).await?;
    let (width, height) = (request.width, request.height);
    // Decoding and resizing are CPU work: keep them off the server's request threads.
    let png = tokio::task::spawn_blocking(move || thumbnail(&bytes, width, height))
        .await
        .map_err(|_| AlgoError::new("the thumbnail worker crashed"))??;
    match request.destination {
        None => Ok(Output::Binary(Bytes::from(png))),
        Some(destination) => {
            let uri = ctx.data().write(&destination, png).await.map_err(|e| {
                AlgoError::input(format!(
                    "could not write the thumbnail to {destination}: {e}"
                ))
            })?;
            if request.object_form {
                Ok(Output::Json(json!({"output": uri.to_string()})))
            } else {
                Ok(Output::Text(uri.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain background with one skin-toned, textured patch far to the right.
    fn scene(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            let (cx, cy) = (width * 4 / 5, height / 2);
            let (dx, dy) = (x as i64 - cx as i64, y as i64 - cy as i64);
            if dx * dx + dy * dy < (height as i64 / 5).pow(2) {
                let t = ((x + y) % 7) as u8 * 3;
                image::Rgb([224 - t, 172 - t, 140 - t])
            } else {
                image::Rgb([40, 60, 90])
            }
        });
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), format)
            .unwrap();
        out
    }

    #[test]
    fn thumbnails_have_the_requested_size_from_every_format() {
        for format in [
            image::ImageFormat::Png,
            image::ImageFormat::Jpeg,
            image::ImageFormat::Gif,
            image::ImageFormat::WebP,
        ] {
            let png = thumbnail(&scene(640, 360, format), 200, 200).unwrap();
            let out = image::load_from_memory(&png).unwrap();
            assert_eq!((out.width(), out.height()), (200, 200), "{format:?}");
            assert_eq!(image::guess_format(&png).unwrap(), image::ImageFormat::Png);
        }
        let wide = thumbnail(&scene(300, 300, image::ImageFormat::Png), 120, 40).unwrap();
        let out = image::load_from_memory(&wide).unwrap();
        assert_eq!((out.width(), out.height()), (120, 40));
    }

    #[test]
    fn the_crop_keeps_the_interesting_region() {
        let png = thumbnail(&scene(900, 300, image::ImageFormat::Png), 100, 100).unwrap();
        let out = image::load_from_memory(&png).unwrap().to_rgb8();
        // The skin-toned patch is on the right: the square crop must contain it.
        let skin = out.pixels().filter(|p| p[0] > 180 && p[1] > 120).count();
        assert!(skin > 100 * 100 / 10, "only {skin} skin pixels in the crop");
    }

    #[test]
    fn a_detected_face_stays_in_frame() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/astronaut-wide.jpg"
        );
        let picture = image::open(path).unwrap().to_rgb8();
        let found = faces(&picture);
        assert_eq!(found.len(), 1, "{found:?}");
        let face = found[0];
        assert!(face.x > 850 && face.x < 1050 && face.y < 150, "{face:?}");
        for (w, h) in [(200, 200), (100, 300), (300, 100)] {
            let (crop, by_faces) = choose_crop(&picture, w, h).unwrap();
            assert!(by_faces);
            assert!(
                crop.x <= face.x
                    && crop.y <= face.y
                    && crop.x + crop.width >= face.x + face.width
                    && crop.y + crop.height >= face.y + face.height,
                "{w}x{h}: {crop:?} does not contain {face:?}"
            );
        }
        // The thumbnail still shows the face.
        let png = thumbnail(&std::fs::read(path).unwrap(), 200, 200).unwrap();
        let thumb = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(faces(&thumb).len(), 1);
        // Without faces, smartcrop decides.
        let (_, by_faces) = choose_crop(
            &image::load_from_memory(&scene(640, 360, image::ImageFormat::Png))
                .unwrap()
                .to_rgb8(),
            100,
            100,
        )
        .unwrap();
        assert!(!by_faces);
    }

    #[test]
    fn bad_input_is_an_input_error() {
        for bad in [
            &b"not an image at all"[..],
            &[0x89, b'P', b'N', b'G', 0, 0][..],
        ] {
            let err = thumbnail(bad, 10, 10).unwrap_err();
            assert_eq!(err.error_type, "InputError", "{err}");
        }
        for (input, needle) in [
            (serde_json::json!(["data://x/y", 0, 10]), "the width"),
            (serde_json::json!(["data://x/y", 10, 5000]), "the height"),
            (
                serde_json::json!({"image": "data://x/y", "outputUrl": "data://x/z", "width": 10}),
                "`height`",
            ),
            (serde_json::json!([1, 2, 3]), "the source"),
            (serde_json::json!("just text"), "takes image bytes"),
        ] {
            let err = parse(Input::Json(input)).err().unwrap();
            assert!(
                err.message.contains(needle) && err.error_type == "InputError",
                "{err}"
            );
        }
    }
}
