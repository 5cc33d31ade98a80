// Each attribute goes on one kind of item: an event is a struct, an aggregate a unit struct.
#[factum::domain]
mod bank {
    #[event]
    pub enum Deposited {
        Small,
        Large,
    }

    #[aggregate(id = String)]
    pub struct Account {
        pub balance: u64,
    }

    #[command(emits(Deposited))]
    pub fn deposit() {}
}

fn main() {}
