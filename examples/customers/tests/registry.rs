//! The registry's commands on a real SQLite file: `project`, `list` and `categories`, now (from the projection's
//! tables) and as of past instants (by time travel), checked line by line against what the history says; and a
//! property test holding the projection's tables, the directory in memory and time travel to an independent replay.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use chrono::TimeZone;
use customers_example::registry::{self, Registry};
use customers_example::schema::{Customer, CustomerChanged, CustomerDeleted, CustomerEvent, CustomerRegistered};
use customers_example::{CategoryCount, CustomerRow};
use factum::store::sqlite::SqliteStore;
use factum::store::{AnyStore, StreamAppend};
use factum::{Aggregate, EventStore, ExpectedVersion, Metadata, NewEvent, Timestamp};
use factum_testkit::postgres::ScratchSchema;
use proptest::prelude::*;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|&item| item.to_owned()).collect()
}

fn at(day: u32, hour: u32) -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2021, 2, day, hour, 0, 0).single().expect("a valid time")
}

fn registered(name: &str, points: i64, categories: &[&str]) -> CustomerEvent {
    CustomerRegistered { name: name.into(), points, categories: strings(categories) }.into()
}

fn changed(name: &str, points: i64, categories: &[&str]) -> CustomerEvent {
    CustomerChanged { name: name.into(), points, categories: strings(categories) }.into()
}

/// Appends `history` (time, customer code, event) in one batch, in the order given, each event at its time.
async fn import<S: EventStore>(store: &S, history: &[(Timestamp, String, CustomerEvent)]) {
    let mut versions: BTreeMap<&str, u64> = BTreeMap::new();
    let appends = history
        .iter()
        .map(|(recorded_at, code, event)| {
            let version = versions.entry(code).or_default();
            let stored = NewEvent::encode(event, Metadata::default())
                .expect("the event encodes")
                .with_aggregate_type(Customer::NAME)
                .recorded_at(*recorded_at);
            let append = StreamAppend::new(Customer::stream_id(code), ExpectedVersion::Exact(*version), vec![stored]);
            *version += 1;
            append
        })
        .collect();
    store.append_batch(appends).await.expect("the history imports");
}

/// The history the command tests read: registrations, full-state changes and a deletion over four days.
fn history() -> Vec<(Timestamp, String, CustomerEvent)> {
    vec![
        (at(1, 1), "C1".into(), registered("Ada", 10, &["player"])),
        (at(1, 2), "C2".into(), registered("Bob", 0, &["player", "vip"])),
        (at(1, 9), "C3".into(), registered("Cleo", 5, &["staff"])),
        (at(2, 8), "C1".into(), changed("Ada", 25, &["player", "vip"])),
        (at(3, 10), "C3".into(), CustomerDeleted {}.into()),
        // An imported event may list a category twice: the customer still counts once in it.
        (at(4, 12), "C2".into(), changed("Bob", 3, &["vip", "vip"])),
    ]
}

/// Runs the example with `args` on the store at `url`: its exit code, stdout and stderr.
fn customers(url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_customers-example"))
        .args(["--store", url])
        .args(args)
        .output()
        .expect("the example runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.code(), text(&output.stdout), text(&output.stderr))
}

fn url(path: &Path) -> String {
    format!("sqlite:{}", path.display())
}

fn seeded() -> (tempfile::TempDir, String) {
    let directory = tempfile::tempdir().expect("a temporary folder");
    let path = directory.path().join("customers.db");
    let store = SqliteStore::open(&path).expect("the store opens");
    block_on(import(&store, &history()));
    let url = url(&path);
    (directory, url)
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime").block_on(future)
}

#[test]
fn the_commands_print_the_registry_now_and_as_of_any_instant() {
    let (_directory, url) = seeded();
    // (arguments, the lines printed)
    let cases: &[(&[&str], &[&str])] = &[
        (&["project"], &[r#"{"projection":"CustomerDirectory","checkpoint":7}"#]),
        (
            &["list"],
            &[
                r#"{"id":"C1","name":"Ada","points":25,"categories":["player","vip"]}"#,
                r#"{"id":"C2","name":"Bob","points":3,"categories":["vip"]}"#,
            ],
        ),
        (&["categories"], &[r#"{"category":"player","customers":1}"#, r#"{"category":"vip","customers":2}"#]),
        // 2021-02-02T00:00+07:00 is 2021-02-01T17:00Z: after the three registrations, before Ada's change.
        (
            &["list", "--as-of", "2021-02-02T00:00:00+07:00"],
            &[
                r#"{"id":"C1","name":"Ada","points":10,"categories":["player"]}"#,
                r#"{"id":"C2","name":"Bob","points":0,"categories":["player","vip"]}"#,
                r#"{"id":"C3","name":"Cleo","points":5,"categories":["staff"]}"#,
            ],
        ),
        (
            &["categories", "--as-of", "2021-02-02T00:00:00+07:00"],
            &[
                r#"{"category":"player","customers":2}"#,
                r#"{"category":"staff","customers":1}"#,
                r#"{"category":"vip","customers":1}"#,
            ],
        ),
        // Strictly before: the change recorded at 08:00 on the 2nd is not in the registry as of 08:00.
        (
            &["list", "--as-of", "2021-02-02T08:00:00Z"],
            &[
                r#"{"id":"C1","name":"Ada","points":10,"categories":["player"]}"#,
                r#"{"id":"C2","name":"Bob","points":0,"categories":["player","vip"]}"#,
                r#"{"id":"C3","name":"Cleo","points":5,"categories":["staff"]}"#,
            ],
        ),
        (
            &["categories", "--as-of", "2021-02-03T10:00:00.000001Z"],
            &[r#"{"category":"player","customers":2}"#, r#"{"category":"vip","customers":2}"#],
        ),
        (&["list", "--as-of", "2021-01-31T00:00:00Z"], &[]),
        (&["categories", "--as-of", "2021-01-31T00:00:00Z"], &[]),
    ];
    for (args, expected) in cases {
        let (code, stdout, stderr) = customers(&url, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert_eq!(stdout.lines().collect::<Vec<_>>(), *expected, "{args:?}");
    }
}

#[test]
fn bad_input_is_an_error_naming_its_cause() {
    let (directory, url) = seeded();
    // (arguments, what stderr says)
    let cases: &[(&[&str], &str)] = &[
        (&["list", "--as-of", "2021-02-02"], "not an RFC 3339 instant with an offset"),
        (&["categories", "--as-of", "2021-02-02T00:00:00"], "not an RFC 3339 instant with an offset"),
    ];
    for (args, expected) in cases {
        let (code, _, stderr) = customers(&url, args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = customers("postgres://nowhere", &["list"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("postgres://nowhere"), "{stderr}");

    // A stored event that cannot be read stops the projection at it, naming it; what came before stays applied.
    let store = SqliteStore::open(directory.path().join("customers.db")).expect("the store opens");
    let unreadable = NewEvent::new("CustomerChanged", 1, r#"{"name": 5}"#).with_aggregate_type(Customer::NAME);
    block_on(store.append(&Customer::stream_id(&"C9".to_owned()), ExpectedVersion::Any, vec![unreadable]))
        .expect("the append succeeds");
    for args in [&["list"][..], &["categories"], &["list", "--as-of", "2030-01-01T00:00:00Z"], &["project"]] {
        let (code, _, stderr) = customers(&url, args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("CustomerChanged") && stderr.contains("global position 7"), "{args:?}: {stderr}");
    }
    // The projection stopped before the unreadable event: the events before it are in its tables, once.
    let read = block_on(store.read_tables(customers_example::DirectoryTables::customers)).expect("reads");
    assert_eq!(read.len(), 2, "{read:?}");
    // Before the unreadable event, time travel still answers.
    let (code, stdout, stderr) = customers(&url, &["list", "--as-of", "2021-03-01T00:00:00Z"]);
    assert_eq!((code, stdout.lines().count()), (Some(0), 2), "{stderr}");
}

#[test]
fn the_demo_runs_on_an_empty_store_and_refuses_one_that_is_not() {
    let directory = tempfile::tempdir().expect("a temporary folder");
    let url = url(&directory.path().join("demo.db"));
    let (code, stdout, stderr) = customers(&url, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("== the registry as of 2021-02-02T00:00:00+07:00"), "{stdout}");
    let (code, _, stderr) = customers(&url, &[]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("is not empty"), "{stderr}");
}

/// One step of a generated history: a customer (0..4), what happens to it, and the hour it is recorded at.
#[derive(Debug, Clone)]
enum Step {
    Put { customer: u8, name: u8, points: i64, categories: Vec<u8> },
    Delete { customer: u8 },
}

fn step() -> impl Strategy<Value = (Step, u32)> {
    let step = prop_oneof![
        3 => (0u8..4, 0u8..3, -5i64..5, proptest::collection::vec(0u8..4, 0..4))
            .prop_map(|(customer, name, points, categories)| Step::Put { customer, name, points, categories }),
        1 => (0u8..4).prop_map(|customer| Step::Delete { customer }),
    ];
    (step, 0u32..48)
}

/// The events of `steps` as a customer's stream would hold them: registered first, changed after, nothing after a
/// deletion (as the rules allow), each recorded at its own hour (out of order across streams).
fn events(steps: &[(Step, u32)]) -> Vec<(Timestamp, String, CustomerEvent)> {
    let mut registered_once = BTreeSet::new();
    let mut deleted = BTreeSet::new();
    let mut history = Vec::new();
    for (step, hour) in steps {
        let time = at(1 + hour / 24, hour % 24);
        match step {
            Step::Put { customer, name, points, categories } if !deleted.contains(customer) => {
                let categories: Vec<String> = categories.iter().map(|category| format!("k{category}")).collect();
                let (name, points) = (format!("n{name}"), *points);
                let event: CustomerEvent = if registered_once.insert(*customer) {
                    CustomerRegistered { name, points, categories }.into()
                } else {
                    CustomerChanged { name, points, categories }.into()
                };
                history.push((time, format!("C{customer}"), event));
            }
            Step::Delete { customer } if registered_once.contains(customer) && deleted.insert(*customer) => {
                history.push((time, format!("C{customer}"), CustomerDeleted {}.into()));
            }
            _ => {}
        }
    }
    history
}

/// The registry before `instant`, replayed independently: each customer's state is its last event recorded before the
/// instant (every event carries the full state), unless that event deleted it.
fn replay(history: &[(Timestamp, String, CustomerEvent)], instant: Option<Timestamp>) -> Registry {
    let mut last: BTreeMap<&str, (Timestamp, usize)> = BTreeMap::new();
    for (index, (time, code, _)) in history.iter().enumerate() {
        if instant.is_some_and(|instant| *time >= instant) {
            continue;
        }
        let entry = last.entry(code).or_insert((*time, index));
        if (*time, index) >= *entry {
            *entry = (*time, index);
        }
    }
    let mut registry = Registry::default();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (code, (_, index)) in last {
        let (name, points, categories) = match &history[index].2 {
            CustomerEvent::CustomerRegistered(event) => (&event.name, event.points, &event.categories),
            CustomerEvent::CustomerChanged(event) => (&event.name, event.points, &event.categories),
            CustomerEvent::CustomerDeleted(_) => continue,
        };
        let categories: Vec<String> = categories.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
        for category in &categories {
            *counts.entry(category.clone()).or_default() += 1;
        }
        registry.customers.push(CustomerRow { id: code.to_owned(), name: name.clone(), points, categories });
    }
    registry.categories =
        counts.into_iter().map(|(category, customers)| CategoryCount { category, customers }).collect();
    registry
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The projection's tables, the directory in memory and time travel after the last event all equal the replay;
    /// time travel to any instant equals the replay cut there.
    #[test]
    fn every_view_of_the_registry_equals_a_replay(
        steps in proptest::collection::vec(step(), 0..24),
        cut in 0u32..50,
    ) {
        let history = events(&steps);
        // The log holds the events in time order per customer, as a registry records them.
        let mut in_log_order = history.clone();
        in_log_order.sort_by_key(|(time, _, _)| *time);
        let directory = tempfile::tempdir().expect("a temporary folder");
        let sqlite = AnyStore::open(&url(&directory.path().join("registry.db"))).expect("the store opens");
        let memory = AnyStore::open("memory:").expect("the store opens");
        block_on(async {
            for store in [&sqlite, &memory] {
                import(store, &in_log_order).await;
                let everything = replay(&in_log_order, None);
                assert_eq!(registry::now(store).await.expect("reads now"), everything);
                let far = at(28, 0);
                assert_eq!(registry::as_of(store, far).await.expect("reads as of"), everything);
                let instant = at(1 + cut / 24, cut % 24);
                assert_eq!(
                    registry::as_of(store, instant).await.expect("reads as of"),
                    replay(&in_log_order, Some(instant)),
                    "as of {instant}"
                );
            }
            // Caught up again with nothing new, the tables stay as they are.
            assert_eq!(registry::now(&sqlite).await.expect("reads now"), replay(&in_log_order, None));
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// On PostgreSQL, the projection's tables in the store's schema equal the replay, caught up once and again.
    #[test]
    fn the_postgres_tables_equal_a_replay(steps in proptest::collection::vec(step(), 0..24)) {
        static CASE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let case = CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let schema = ScratchSchema::new(format!("test_customers_{}_{case}", std::process::id()));
        let url = schema.url();
        let mut in_log_order = events(&steps);
        in_log_order.sort_by_key(|(time, _, _)| *time);
        block_on(async {
            let store = AnyStore::connect(&url).await.expect("the PostgreSQL store connects");
            import(&store, &in_log_order).await;
            let everything = replay(&in_log_order, None);
            assert_eq!(registry::now(&store).await.expect("reads now"), everything);
            assert_eq!(registry::now(&store).await.expect("reads now"), everything, "caught up again");
        });
    }
}
