// `Withdraw` may only record `Withdrawn`: a decide method returning any other event does not compile.
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

    #[derive(Default)]
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

    #[derive(Debug, thiserror::Error)]
    #[error("rejected")]
    pub struct Rejected;

    impl AccountDecide for Account {
        type Error = Rejected;

        fn deposit(&self, _: &AccountState, command: Deposit) -> Result<Deposited, Rejected> {
            Ok(Deposited { amount: command.amount })
        }

        fn withdraw(&self, _: &AccountState, command: Withdraw) -> Result<Withdrawn, Rejected> {
            Ok(Deposited { amount: command.amount })
        }
    }

    impl AccountEvolve for AccountState {
        fn deposited(&mut self, event: &Deposited) {
            self.balance += event.amount;
        }

        fn withdrawn(&mut self, event: &Withdrawn) {
            self.balance -= event.amount;
        }
    }
}

fn main() {}
