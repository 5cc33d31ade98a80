//! The derive front end's lowering and diagnostics, data-driven: a module's items in, every error with the place of
//! the token it sits on out; and snapshots of whole expansions.
//!
//! To update the snapshots after an intended change: `cargo insta test -p factum-codegen --features derive`, then
//! review them.

use super::{expand_domain, lower_items, DomainArgs};
use crate::diagnostics::SchemaErrors;

/// The items of `mod bank { <body> }`, as the macro gets them.
fn module(body: &str) -> syn::ItemMod {
    syn::parse_str(&format!("mod bank {{\n{body}\n}}")).expect("the test's module parses")
}

/// Lowers and checks `body` (the items of a module), and compares every error (`line:column: code: message`, the
/// line counted within `body`) with `expected`; warnings are left out.
fn check(body: &str, expected: &[&str]) {
    let module = module(body);
    let lowered = lower_items("bank", &module.content.as_ref().unwrap().1);
    let found: Vec<String> = match crate::check::check_after(&lowered.schema, lowered.diagnostics.clone()) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => {
            let errors = SchemaErrors::new("bank", lowered.sources.clone(), diagnostics);
            let fallback = proc_macro2::Span::call_site();
            errors
                .to_syn_error(&lowered.spans, fallback)
                .into_iter()
                .flatten()
                .map(|error| {
                    let at = error.span().start();
                    format!("{}:{}: {error}", at.line - 1, at.column + 1)
                })
                .collect()
        }
    };
    assert_eq!(found, expected, "\n{body}");
}

const ACCOUNT: &str = "
    #[aggregate(id = Uuid)]
    pub struct Account;
    #[derive(Default)]
    pub struct AccountState { pub balance: u64 }
";

#[test]
fn a_whole_domain_lowers_without_errors() {
    check(
        &format!(
            "{ACCOUNT}
    #[event]
    pub struct Opened {{ pub owner: String, pub limits: Map<String, Vec<Option<u64>>> }}
    #[event(name = \"Deposited\", version = 1, upcast(note = \"none given\", rename(sum -> amount)))]
    pub struct DepositedV1 {{ pub sum: u64 }}
    #[event(version = 2, alias = \"MoneyIn\")]
    pub struct Deposited {{ pub amount: u64, pub note: String }}
    #[data]
    pub enum Kind {{ Checking, Savings }}
    #[command(emits(Opened | Deposited))]
    pub struct Open {{ pub owner: String }}
    #[command(emits(Deposited, Opened?))]
    pub struct Deposit {{ pub amount: u64 }}
    #[projection(on(Opened, Deposited))]
    pub struct Balances;
    impl Account {{ pub fn helper() {{}} }}
    "
        ),
        &[],
    );
}

#[test]
fn keywords_as_field_and_command_names_are_raw_identifiers() {
    check(
        &format!(
            "{ACCOUNT}
    #[event]
    pub struct Renamed {{ pub r#type: String, pub r#match: u32 }}
    #[command(emits(Renamed))]
    pub struct Return {{ pub r#type: String }}
    "
        ),
        &[],
    );
}

#[test]
fn attribute_keys_are_checked() {
    check(
        &format!(
            "{ACCOUNT}
    #[event(verison = 2)]
    pub struct Opened {{ pub owner: String }}
    #[command(emits(Opened), retries = 3)]
    pub struct Open {{}}
    #[data(name = \"Other\")]
    pub struct Line {{}}
    "
        ),
        &[
            "7:13: factum::unknown-attribute-key: unknown key `verison` in `#[event]` (help: did you mean `version`?)",
            "9:30: factum::unknown-attribute-key: unknown key `retries` in `#[command]` (help: the keys of \
             `#[command]` are `emits`, `aggregate`)",
            "11:12: factum::unknown-attribute-key: unknown key `name` in `#[data]` (help: `#[data]` takes no keys)",
        ],
    );
}

#[test]
fn attributes_go_on_the_right_kind_of_item() {
    check(
        &format!(
            "{ACCOUNT}
    #[event]
    pub enum Happened {{ A }}
    #[projection(on(A))]
    pub struct Summary {{ pub rows: u64 }}
    #[command(emits(A))]
    pub fn go() {{}}
    #[data]
    pub struct Pair<T> {{ pub left: T }}
    #[event] #[data]
    pub struct Both {{}}
    "
        ),
        &[
            "3:16: factum::empty-aggregate: aggregate `Account` has no commands (help: declare what it decides, e.g. `command PlaceOrder { customer: String } emits OrderPlaced`)",
            "7:7: factum::misplaced-attribute: `#[event]` goes on a struct with named fields, not on an enum",
            "9:7: factum::misplaced-attribute: `#[projection]` goes on a unit struct, not on a struct with named fields",
            "11:7: factum::misplaced-attribute: `#[command]` goes on a struct with named fields, not on a function",
            "14:20: factum::misplaced-attribute: `#[data]` goes on an item without generic parameters (help: stored payloads have one shape: write the types out)",
            "15:16: factum::duplicate-attribute: `#[data]` on an item that is already `#[event]` (help: an item declares one thing: remove one of the attributes)",
        ],
    );
}

#[test]
fn versions_are_checked_across_items() {
    check(
        &format!(
            "{ACCOUNT}
    #[event]
    pub struct Opened {{ pub owner: String }}
    #[event(name = \"Opened\")]
    pub struct OpenedAgain {{ pub owner: String }}
    #[event(name = \"Moved\", version = 1)]
    pub struct MovedV1 {{ pub to: String }}
    #[event(version = 3)]
    pub struct Moved {{ pub to: String }}
    #[event(name = \"Closed\", version = 2)]
    pub struct ClosedV1 {{}}
    #[event(version = 0)]
    pub struct Closed {{}}
    #[command(emits(Opened, Moved, Closed))]
    pub struct Go {{}}
    "
        ),
        &[
            "9:7: factum::duplicate-event-version: event `Opened` declares `v1` twice (help: a new shape of the event needs a new version, e.g. `v2`)",
            "13:23: factum::version-gap: event `Moved` has no version v2 between v1 and v3 (help: versions follow each other: declare `event Moved v2 { ... }`, or renumber `v3` and the versions after it)",
            "16:16: factum::event-struct-name: struct `ClosedV1` is version 2 of `Closed`, but its name is the one the generated code gives version 1 (help: name it `ClosedV2`, or make it version 1)",
            "17:23: factum::invalid-version: invalid version `0` (help: versions are numbered from 1 to 4294967295)",
        ],
    );
}

#[test]
fn commands_name_events_and_aggregates_that_exist() {
    check(
        &format!(
            "{ACCOUNT}
    #[event]
    pub struct Deposited {{ pub amount: u64 }}
    #[command(emits(Deposted))]
    pub struct Deposit {{ pub amount: u64 }}
    #[command(aggregate = Acount, emits(Deposited))]
    pub struct Withdraw {{ pub amount: u64 }}
    #[command]
    pub struct Close {{}}
    #[projection(on(Withdrawn))]
    pub struct Balances;
    "
        ),
        &[
            "9:21: factum::unknown-event: command `Deposit` emits unknown event `Deposted` (help: did you mean `Deposited`?)",
            "11:27: factum::unknown-aggregate: unknown aggregate `Acount` (help: did you mean `Account`?)",
            "13:7: factum::missing-emits: command `Close` does not say what it records (help: name the events deciding it may record: `#[command(emits(OrderCreated))]`)",
            "15:21: factum::unknown-event: projection `Balances` handles unknown event `Withdrawn`",
        ],
    );
}

#[test]
fn types_must_have_a_counterpart_in_the_schema() {
    check(
        &format!(
            "{ACCOUNT}
    #[event]
    pub struct Deposited {{ pub amount: u8, pub at: &'static str, pub pair: (u64, u64), pub note: Vec<String, u8> }}
    #[command(emits(Deposited))]
    pub struct Deposit {{}}
    "
        ),
        &[
            "8:40: factum::unknown-type: unknown type `u8` (help: the integer types are `i32`, `i64`, `u32` and `u64`)",
            "8:52: factum::unsupported-type: the type `& 'static str` has no counterpart in a schema (help: use `bool`, `i32`, `i64`, `u32`, `u64`, `f64`, `String`, `Bytes`, `Uuid`, `Timestamp`, `Date`, a `#[data]` type of the module, or `Vec<T>`, `Option<T>` and `Map<K, V>` of them)",
            "8:76: factum::unsupported-type: the type `(u64 , u64)` has no counterpart in a schema (help: use `bool`, `i32`, `i64`, `u32`, `u64`, `f64`, `String`, `Bytes`, `Uuid`, `Timestamp`, `Date`, a `#[data]` type of the module, or `Vec<T>`, `Option<T>` and `Map<K, V>` of them)",
            "8:98: factum::unsupported-type: the type `Vec < String , u8 >` has no counterpart in a schema (help: use `bool`, `i32`, `i64`, `u32`, `u64`, `f64`, `String`, `Bytes`, `Uuid`, `Timestamp`, `Date`, a `#[data]` type of the module, or `Vec<T>`, `Option<T>` and `Map<K, V>` of them)",
        ],
    );
}

#[test]
fn an_aggregate_has_an_id_and_a_state() {
    check(
        "
    #[aggregate]
    pub struct Account;
    #[aggregate(id = Uuid, state = Ledger)]
    pub struct Vault;
    #[event]
    pub struct Opened {}
    #[command(aggregate = Account, emits(Opened))]
    pub struct Open {}
    #[command(emits(Opened))]
    pub struct Lock {}
    ",
        &[
            "2:7: factum::missing-id: aggregate `Account` has no id type (help: say what tells instances apart: `#[aggregate(id = Uuid)]`)",
            "3:16: factum::missing-state: aggregate `Account` has no state struct `AccountState` in the module (help: declare `pub struct AccountState { ... }` in the module (fields with defaults), or name another struct with `#[aggregate(state = ...)]`)",
            "5:16: factum::empty-aggregate: aggregate `Vault` has no commands (help: declare what it decides, e.g. `command PlaceOrder { customer: String } emits OrderPlaced`)",
            "4:36: factum::missing-state: aggregate `Vault` has no state struct `Ledger` in the module (help: declare `pub struct Ledger { ... }` in the module (fields with defaults), or name another struct with `#[aggregate(state = ...)]`)",
            "10:7: factum::unknown-aggregate: command `Lock` could belong to any of the module's aggregates (help: say which: `#[command(aggregate = Account, ...)]`)",
        ],
    );
}

#[test]
fn upcast_steps_are_checked_against_both_versions() {
    check(
        &format!(
            "{ACCOUNT}
    #[event(name = \"Deposited\", version = 1, upcast(note = 5, drop(gone), rename(sum -> total)))]
    pub struct DepositedV1 {{ pub sum: u64 }}
    #[event(name = \"Deposited\", version = 2)]
    pub struct DepositedV2 {{ pub amount: u64, pub note: String }}
    #[event(version = 3, upcast(custom))]
    pub struct Deposited {{ pub amount: u64, pub note: String }}
    #[event(name = \"Moved\", upcast(bad = -true))]
    pub struct Moved {{}}
    #[command(emits(Deposited, Moved))]
    pub struct Deposit {{}}
    "
        ),
        &[
            "7:60: factum::invalid-default: `5` is not a value of `String`, the type of `note`",
            "7:68: factum::unknown-upcast-field: `Deposited v1` has no field `gone`",
            "7:89: factum::unknown-upcast-field: `Deposited v2` has no field `total`",
            "11:26: factum::unknown-event-version: event `Deposited` has no version v4 (help: the declared versions of `Deposited` are v1, v2 and v3)",
            "13:43: factum::attribute-syntax: cannot read `#[event]`: only a number can be negative",
        ],
    );
}

/// The expansion of `body` as formatted Rust.
#[cfg(feature = "render")]
fn expansion(body: &str) -> String {
    crate::emit::format(expand_domain(&DomainArgs::default(), module(body)), "bank")
}

#[cfg(feature = "render")]
#[test]
fn a_domain_expands_to_its_items_and_the_generated_code() {
    let body = "
    use factum::types::Uuid;
    /// An account was opened.
    #[event]
    pub struct Opened { pub owner: String }
    #[event(name = \"Deposited\", version = 1, upcast(note = \"\"))]
    pub struct DepositedV1 { pub amount: u64 }
    #[event(version = 2)]
    #[derive(Debug)]
    pub struct Deposited { pub amount: u64, pub note: String }
    #[aggregate(id = Uuid)]
    pub struct Account;
    pub struct AccountState { pub balance: u64 }
    #[command(emits(Opened))]
    pub struct Open { pub owner: String }
    #[command(emits(Deposited?))]
    pub struct Deposit { pub amount: u64 }
    /// Every account's balance.
    #[projection(on(Deposited))]
    pub struct Balances;
    ";
    insta::assert_snapshot!(expansion(body));
}

#[cfg(feature = "render")]
#[test]
fn a_domain_with_errors_expands_to_its_items_the_errors_and_stubs() {
    let body = "
    #[event(verison = 2)]
    pub struct Opened { pub owner: String }
    #[aggregate(id = Uuid)]
    pub struct Account;
    pub struct AccountState { pub balance: u64 }
    #[command(emits(Opened))]
    pub struct Open { pub owner: String }
    #[projection(on(Opened))]
    pub struct Owners;
    ";
    insta::assert_snapshot!(expansion(body));
}

#[test]
fn warnings_become_lints_on_their_culprit_and_a_runtime_path_is_used_throughout() {
    let body = "
    #[event]
    pub struct Opened { pub owner: String }
    #[event]
    pub struct Forgotten { pub at: u64 }
    #[aggregate(id = String)]
    pub struct Account;
    pub struct AccountState {}
    #[command(emits(Opened))]
    pub struct Open { pub owner: String }
    ";
    let args: DomainArgs = syn::parse_str("crate = ::platform::factum").unwrap();
    let expanded = expand_domain(&args, module(body)).to_string();
    assert!(!expanded.contains("compile_error"), "{expanded}");
    // The warning is a deprecated constant, on the culprit's tokens, whose note is the diagnostic.
    assert!(
        expanded.contains("\"warning[factum::unused-event]: event `Forgotten` is never emitted nor handled"),
        "{expanded}"
    );
    assert!(expanded.contains(":: platform :: factum :: __private :: event !"), "{expanded}");
    let through = |path: &str| expanded.matches(path).count();
    assert_eq!(
        through(":: factum :: __private"),
        through(":: platform :: factum :: __private"),
        "every path goes through the re-export"
    );
}
