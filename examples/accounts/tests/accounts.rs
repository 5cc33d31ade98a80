//! The bank domain's rules in given/when/then form, its events through a SQLite file (old payloads included), the
//! balance projection, and its model export held to the lock file committed beside it.

use accounts_example::{
    bank::{
        self, Account, AccountClosed, AccountEvent, AccountOpened, Balances, CloseAccount, Deposit, Deposited,
        OpenAccount, Withdraw, WithdrawalRefused, Withdrawn,
    },
    AccountError, Balance, BalanceSheet,
};
use factum::{
    store::sqlite::SqliteStore, testing::AggregateTest, types::Uuid, Aggregate, CommandService, EventSet, EventStore,
    ExpectedVersion, NewEvent, ProjectionRunner,
};

fn opened(overdraft_limit: u64) -> AccountEvent {
    AccountOpened { owner: "ada".into(), overdraft_limit }.into()
}

fn deposited(amount: u64) -> AccountEvent {
    Deposited { amount, reference: None }.into()
}

#[test]
fn an_account_opens_once() {
    AggregateTest::<Account>::given_no_events()
        .when(OpenAccount { owner: "ada".into(), overdraft_limit: 100 })
        .then(vec![opened(100)]);
    AggregateTest::<Account>::given([opened(0)])
        .when(OpenAccount { owner: "ada".into(), overdraft_limit: 0 })
        .then_error(AccountError::AlreadyOpen);
    AggregateTest::<Account>::given_no_events().when(Withdraw { amount: 1 }).then_error(AccountError::NotFound);
}

#[test]
fn withdrawals_go_down_to_the_overdraft_limit_and_no_further() {
    // (overdraft limit, deposited, asked for, what is recorded)
    let check = |limit: u64, deposit: u64, amount: u64, expected: AccountEvent| {
        AggregateTest::<Account>::given([opened(limit), deposited(deposit)])
            .when(Withdraw { amount })
            .then(vec![expected]);
    };
    check(0, 500, 500, Withdrawn { amount: 500 }.into());
    check(0, 500, 501, WithdrawalRefused { amount: 501, available: 500 }.into());
    check(100, 500, 600, Withdrawn { amount: 600 }.into());
    check(100, 500, 601, WithdrawalRefused { amount: 601, available: 600 }.into());
    AggregateTest::<Account>::given([opened(100), deposited(50), Withdrawn { amount: 150 }.into()])
        .when(Withdraw { amount: 1 })
        .then(vec![WithdrawalRefused { amount: 1, available: 0 }.into()])
        .then_state(|state| assert_eq!(state.balance, -100));
    AggregateTest::<Account>::given([opened(0)]).when(Withdraw { amount: 0 }).then_error(AccountError::NothingToMove);
}

#[test]
fn only_an_account_at_zero_closes_and_a_closed_one_takes_nothing() {
    AggregateTest::<Account>::given([opened(0), deposited(5)])
        .when(CloseAccount {})
        .then_error(AccountError::NotAtZero(5));
    let closed = [opened(0), AccountClosed {}.into()];
    AggregateTest::<Account>::given([opened(0)]).when(CloseAccount {}).then(vec![AccountClosed {}.into()]);
    AggregateTest::<Account>::given(closed.clone())
        .when(Deposit { amount: 5, reference: None })
        .then_error(AccountError::Closed);
    AggregateTest::<Account>::given(closed).when(CloseAccount {}).then_error(AccountError::Closed);
}

#[test]
fn a_stored_first_release_deposit_reads_as_the_latest_version() {
    let read = AccountEvent::decode("Deposited", 1, br#"{"amount":250}"#).unwrap();
    assert_eq!(read, deposited(250));
    let error = AccountEvent::decode("Deposited", 1, br#"{"sum":250}"#).unwrap_err();
    assert!(error.to_string().contains("amount"), "{error}");
    assert!(AccountEvent::decode("Deposited", 3, b"{}").is_err(), "a version from the future is an error");
}

#[tokio::test]
async fn accounts_live_in_a_sqlite_file_with_old_payloads_beside_new_ones() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("accounts.sqlite");
    let (ada, alan) = (Uuid::from_u128(1), Uuid::from_u128(2));
    {
        let service = CommandService::<Account, _>::new(SqliteStore::open(&path).unwrap());
        service.handle(&ada, OpenAccount { owner: "ada".into(), overdraft_limit: 100 }.into()).await.unwrap();
        service.handle(&ada, Deposit { amount: 300, reference: Some("rent".into()) }.into()).await.unwrap();
        service.handle(&alan, OpenAccount { owner: "alan".into(), overdraft_limit: 0 }.into()).await.unwrap();
        // What the first release wrote: `Deposited` v1.
        let old = NewEvent::new("Deposited", 1, &br#"{"amount":70}"#[..]).with_aggregate_type(Account::NAME);
        service.store().append(&Account::stream_id(&alan), ExpectedVersion::Exact(1), vec![old]).await.unwrap();
        let handled = service.handle(&alan, Withdraw { amount: 80 }.into()).await.unwrap();
        assert_eq!(handled.events, [WithdrawalRefused { amount: 80, available: 70 }.into()]);
    }
    // Reopened: everything reads back, the old payload as the latest version.
    let store = SqliteStore::open(&path).unwrap();
    let service = CommandService::<Account, _>::new(store.clone());
    assert_eq!(service.load(&alan).await.unwrap().state.balance, 70);
    let stored = store.read_stream(&Account::stream_id(&alan), 1).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|event| (event.envelope.event_name.as_str(), event.envelope.event_version))
            .collect::<Vec<_>>(),
        [("AccountOpened", 1), ("Deposited", 1), ("WithdrawalRefused", 1)]
    );
    let mut runner = ProjectionRunner::held(&store, Balances(BalanceSheet::default()));
    runner.catch_up().await.unwrap();
    let sheet = runner.into_projection().0;
    assert_eq!(
        sheet.accounts.into_iter().collect::<Vec<_>>(),
        [
            (ada, Balance { owner: "ada".into(), balance: 300, closed: false }),
            (alan, Balance { owner: "alan".into(), balance: 70, closed: false }),
        ]
    );
}

/// The lock of the domain, committed beside it: a change to what the module stores shows up here, and the
/// evolution checker finds nothing breaking between the committed lock and the module's model.
///
/// After an intended change: `FACTUM_UPDATE_LOCK=1 cargo test -p accounts-example --test accounts`, then review the
/// lock's diff in git.
#[test]
fn the_exported_model_matches_the_committed_lock() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bank.factum.lock");
    if std::env::var_os("FACTUM_UPDATE_LOCK").is_some() {
        std::fs::write(&path, bank::factum_lock()).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert_eq!(bank::factum_lock(), committed, "the domain's lock changed: see this test's doc");
    let (model, _) = factum_codegen::compile_source("bank.factum", bank::factum_model())
        .unwrap_or_else(|errors| panic!("{}", errors.to_plain_string()));
    let old = factum_codegen::evolution::Snapshot::from_lock("bank.factum.lock", &committed).unwrap();
    let breaking: Vec<String> = factum_codegen::evolution::check_against(&old, &model)
        .iter()
        .filter(|finding| finding.is_breaking())
        .map(|finding| finding.to_diagnostic().summary())
        .collect();
    assert_eq!(breaking, Vec::<String>::new());
}
