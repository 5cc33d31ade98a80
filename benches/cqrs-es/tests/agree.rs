//! The two sides of the comparison are the same account: the same commands are accepted or rejected alike and leave
//! the same state, on Factum's `CommandService` and on cqrs-es's `CqrsFramework`.

use cqrs_es::mem_store::MemStore;
use cqrs_es::{CqrsFramework, EventStore};
use factum::store::memory::MemoryStore;
use factum::CommandService;
use factum_cqrs_es::agree::{self, Case};
use factum_cqrs_es::cqrs_side;
use factum_cqrs_es::factum_side::schema::BankAccount;

#[test]
fn both_sides_accept_and_reject_alike() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        for Case { steps, expected, balance, events } in agree::cases() {
            let service = CommandService::<BankAccount, _>::new(MemoryStore::new());
            let store = MemStore::<cqrs_side::BankAccount>::default();
            let cqrs = CqrsFramework::new(store.clone(), Vec::new(), ());
            let id = factum::types::Uuid::from_u128(7);
            assert_eq!(agree::run_both(&service, &cqrs, "cqrs-es", &id, steps).await, expected);
            let loaded = service.load(&id).await.unwrap();
            let context = store.load_aggregate(&id.to_string()).await.unwrap();
            assert_eq!((loaded.state.balance, loaded.version), (balance, events));
            assert_eq!((context.aggregate.balance, context.current_sequence as u64), (balance, events));
            let owners = (context.aggregate.owner.as_str(), loaded.state.owner.as_str());
            assert_eq!((context.aggregate.opened, owners.0), (true, owners.1));
        }
    });
}

#[test]
fn the_seeded_histories_are_the_same_account() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        for deposits in [0, 1, 99] {
            let store = MemoryStore::new();
            let id = factum::types::Uuid::from_u128(9);
            factum_cqrs_es::factum_side::seed(&store, &id, deposits).await.unwrap();
            let loaded = CommandService::<BankAccount, _>::new(store).load(&id).await.unwrap();
            let mem = MemStore::<cqrs_side::BankAccount>::default();
            cqrs_side::seed(&mem, "9", deposits).await.unwrap();
            let context = mem.load_aggregate("9").await.unwrap();
            let balance = factum_cqrs_es::balance_after(deposits);
            assert_eq!((loaded.state.balance, loaded.version), (balance, deposits as u64 + 1));
            assert_eq!((context.aggregate.balance, context.current_sequence), (balance, deposits + 1));
        }
    });
}
