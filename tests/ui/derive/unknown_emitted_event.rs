// A command emits an event the domain does not declare (a plain struct is not an event): reported on the name in
// `emits`, with the event it most likely meant.
#[factum::domain]
mod bank {
    #[event]
    pub struct Deposited {
        pub amount: u64,
    }

    pub struct Withdrawn {
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

    #[command(emits(Withdrawn))]
    pub struct Withdraw {
        pub amount: u64,
    }

    #[command(emits(Deposted))]
    pub struct Refund {
        pub amount: u64,
    }
}

fn main() {}
