//! The inert attributes a domain module's items carry, and the keys each takes: one constant per keyword, as the
//! messages and the docs spell them.

/// `#[event]`: an event version, on a struct.
pub(super) const EVENT: &str = "event";
/// `#[data]`: a record (on a struct) or an enumeration (on an enum of unit variants) used by events and states.
pub(super) const DATA: &str = "data";
/// `#[aggregate(id = ...)]`: an aggregate's marker, on a unit struct.
pub(super) const AGGREGATE: &str = "aggregate";
/// `#[command(emits(...))]`: a command, on a struct.
pub(super) const COMMAND: &str = "command";
/// `#[projection(on(...))]`: a projection, on a unit struct that the macro replaces with its runner.
pub(super) const PROJECTION: &str = "projection";

/// Every attribute the module macro reads and removes.
pub(super) const ALL: [&str; 5] = [EVENT, DATA, AGGREGATE, COMMAND, PROJECTION];

/// `#[event(name = "...")]`: the stored name, the struct's name by default.
pub(super) const NAME: &str = "name";
/// `#[event(version = N)]`: the version, 1 by default.
pub(super) const VERSION: &str = "version";
/// `#[event(upcast(...))]`: how this version becomes the next: `custom`, or declarative steps.
pub(super) const UPCAST: &str = "upcast";
/// `#[event(alias = "Old")]`: an old stored name of the event.
pub(super) const ALIAS: &str = "alias";
/// `#[aggregate(id = T)]`: the type of the aggregate's id.
pub(super) const ID: &str = "id";
/// `#[aggregate(state = T)]`: the state struct, `<Aggregate>State` by default.
pub(super) const STATE: &str = "state";
/// `#[command(emits(...))]`: the events the command may record.
pub(super) const EMITS: &str = "emits";
/// `#[command(aggregate = A)]`: the command's aggregate, needed when the module declares several.
pub(super) const AGGREGATE_KEY: &str = "aggregate";
/// `#[projection(on(...))]`: the events a projection handles.
pub(super) const ON: &str = "on";

/// `upcast(custom)`: the step is written by hand.
pub(super) const CUSTOM: &str = "custom";
/// `upcast(rename(old -> new))`.
pub(super) const RENAME: &str = "rename";
/// `upcast(drop(field))`.
pub(super) const DROP: &str = "drop";

/// The keys each attribute takes.
pub(super) fn keys(attribute: &str) -> &'static [&'static str] {
    match attribute {
        EVENT => &[NAME, VERSION, UPCAST, ALIAS],
        AGGREGATE => &[ID, STATE],
        COMMAND => &[EMITS, AGGREGATE_KEY],
        PROJECTION => &[ON],
        _ => &[],
    }
}

/// What an attribute goes on, for messages: "a struct with named fields".
pub(super) fn goes_on(attribute: &str) -> &'static str {
    match attribute {
        DATA => "a struct with named fields or an enum of unit variants",
        AGGREGATE | PROJECTION => "a unit struct",
        _ => "a struct with named fields",
    }
}
