//! AWS on loopback for the blueprint's measurements: `moto_server`, and through the AWS SDK
//! clients on it, a fresh idempotency table and results queue per run, the API key in KMS, SSM
//! and Secrets Manager, and what a run left in the queue and the table.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, Select,
};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::QueueAttributeName;
use base64::Engine as _;

const REGION: &str = "us-east-1";

/// `moto_server` (found on `PATH`: the test tools' `.venv/bin`) on a free loopback port, stopped
/// when dropped.
pub(crate) struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
}

impl Moto {
    /// Start it and wait for its address.
    pub(crate) fn start() -> Result<Moto, String> {
        let mut child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!(
                    "could not start moto_server ({e}): put the test tools' .venv/bin on PATH \
                     (scripts/test.sh installs them)"
                )
            })?;
        let mut lines = match child.stderr.take() {
            Some(stderr) => BufReader::new(stderr).lines(),
            None => return Err(stop(child, "moto_server has no stderr")),
        };
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(i) = line.find("http://127.0.0.1:") {
                        break line[i..].split_whitespace().next().unwrap_or("").to_owned();
                    }
                }
                _ => {
                    return Err(stop(
                        child,
                        "moto_server exited before printing its address",
                    ));
                }
            }
        };
        // Keep draining its log so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Moto { child, url })
    }

    /// The variables that point the bootstrap's AWS SDK at this server.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_REGION", REGION.into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}

fn stop(mut child: Child, message: &str) -> String {
    let _ = child.kill();
    let _ = child.wait();
    message.to_owned()
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An SDK client of crate `$sdk` on moto's `$url`, with test credentials.
macro_rules! client {
    ($sdk:ident, $url:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .region($sdk::config::Region::new(REGION))
                .endpoint_url($url)
                .credentials_provider($sdk::config::Credentials::new(
                    "testing", "testing", None, None, "bench",
                ))
                .build(),
        )
    };
}

/// What an AWS call failed with, and what was attempted.
fn failed<E: std::error::Error>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what} in moto: {}", DisplayErrorContext(&e))
}

/// The idempotency table and the results queue of one run.
pub(crate) struct RunServices {
    /// The DynamoDB table (partition key `id`, a string).
    pub(crate) table: String,
    /// The queue's URL, to read it back.
    pub(crate) queue_url: String,
    /// The queue's ARN, the result destination.
    pub(crate) queue_arn: String,
}

impl RunServices {
    /// The bootstrap's variables turning idempotency and the result destination on.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ALGORITHMIA_IDEMPOTENCY_TABLE", self.table.clone()),
            ("ALGORITHMIA_RESULT_DESTINATION", self.queue_arn.clone()),
        ]
    }
}

/// One way of giving the bootstrap its key: a name for the table, the variable and its value.
pub(crate) struct KeyCase {
    pub(crate) label: &'static str,
    pub(crate) variable: &'static str,
    pub(crate) value: String,
}

/// The AWS SDK clients on moto.
pub(crate) struct Aws {
    dynamodb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    kms: aws_sdk_kms::Client,
    ssm: aws_sdk_ssm::Client,
    secrets: aws_sdk_secretsmanager::Client,
}

impl Aws {
    /// Clients on `moto`.
    pub(crate) fn new(moto: &Moto) -> Aws {
        Aws {
            dynamodb: client!(aws_sdk_dynamodb, &moto.url),
            sqs: client!(aws_sdk_sqs, &moto.url),
            kms: client!(aws_sdk_kms, &moto.url),
            ssm: client!(aws_sdk_ssm, &moto.url),
            secrets: client!(aws_sdk_secretsmanager, &moto.url),
        }
    }

    /// A new, empty idempotency table and results queue, both named `name`.
    pub(crate) async fn run_services(&self, name: &str) -> Result<RunServices, String> {
        let key = "describing the table's key";
        self.dynamodb
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(failed(key))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(failed(key))?,
            )
            .send()
            .await
            .map_err(failed("CreateTable"))?;
        let queue_url = self
            .sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .map_err(failed("CreateQueue"))?
            .queue_url()
            .ok_or("CreateQueue in moto returned no URL")?
            .to_owned();
        let queue_arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(failed("GetQueueAttributes"))?
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .ok_or("GetQueueAttributes in moto returned no ARN")?
            .clone();
        Ok(RunServices {
            table: name.to_owned(),
            queue_url,
            queue_arn,
        })
    }

    /// The results in the queue: how many documents, and how many distinct record ids.
    pub(crate) async fn results(&self, services: &RunServices) -> Result<(usize, usize), String> {
        let mut ids = std::collections::BTreeSet::new();
        let mut documents = 0;
        let mut empty = 0;
        while empty < 2 {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&services.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(3600)
                .send()
                .await
                .map_err(failed("ReceiveMessage"))?;
            let messages = received.messages();
            if messages.is_empty() {
                empty += 1;
            }
            for message in messages {
                documents += 1;
                let document: serde_json::Value =
                    serde_json::from_str(message.body().unwrap_or_default())
                        .map_err(|e| format!("a result in the queue is not JSON: {e}"))?;
                ids.insert(document["record_id"].to_string());
            }
        }
        Ok((documents, ids.len()))
    }

    /// How many items the idempotency table holds.
    pub(crate) async fn marks(&self, services: &RunServices) -> Result<usize, String> {
        let mut count = 0;
        let mut start = None;
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(&services.table)
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(failed("Scan"))?;
            count += usize::try_from(page.count()).unwrap_or(0);
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    /// `key` in each key source: plaintext, a KMS ciphertext (with the `auto` context of
    /// `function_name`), an SSM SecureString and a Secrets Manager secret (by ARN).
    pub(crate) async fn key_cases(
        &self,
        key: &str,
        function_name: &str,
    ) -> Result<Vec<KeyCase>, String> {
        let kms_key = self
            .kms
            .create_key()
            .send()
            .await
            .map_err(failed("CreateKey"))?
            .key_metadata()
            .map(|m| m.key_id().to_owned())
            .ok_or("CreateKey in moto returned no key")?;
        let encrypted = self
            .kms
            .encrypt()
            .key_id(kms_key)
            .plaintext(aws_sdk_kms::primitives::Blob::new(key.as_bytes()))
            .encryption_context("LambdaFunctionName", function_name)
            .send()
            .await
            .map_err(failed("Encrypt"))?;
        let ciphertext = encrypted
            .ciphertext_blob()
            .map(|b| base64::engine::general_purpose::STANDARD.encode(b.as_ref()))
            .ok_or("Encrypt in moto returned no ciphertext")?;
        let parameter = "/bench/algorithmia-api-key";
        self.ssm
            .put_parameter()
            .name(parameter)
            .value(key)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .map_err(failed("PutParameter"))?;
        let secret = self
            .secrets
            .create_secret()
            .name("bench-algorithmia-api-key")
            .secret_string(key)
            .send()
            .await
            .map_err(failed("CreateSecret"))?
            .arn()
            .ok_or("CreateSecret in moto returned no ARN")?
            .to_owned();
        Ok(vec![
            KeyCase {
                label: "plaintext",
                variable: "ALGORITHMIA_API_KEY",
                value: key.to_owned(),
            },
            KeyCase {
                label: "KMS ciphertext",
                variable: "ALGORITHMIA_API_KEY_ENCRYPTED",
                value: ciphertext,
            },
            KeyCase {
                label: "SSM SecureString",
                variable: "ALGORITHMIA_API_KEY_SSM_PARAMETER",
                value: parameter.to_owned(),
            },
            KeyCase {
                label: "Secrets Manager secret",
                variable: "ALGORITHMIA_API_KEY_SECRET_ARN",
                value: secret,
            },
        ])
    }
}
