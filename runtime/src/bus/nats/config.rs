//! Where the bus lives in JetStream: the stream, its subjects and its duplicate window, and the stream's creation.

use std::time::Duration;

use async_nats::jetstream::{self, stream::StorageType};

use super::subject::{check_name, SubjectPrefix};

/// The duplicate window unless one is set: long enough to cover a relay restarted by a supervisor.
pub const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// The JetStream stream a bus publishes into, and the subjects of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusConfig {
    stream: String,
    prefix: SubjectPrefix,
    duplicate_window: Duration,
    storage: StorageType,
}

impl BusConfig {
    /// The stream named `stream`, holding the subjects under `prefix` (see [`SubjectPrefix`]), on file storage,
    /// with a duplicate window of [`DEFAULT_DUPLICATE_WINDOW`].
    pub fn new(stream: impl Into<String>, prefix: impl Into<String>) -> Result<Self, BusConfigError> {
        let stream = stream.into();
        check_name("stream", &stream)?;
        Ok(BusConfig {
            stream,
            prefix: SubjectPrefix::new(prefix)?,
            duplicate_window: DEFAULT_DUPLICATE_WINDOW,
            storage: StorageType::File,
        })
    }

    /// Sets how long JetStream remembers message ids to drop duplicates: a relay restarted within it republishes
    /// nothing twice even without reading the stream's end.
    pub fn duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window;
        self
    }

    /// Keeps the stream in the server's memory rather than on file (tests, benchmarks): it does not survive a
    /// server restart.
    pub fn memory_storage(mut self) -> Self {
        self.storage = StorageType::Memory;
        self
    }

    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The subject prefix.
    pub fn prefix(&self) -> &SubjectPrefix {
        &self.prefix
    }

    /// The duplicate window.
    pub fn window(&self) -> Duration {
        self.duplicate_window
    }

    /// Creates the stream, or updates an existing one's subjects and duplicate window to this configuration
    /// (keeping the rest of its settings); returns it.
    pub async fn ensure_stream(&self, jetstream: &jetstream::Context) -> Result<jetstream::stream::Stream, BusError> {
        let subjects = vec![self.prefix.all_events()];
        match jetstream.get_stream(&self.stream).await {
            Ok(mut stream) => {
                let config = &stream.cached_info().config;
                if config.subjects != subjects || config.duplicate_window != self.duplicate_window {
                    let updated = jetstream::stream::Config {
                        subjects,
                        duplicate_window: self.duplicate_window,
                        ..config.clone()
                    };
                    jetstream.update_stream(updated).await.map_err(|error| self.failed("update", error))?;
                    stream.info().await.map_err(|error| self.failed("read", error))?;
                }
                Ok(stream)
            }
            Err(error) if is_not_found(&error.kind()) => {
                let config = jetstream::stream::Config {
                    name: self.stream.clone(),
                    subjects,
                    duplicate_window: self.duplicate_window,
                    storage: self.storage,
                    ..Default::default()
                };
                jetstream.get_or_create_stream(config).await.map_err(|error| self.failed("create", error))
            }
            Err(error) => Err(self.failed("read", error)),
        }
    }

    fn failed(&self, action: &'static str, error: impl std::error::Error + Send + Sync + 'static) -> BusError {
        BusError::Stream { stream: self.stream.clone(), action, source: Box::new(error) }
    }
}

/// Whether JetStream answered that the stream does not exist.
fn is_not_found(kind: &jetstream::context::GetStreamErrorKind) -> bool {
    matches!(kind, jetstream::context::GetStreamErrorKind::JetStream(error)
        if error.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND)
}

/// A bus configuration that JetStream would refuse, or that would not route events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusConfigError {
    /// The subject prefix is not one or more subject tokens.
    #[error("invalid subject prefix `{prefix}`: {reason}")]
    InvalidPrefix {
        /// The prefix given.
        prefix: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A stream or consumer name JetStream would refuse.
    #[error("invalid {kind} name `{name}`: {reason}")]
    InvalidName {
        /// `stream` or `consumer`.
        kind: &'static str,
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Talking to NATS failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The stream could not be read, created or updated.
    #[error("cannot {action} JetStream stream `{stream}`: {source}")]
    Stream {
        /// The stream.
        stream: String,
        /// What was tried.
        action: &'static str,
        /// NATS's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A publish was refused or not acknowledged in time (the server is down, the connection broke).
    #[error("publishing event at position {position} failed: {source}")]
    Publish {
        /// The position of the first event not acknowledged.
        position: u64,
        /// NATS's error.
        #[source]
        source: async_nats::jetstream::context::PublishError,
    },
    /// The consumer could not be created or read from.
    #[error("JetStream consumer `{consumer}`: cannot {action}: {source}")]
    Consumer {
        /// The durable consumer's name.
        consumer: String,
        /// What was tried.
        action: &'static str,
        /// NATS's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}
