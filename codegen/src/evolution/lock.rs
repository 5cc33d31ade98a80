//! Lock files: a schema's released shapes, written beside it (`orders.factum.lock`) by `factum lock` and read back by
//! `factum check` and `Config::check_against_lock`.
//!
//! A lock file is pretty-printed JSON, the same bytes for the same schema: objects are sorted by key and versions by
//! number. It holds a format version; per event (with its aliases) per version the canonical shape, the fields with
//! their canonical types, and the shape's fingerprint; the record types and enums as written (for readers); and per
//! aggregate its id, state and commands (for notes about source-level changes). Reading checks every entry, so a
//! malformed, edited or future lock file is a clear error rather than a wrong answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::snapshot::{AggregateShape, CommandShape, EventShape, Snapshot, VersionShape};
use crate::types::{FieldShape, TypeShape};

/// The lock format this version of Factum writes and reads.
pub const LOCK_FORMAT: u32 = 1;

/// What the `about` entry of every lock file says, for whoever opens one.
const ABOUT: &str = "the released event shapes of a Factum schema: written by `factum lock`, checked by `factum check`";

/// Why a lock file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// The file is not a lock file this format describes.
    #[error("`{file}` is not a valid lock file: {reason}")]
    Malformed {
        /// The lock file.
        file: String,
        /// What is wrong, lowercase.
        reason: String,
    },
    /// The file has another format version.
    #[error(
        "`{file}` has lock format {found}, but this version of factum reads format {LOCK_FORMAT}: \
         update factum, or write the lock again with `factum lock`"
    )]
    UnsupportedFormat {
        /// The lock file.
        file: String,
        /// The format it declares.
        found: u64,
    },
}

/// A lock file as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockFile {
    about: String,
    format: u32,
    events: BTreeMap<String, LockedEvent>,
    #[serde(default)]
    types: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    enums: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    aggregates: BTreeMap<String, LockedAggregate>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockedEvent {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    versions: Vec<LockedVersion>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockedVersion {
    version: u32,
    fingerprint: String,
    shape: String,
    fields: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockedAggregate {
    id: String,
    state: BTreeMap<String, String>,
    commands: BTreeMap<String, BTreeMap<String, String>>,
}

impl Snapshot {
    /// The lock file of this snapshot: pretty JSON with a final newline, the same bytes for the same schema.
    pub fn to_lock(&self) -> String {
        let fields = |fields: &[FieldShape]| -> BTreeMap<String, String> {
            fields.iter().map(|field| (field.name.clone(), field.ty.to_string())).collect()
        };
        let events = self
            .events
            .iter()
            .map(|event| {
                let versions = event
                    .versions
                    .iter()
                    .map(|version| LockedVersion {
                        version: version.version,
                        fingerprint: version.fingerprint(),
                        shape: version.shape(),
                        fields: fields(&version.fields),
                    })
                    .collect();
                (event.name.clone(), LockedEvent { aliases: event.aliases.clone(), versions })
            })
            .collect();
        let mut types = BTreeMap::new();
        let mut enums = BTreeMap::new();
        for (name, shape) in self.named_types() {
            match shape {
                TypeShape::Record { fields, .. } => {
                    let written = fields.iter().map(|field| (field.name.clone(), field.ty.shallow())).collect();
                    types.insert(name.to_owned(), written);
                }
                TypeShape::Enum { variants, .. } => {
                    enums.insert(name.to_owned(), variants.clone());
                }
                _ => {}
            }
        }
        let aggregates = self
            .aggregates
            .iter()
            .map(|aggregate| {
                let commands =
                    aggregate.commands.iter().map(|command| (command.name.clone(), fields(&command.fields))).collect();
                let locked =
                    LockedAggregate { id: aggregate.id.to_string(), state: fields(&aggregate.state), commands };
                (aggregate.name.clone(), locked)
            })
            .collect();
        let lock = LockFile { about: ABOUT.to_owned(), format: LOCK_FORMAT, events, types, enums, aggregates };
        let mut text = serde_json::to_string_pretty(&lock).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads the lock file `file` (its text is `text`), checking every entry.
    pub fn from_lock(file: &str, text: &str) -> Result<Snapshot, LockError> {
        let malformed = |reason: String| LockError::Malformed { file: file.to_owned(), reason };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|error| malformed(error.to_string()))?;
        match value.get("format").map(serde_json::Value::as_u64) {
            None => return Err(malformed("it has no `format` entry".to_owned())),
            Some(None) => return Err(malformed("its `format` is not a whole number".to_owned())),
            Some(Some(found)) if found != u64::from(LOCK_FORMAT) => {
                return Err(LockError::UnsupportedFormat { file: file.to_owned(), found })
            }
            Some(Some(_)) => {}
        }
        let lock: LockFile = serde_json::from_str(text).map_err(|error| malformed(error.to_string()))?;
        let events = lock
            .events
            .into_iter()
            .map(|(name, event)| read_event(name, event).map_err(malformed))
            .collect::<Result<Vec<_>, _>>()?;
        let aggregates = lock
            .aggregates
            .into_iter()
            .map(|(name, aggregate)| read_aggregate(name, aggregate).map_err(malformed))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Snapshot { file: file.to_owned(), events, aggregates, sources: None, places: BTreeMap::new() })
    }
}

fn read_event(name: String, event: LockedEvent) -> Result<EventShape, String> {
    let mut versions: Vec<VersionShape> = Vec::new();
    for locked in event.versions {
        let at = format!("event `{name}` v{}", locked.version);
        if versions.iter().any(|version| version.version == locked.version) {
            return Err(format!("{at} is listed twice"));
        }
        let version = VersionShape { version: locked.version, fields: read_fields(&at, locked.fields)? };
        if version.shape() != locked.shape {
            return Err(format!("the `shape` of {at} does not match its `fields`"));
        }
        if version.fingerprint() != locked.fingerprint {
            return Err(format!("the `fingerprint` of {at} does not match its `shape`"));
        }
        versions.push(version);
    }
    versions.sort_by_key(|version| version.version);
    let mut aliases = event.aliases;
    aliases.sort();
    Ok(EventShape { name, aliases, versions })
}

fn read_aggregate(name: String, aggregate: LockedAggregate) -> Result<AggregateShape, String> {
    let at = format!("aggregate `{name}`");
    let id = TypeShape::parse(&aggregate.id).map_err(|error| format!("the id of {at}: {error}"))?;
    let state = read_fields(&format!("the state of {at}"), aggregate.state)?;
    let commands = aggregate
        .commands
        .into_iter()
        .map(|(command, fields)| {
            let fields = read_fields(&format!("command `{command}` of {at}"), fields)?;
            Ok(CommandShape { name: command, fields })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(AggregateShape { name, id, state, commands })
}

/// Fields from a sorted map of names to canonical types.
fn read_fields(at: &str, fields: BTreeMap<String, String>) -> Result<Vec<FieldShape>, String> {
    fields
        .into_iter()
        .map(|(name, ty)| match TypeShape::parse(&ty) {
            Ok(ty) => Ok(FieldShape { name, ty }),
            Err(error) => Err(format!("field `{name}` of {at}: {error}")),
        })
        .collect()
}
