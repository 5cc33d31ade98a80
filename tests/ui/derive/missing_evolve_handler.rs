// The fold has one method per event and no default: leaving one out does not compile.
#[factum::domain]
mod bank {
    #[event]
    pub struct Deposited {
        pub amount: u64,
    }

    #[event]
    pub struct Withdrawn {
        pub amount: u64,
    }

    #[aggregate(id = String)]
    pub struct Account;

    pub struct AccountState {
        pub balance: u64,
    }

    #[command(emits(Deposited | Withdrawn))]
    pub struct Move {
        pub amount: i64,
    }

    impl AccountEvolve for AccountState {
        fn deposited(&mut self, event: &Deposited) {
            self.balance += event.amount;
        }
    }
}

fn main() {}
