// Two structs declare the same version of one event: the second is reported where its version is written.
#[factum::domain]
mod bank {
    #[event(name = "Deposited", version = 1)]
    pub struct DepositedV1 {
        pub amount: u64,
    }

    #[event(version = 1)]
    pub struct Deposited {
        pub amount: u64,
        pub note: String,
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
