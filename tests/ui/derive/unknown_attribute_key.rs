// A misspelt key is reported on the key, with the key it was most likely meant to be; the rest of the domain is
// checked too, and the code around it compiles against stubs without adding errors.
#[factum::domain]
mod bank {
    #[event(verison = 2)]
    pub struct Deposited {
        pub amount: u64,
    }

    #[aggregate(id = String)]
    pub struct Account;

    pub struct AccountState {
        pub balance: u64,
    }

    #[command(emits(Deposited), retries = 3)]
    pub struct Deposit {
        pub amount: u64,
    }
}

fn main() {}
