//! The API's envelopes as public types (`algorithmia_client::wire`): any body either decodes or
//! is refused with an error, and what decodes serialises to JSON that decodes again.

use algorithmia_client::wire::{
    AsyncEnvelope, DirListing, ErrorEnvelope, Metadata, SuccessEnvelope,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use testkit::hostile::{any_json, bounded, config};

use crate::LIMIT;
use crate::WORDS;
use crate::bodies::body;

/// `bytes` as a `T`, if they are one; if so, its JSON is a `T` again.
fn check<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<(), TestCaseError> {
    let name = std::any::type_name::<T>();
    let Ok(value) = serde_json::from_slice::<T>(bytes) else {
        return Ok(());
    };
    let text = serde_json::to_string(&value)
        .map_err(|e| TestCaseError::fail(format!("a decoded {name} does not serialise: {e}")))?;
    serde_json::from_str::<T>(&text)
        .map_err(|e| TestCaseError::fail(format!("{name} serialised as {text}: {e}")))?;
    Ok(())
}

#[test]
fn envelopes_decode_or_are_refused() {
    bounded(LIMIT, || {
        proptest!(config(1000), |(
            bytes in prop_oneof![
                3 => body(),
                1 => any_json(WORDS).prop_map(|v| serde_json::json!({"metadata": v}).to_string().into_bytes()),
                1 => any_json(WORDS).prop_map(|v| serde_json::json!({"error": v}).to_string().into_bytes()),
            ],
        )| {
            check::<Metadata>(&bytes)?;
            check::<ErrorEnvelope>(&bytes)?;
            check::<SuccessEnvelope>(&bytes)?;
            check::<AsyncEnvelope>(&bytes)?;
            check::<DirListing>(&bytes)?;
        });
    });
}
