//! Base64, as the blueprint writes and reads it: the standard alphabet with padding, which is
//! what Lambda's events, API Gateway, `aws kms encrypt` and the Algorithmia API all use.

use base64::Engine as _;
use base64::engine::GeneralPurpose;
use base64::engine::general_purpose::STANDARD;

/// The one engine: every encode and decode in the crate goes through it.
const ENGINE: GeneralPurpose = STANDARD;

/// `bytes` as base64 text.
pub(crate) fn to_base64(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

/// The bytes base64 `text` stands for.
pub(crate) fn from_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    ENGINE.decode(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_padding_and_rejects_other_alphabets() {
        assert_eq!(to_base64(&[0xff, 0xfe, 0x00, 0x01]), "//4AAQ==");
        assert_eq!(from_base64("//4AAQ==").unwrap(), [0xff, 0xfe, 0x00, 0x01]);
        assert_eq!(from_base64("aGk=").unwrap(), b"hi");
        // The URL-safe alphabet and missing padding are not what AWS sends.
        assert!(from_base64("__4AAQ==").is_err());
        assert!(from_base64("aGk").is_err());
    }
}
