//! Damage to raw bytes, and text for the parsers of numbers and dates in headers and listings.

use base64::Engine as _;
use proptest::prelude::*;
use proptest::sample::Index;

/// Standard base64 of `bytes`, as the AWS events and the Algorithmia API carry binary data.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One change to the bytes of a body.
#[derive(Debug, Clone)]
pub enum ByteDamage {
    /// Cut the body short.
    Cut(Index),
    /// Flip these bits of one byte.
    Flip(Index, u8),
    /// Insert bytes: random ones, or a broken UTF-8 sequence or JSON escape.
    Insert(Index, Vec<u8>),
}

/// Damage to a body's bytes.
pub fn byte_damage() -> impl Strategy<Value = ByteDamage> {
    prop_oneof![
        any::<Index>().prop_map(ByteDamage::Cut),
        (any::<Index>(), 1u8..=255).prop_map(|(i, x)| ByteDamage::Flip(i, x)),
        (
            any::<Index>(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..8),
                Just(vec![0xff, 0xfe]),
                Just(vec![0xc3]),
                Just(b"\\u".to_vec()),
                Just(b"\\ud800".to_vec()),
            ]
        )
            .prop_map(|(i, b)| ByteDamage::Insert(i, b)),
    ]
}

/// Make `damage` to `body`.
pub fn damage(body: &mut Vec<u8>, damage: &ByteDamage) {
    match damage {
        ByteDamage::Cut(i) => body.truncate(i.index(body.len() + 1)),
        ByteDamage::Flip(i, x) => {
            if !body.is_empty() {
                let at = i.index(body.len());
                body[at] ^= x;
            }
        }
        ByteDamage::Insert(i, bytes) => {
            let at = i.index(body.len() + 1);
            body.splice(at..at, bytes.iter().copied());
        }
    }
}

/// Text a parser of numbers, durations and dates meets: any text, number-like text, and numbers
/// and dates at the edges (past `u64`, past a `Duration`, year 0 and year 9999).
pub fn time_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[0-9.eE+-]{1,30}",
        prop::sample::select(
            &[
                "1e300",
                "1e20",
                "18446744073709551616",
                "inf",
                "NaN",
                "-1",
                "-0",
                "0.5",
                "Wed, 21 Oct 2015 07:28:00 GMT",
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "Thu, 01 Jan 1970 00:00:00 GMT",
                "2019-01-09T22:44:31.632Z",
                "9999-12-31T23:59:59Z",
                "0000-01-01T00:00:00Z",
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn damage_keeps_within_the_body() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..200 {
            let Ok(tree) = byte_damage().new_tree(&mut runner) else {
                continue;
            };
            for len in [0usize, 1, 7] {
                let mut body = vec![b'x'; len];
                damage(&mut body, &tree.current());
                match tree.current() {
                    ByteDamage::Cut(_) => assert!(body.len() <= len),
                    ByteDamage::Flip(..) => assert_eq!(body.len(), len),
                    ByteDamage::Insert(_, bytes) => assert_eq!(body.len(), len + bytes.len()),
                }
            }
        }
        assert_eq!(b64(&[0, 1, 2, 3, 255]), "AAECA/8=");
    }
}
