//! Where the API key comes from: which of the four variables is set, read and checked at start.

use std::collections::BTreeMap;
use std::fmt;

use algorithmia_client::ApiKey;

use super::{ConfigError, error};
use crate::encoding::from_base64;

/// The plaintext key.
pub(crate) const PLAIN_VAR: &str = "ALGORITHMIA_API_KEY";
/// A KMS ciphertext of the key, base64.
pub(crate) const ENCRYPTED_VAR: &str = "ALGORITHMIA_API_KEY_ENCRYPTED";
/// An SSM parameter (SecureString) holding the key.
pub(crate) const SSM_VAR: &str = "ALGORITHMIA_API_KEY_SSM_PARAMETER";
/// A Secrets Manager secret (ARN or name) holding the key.
pub(crate) const SECRET_VAR: &str = "ALGORITHMIA_API_KEY_SECRET_ARN";
const CONTEXT_VAR: &str = "ALGORITHMIA_KMS_ENCRYPTION_CONTEXT";

/// Which encryption context the ciphertext was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncryptionContext {
    /// First `{"LambdaFunctionName": <function name>}` (the console's helpers), then none
    /// (`aws kms encrypt` without a context, the original blueprint).
    Auto,
    /// No context.
    None,
    /// Exactly these pairs.
    Explicit(BTreeMap<String, String>),
}

/// Where the API key comes from: exactly one of four variables.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `ALGORITHMIA_API_KEY`, in plaintext.
    Plain(ApiKey),
    /// `ALGORITHMIA_API_KEY_ENCRYPTED`: a KMS ciphertext, decrypted once at start.
    Encrypted {
        /// The raw ciphertext (already base64-decoded).
        ciphertext: Vec<u8>,
        /// The context to decrypt with.
        context: EncryptionContext,
    },
    /// `ALGORITHMIA_API_KEY_SSM_PARAMETER`: the name (or ARN) of an SSM parameter, a
    /// SecureString read with decryption; read at start and again when the API refuses the key.
    SsmParameter(String),
    /// `ALGORITHMIA_API_KEY_SECRET_ARN`: a Secrets Manager secret (ARN or name) whose
    /// SecretString is the key or JSON with an `api_key` field; read at start and again when the
    /// API refuses the key.
    Secret(String),
}

impl KeySource {
    /// The variable this source was read from, for messages.
    pub fn variable(&self) -> &'static str {
        match self {
            KeySource::Plain(_) => PLAIN_VAR,
            KeySource::Encrypted { .. } => ENCRYPTED_VAR,
            KeySource::SsmParameter(_) => SSM_VAR,
            KeySource::Secret(_) => SECRET_VAR,
        }
    }

    /// Whether reading the source again can give another key (a rotated one): true for SSM and
    /// Secrets Manager. A plaintext key and a ciphertext in the environment only change with a
    /// redeploy, which starts a new execution environment anyway.
    pub fn can_rotate(&self) -> bool {
        matches!(self, KeySource::SsmParameter(_) | KeySource::Secret(_))
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Plain(_) => f.write_str("Plain(<redacted>)"),
            KeySource::Encrypted {
                ciphertext,
                context,
            } => f
                .debug_struct("Encrypted")
                .field("ciphertext_bytes", &ciphertext.len())
                .field("context", context)
                .finish(),
            // Names, not values: the key is never held here.
            KeySource::SsmParameter(name) => f.debug_tuple("SsmParameter").field(name).finish(),
            KeySource::Secret(id) => f.debug_tuple("Secret").field(id).finish(),
        }
    }
}

/// The original blueprint's placeholders, which mean "not configured".
const PLACEHOLDERS: [&str; 4] = [
    "YOUR_API_KEY",
    "<kmsEncryptedApiKey>",
    "<YOUR_API_KEY>",
    "kmsEncryptedApiKey",
];

pub(super) fn parse_context(text: &str) -> Result<EncryptionContext, ConfigError> {
    match text.trim() {
        "" | "auto" => Ok(EncryptionContext::Auto),
        "none" => Ok(EncryptionContext::None),
        pairs => {
            let mut map = BTreeMap::new();
            for pair in pairs.split(',') {
                let (k, v) = pair.split_once('=').ok_or_else(|| {
                    error(
                        CONTEXT_VAR,
                        format!("{pair:?} is not key=value; use auto, none or k=v,k2=v2"),
                    )
                })?;
                let (k, v) = (k.trim(), v.trim());
                if k.is_empty() {
                    return Err(error(CONTEXT_VAR, format!("{pair:?} has an empty key")));
                }
                if map.insert(k.to_owned(), v.to_owned()).is_some() {
                    return Err(error(CONTEXT_VAR, format!("the key {k:?} is given twice")));
                }
            }
            Ok(EncryptionContext::Explicit(map))
        }
    }
}

/// The key source, from exactly one of the four variables (`get` gives trimmed, non-empty values).
pub(super) fn read_key_source(
    get: impl Fn(&str) -> Option<String>,
) -> Result<KeySource, ConfigError> {
    let plain = get(PLAIN_VAR);
    let encrypted = get(ENCRYPTED_VAR);
    let placeholder = |v: &Option<String>| v.as_deref().is_some_and(|v| PLACEHOLDERS.contains(&v));
    if placeholder(&plain) {
        return Err(error(
            PLAIN_VAR,
            "still holds the blueprint's placeholder; set your API key",
        ));
    }
    if placeholder(&encrypted) {
        return Err(error(
            ENCRYPTED_VAR,
            "still holds the blueprint's placeholder; set the CiphertextBlob that `aws kms encrypt` prints",
        ));
    }
    let parameter = get(SSM_VAR);
    let secret = get(SECRET_VAR);
    let set: Vec<&str> = [
        (PLAIN_VAR, plain.is_some()),
        (ENCRYPTED_VAR, encrypted.is_some()),
        (SSM_VAR, parameter.is_some()),
        (SECRET_VAR, secret.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, is_set)| is_set.then_some(name))
    .collect();
    if set.len() > 1 {
        return Err(error(
            PLAIN_VAR,
            format!(
                "set exactly one of {PLAIN_VAR}, {ENCRYPTED_VAR}, {SSM_VAR} or {SECRET_VAR}; {} are set",
                set.join(" and ")
            ),
        ));
    }
    if let Some(key) = plain {
        return Ok(KeySource::Plain(ApiKey::new(key)));
    }
    if let Some(name) = parameter {
        return Ok(KeySource::SsmParameter(name));
    }
    if let Some(id) = secret {
        return Ok(KeySource::Secret(id));
    }
    let Some(blob) = encrypted else {
        return Err(error(
            PLAIN_VAR,
            format!(
                "no key: set one of {PLAIN_VAR} (plaintext), {ENCRYPTED_VAR} (KMS ciphertext, base64), {SSM_VAR} (an SSM SecureString parameter) or {SECRET_VAR} (a Secrets Manager secret)"
            ),
        ));
    };
    let compact: String = blob.split_whitespace().collect();
    let ciphertext =
        from_base64(&compact).map_err(|e| error(ENCRYPTED_VAR, format!("not base64: {e}")))?;
    if ciphertext.is_empty() {
        return Err(error(ENCRYPTED_VAR, "the ciphertext is empty"));
    }
    Ok(KeySource::Encrypted {
        ciphertext,
        context: parse_context(&get(CONTEXT_VAR).unwrap_or_default())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn source(pairs: &[(&str, &str)]) -> Result<KeySource, ConfigError> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        read_key_source(|name| {
            map.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
    }

    #[test]
    fn each_variable_is_a_source() {
        assert_eq!(
            source(&[(PLAIN_VAR, "simPLAIN")]).unwrap(),
            KeySource::Plain(ApiKey::new("simPLAIN"))
        );
        assert!(matches!(
            source(&[(ENCRYPTED_VAR, "AQID")]).unwrap(),
            KeySource::Encrypted { .. }
        ));
        let ssm = source(&[(SSM_VAR, " /prod/algorithmia/key ")]).unwrap();
        assert_eq!(ssm, KeySource::SsmParameter("/prod/algorithmia/key".into()));
        assert_eq!(ssm.variable(), SSM_VAR);
        assert!(ssm.can_rotate());
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:algorithmia-AbCdEf";
        let secret = source(&[(SECRET_VAR, arn)]).unwrap();
        assert_eq!(secret, KeySource::Secret(arn.into()));
        assert_eq!(secret.variable(), SECRET_VAR);
        assert!(secret.can_rotate());
        assert_eq!(
            source(&[(SECRET_VAR, "algorithmia")]).unwrap(),
            KeySource::Secret("algorithmia".into())
        );
        assert!(!source(&[(PLAIN_VAR, "simPLAIN")]).unwrap().can_rotate());
        assert!(!source(&[(ENCRYPTED_VAR, "AQID")]).unwrap().can_rotate());
        // An empty variable is an unset one.
        assert!(matches!(
            source(&[(PLAIN_VAR, "  "), (SSM_VAR, "/k")]).unwrap(),
            KeySource::SsmParameter(_)
        ));
    }

    #[test]
    fn none_or_several_sources_name_all_four_variables() {
        let all = [PLAIN_VAR, ENCRYPTED_VAR, SSM_VAR, SECRET_VAR];
        let values = [
            (PLAIN_VAR, "simSECRET"),
            (ENCRYPTED_VAR, "AQID"),
            (SSM_VAR, "/k"),
            (SECRET_VAR, "s"),
        ];
        let mut cases: Vec<Vec<(&str, &str)>> = vec![vec![]];
        for i in 0..values.len() {
            for j in i + 1..values.len() {
                cases.push(vec![values[i], values[j]]);
            }
        }
        cases.push(values.to_vec());
        for pairs in cases {
            let err = source(&pairs).unwrap_err();
            let text = err.to_string();
            assert_eq!(err.variable, PLAIN_VAR, "{text}");
            for name in all {
                assert!(text.contains(name), "{pairs:?}: {text}");
            }
            assert!(!text.contains("simSECRET"), "{text}");
            if !pairs.is_empty() {
                for (name, _) in &pairs {
                    assert!(
                        text.contains(&format!("{name} and"))
                            || text.ends_with(&format!("{name} are set")),
                        "{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn debug_shows_names_never_keys() {
        let plain = format!("{:?}", KeySource::Plain(ApiKey::new("simSECRET")));
        assert_eq!(plain, "Plain(<redacted>)");
        assert_eq!(
            format!("{:?}", KeySource::SsmParameter("/prod/key".into())),
            r#"SsmParameter("/prod/key")"#
        );
        assert_eq!(
            format!("{:?}", KeySource::Secret("algorithmia".into())),
            r#"Secret("algorithmia")"#
        );
    }
}
