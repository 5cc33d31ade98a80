//! The two sides are the same account on PostgreSQL too: the same commands are accepted or rejected alike and leave
//! the same state, on Factum's `CommandService` over its `PostgresStore` and on cqrs-es's `CqrsFramework` over
//! postgres-es. Against the real server (`FACTUM_TEST_POSTGRES`, default 127.0.0.1:5432): they fail without it.

use cqrs_es::{CqrsFramework, EventStore};
use factum::CommandService;
use factum_cqrs_es::agree::{self, Case};
use factum_cqrs_es::factum_side::{self, schema::BankAccount};
use factum_cqrs_es_postgres::{factum_store, postgres_es_pool, postgres_es_store, seed_postgres_es, Schemas};

/// Each case on one account on each side, loaded again afterwards through fresh stores, as stored.
#[tokio::test]
async fn both_sides_accept_and_reject_alike() {
    for Case { steps, expected, balance, events } in agree::cases() {
        let schemas = Schemas::new("agree");
        let store = factum_store(&schemas).await.unwrap();
        let service = CommandService::<BankAccount, _>::new(store.clone());
        let pool = postgres_es_pool(&schemas).await.unwrap();
        let cqrs = CqrsFramework::new(postgres_es_store(&pool), Vec::new(), ());
        let id = factum::types::Uuid::new_v4();
        assert_eq!(agree::run_both(&service, &cqrs, "postgres-es", &id, steps).await, expected);
        let loaded = CommandService::<BankAccount, _>::new(store).load(&id).await.unwrap();
        let context = postgres_es_store(&pool).load_aggregate(&id.to_string()).await.unwrap();
        assert_eq!((loaded.state.balance, loaded.version), (balance, events));
        assert_eq!((context.aggregate.balance, context.current_sequence as u64), (balance, events));
        let owners = (context.aggregate.owner.as_str(), loaded.state.owner.as_str());
        assert_eq!((context.aggregate.opened, owners.0), (true, owners.1));
    }
}

#[tokio::test]
async fn the_seeded_histories_are_the_same_account() {
    let schemas = Schemas::new("agree");
    let store = factum_store(&schemas).await.unwrap();
    let service = CommandService::<BankAccount, _>::new(store.clone());
    let pool = postgres_es_pool(&schemas).await.unwrap();
    let cqrs_store = postgres_es_store(&pool);
    for deposits in [0, 1, 99] {
        let id = factum::types::Uuid::new_v4();
        factum_side::seed(&store, &id, deposits).await.unwrap();
        let loaded = service.load(&id).await.unwrap();
        seed_postgres_es(&cqrs_store, &id.to_string(), deposits).await.unwrap();
        let context = cqrs_store.load_aggregate(&id.to_string()).await.unwrap();
        let balance = factum_cqrs_es::balance_after(deposits);
        assert_eq!((loaded.state.balance, loaded.version), (balance, deposits as u64 + 1));
        assert_eq!((context.aggregate.balance, context.current_sequence), (balance, deposits + 1));
    }
}

/// postgres-es's sessions work in their own schema, not in `public`, and the schemas are gone once dropped.
#[tokio::test]
async fn each_side_keeps_to_its_schema() {
    let schemas = Schemas::new("agree");
    let pool = postgres_es_pool(&schemas).await.unwrap();
    let (schema,): (String,) = sqlx::query_as("SELECT current_schema()").fetch_one(&pool).await.unwrap();
    assert!(schema.starts_with("agree_postgres_es_"), "{schema}");
    let store = factum_store(&schemas).await.unwrap();
    drop((pool, store));
    drop(schemas);
    let admin = factum_cqrs_es_postgres::admin().await.unwrap();
    let left = admin.query_one("SELECT count(*) FROM pg_namespace WHERE nspname = $1", &[&schema]).await.unwrap();
    assert_eq!(left.get::<_, i64>(0), 0);
}
