//! The services records are settled with: a sink per result or failure destination, and the
//! idempotency store; on AWS, or given by tests.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use crate::config::Config;
use crate::destination::aws::aws_sink;
use crate::destination::{Destination, Sink};
use crate::idempotency::{DynamoDbStore, IdempotencyStore};

/// The services records are settled with: a sink per destination, and the idempotency store.
#[derive(Clone, Default)]
pub struct Services {
    sinks: HashMap<Destination, Arc<dyn Sink>>,
    store: Option<Arc<dyn IdempotencyStore>>,
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sinks: BTreeMap<String, String> = self
            .sinks
            .iter()
            .map(|(k, s)| (k.to_string(), s.describe()))
            .collect();
        f.debug_struct("Services")
            .field("sinks", &sinks)
            .field("store", &self.store.as_ref().map(|s| s.describe()))
            .finish()
    }
}

impl Services {
    /// No destinations and no idempotency table.
    pub fn none() -> Services {
        Services::default()
    }

    /// With `sink` writing to `destination`.
    pub fn with_sink(mut self, destination: &Destination, sink: Arc<dyn Sink>) -> Services {
        self.sinks.insert(destination.clone(), sink);
        self
    }

    /// With `store` keeping the idempotency locks and marks.
    pub fn with_store(mut self, store: Arc<dyn IdempotencyStore>) -> Services {
        self.store = Some(store);
        self
    }

    /// The sink of `destination`.
    pub(crate) fn sink(&self, destination: &Destination) -> Option<&Arc<dyn Sink>> {
        self.sinks.get(destination)
    }

    /// Whether `destination` has a sink.
    pub fn has_sink(&self, destination: &Destination) -> bool {
        self.sink(destination).is_some()
    }

    /// The idempotency store, if any.
    pub(crate) fn store(&self) -> Option<&dyn IdempotencyStore> {
        self.store.as_deref()
    }

    /// Whether there is an idempotency store.
    pub fn has_store(&self) -> bool {
        self.store.is_some()
    }
}

/// The services `config` names, on AWS: a sink for every result and failure destination of
/// every route, and the DynamoDB idempotency table.
pub fn aws_services(config: &Config, aws: &aws_config::SdkConfig) -> Services {
    let mut services = Services::none();
    for target in config.targets() {
        for destination in [&target.result_destination, &target.failure_destination]
            .into_iter()
            .flatten()
        {
            if !services.has_sink(destination) {
                services = services.with_sink(destination, aws_sink(destination, aws));
            }
        }
    }
    if let Some(idempotency) = &config.idempotency {
        services = services.with_store(Arc::new(DynamoDbStore::from_sdk_config(
            aws,
            idempotency.table.clone(),
            idempotency.ttl,
        )));
    }
    services
}
