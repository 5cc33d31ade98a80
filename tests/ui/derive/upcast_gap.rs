// Versions 1 and 3 of an event without a version 2: the chain of upcasts has a gap, reported at the version after it.
#[factum::domain]
mod bank {
    #[event(name = "Deposited", version = 1)]
    pub struct DepositedV1 {
        pub amount: u64,
    }

    #[event(version = 3)]
    pub struct Deposited {
        pub amount: u64,
    }

    #[aggregate(id = String)]
    pub struct Account;

    pub struct AccountState {
        pub balance: u64,
    }

    #[command(emits(Deposited))]
    pub struct Deposit {
        pub amount: u64,
    }
}

fn main() {}
