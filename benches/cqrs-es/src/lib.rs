//! Factum side by side with cqrs-es: one domain, a bank account, written once for each library, and the workloads the
//! benchmark (`benches/side_by_side.rs`) times on both.
//!
//! - [`factum_side`]: the account generated from `schemas/account.factum`, with its rules written against the
//!   generated decide and evolve traits; stored in Factum's `MemoryStore`, handled by its `CommandService`.
//! - [`cqrs_side`]: the same account as a cqrs-es `Aggregate`; stored in cqrs-es's `MemStore`, handled by its
//!   `CqrsFramework`.
//!
//! Both sides take the same commands and reach the same state, which the tests ([`agree`]) and the benchmark check
//! before timing anything. The PostgreSQL comparison (`postgres-es` against Factum's `PostgresStore`) uses both sides from
//! `benches/cqrs-es-postgres/`, a workspace of its own; see the README.

pub mod agree;
pub mod cqrs_side;
pub mod factum_side;

/// The owner every benchmark account is opened for.
pub const OWNER: &str = "Ada Lovelace";

/// What the deposit with the 0-based index `index` pays in, in cents: varied, so that folds do real arithmetic.
pub fn deposit(index: usize) -> u64 {
    100 + (index as u64 % 7) * 25
}

/// The balance of an account opened and then paid `deposits` deposits.
pub fn balance_after(deposits: usize) -> u64 {
    (0..deposits).map(deposit).sum()
}

/// What each timed command of the side by sides deposits, in cents.
pub const AMOUNT: u64 = 100;

/// The deposit each timed command makes, for Factum.
pub fn factum_deposit() -> factum_side::schema::BankAccountCommand {
    factum_side::schema::DepositMoney { amount: AMOUNT }.into()
}

/// The deposit each timed command makes, for cqrs-es.
pub fn cqrs_deposit() -> cqrs_side::BankAccountCommand {
    cqrs_side::BankAccountCommand::DepositMoney { amount: AMOUNT }
}

/// Times `iterations` commands, replacing the account by a fresh one of `events` events every `events / 10`
/// commands, so that its stream stays within 10% of `events`: `fresh` makes one (untimed), `handle` handles one
/// command on it (timed).
pub fn time_commands<T>(
    iterations: u64,
    events: usize,
    mut fresh: impl FnMut() -> T,
    mut handle: impl FnMut(&T),
) -> std::time::Duration {
    let per_account = (events / 10).max(1) as u64;
    let mut timed = std::time::Duration::ZERO;
    let mut account = fresh();
    for done in 0..iterations {
        if done > 0 && done % per_account == 0 {
            account = fresh();
        }
        let start = std::time::Instant::now();
        handle(&account);
        timed += start.elapsed();
    }
    timed
}
