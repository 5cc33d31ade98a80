// Fields and commands named after Rust keywords work: fields are raw identifiers (stored under the name without
// `r#`), and a command called `Return` gets the decide method `r#return`.
#[factum::domain]
mod shop {
    #[event]
    pub struct Returned {
        pub r#type: String,
        pub r#match: u32,
    }

    #[aggregate(id = String)]
    pub struct Parcel;

    #[derive(Default)]
    pub struct ParcelState {
        pub r#type: String,
    }

    #[command(emits(Returned))]
    pub struct Return {
        pub r#type: String,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("rejected")]
    pub struct Rejected;

    impl ParcelDecide for Parcel {
        type Error = Rejected;

        fn r#return(&self, _: &ParcelState, command: Return) -> Result<Returned, Rejected> {
            Ok(Returned { r#type: command.r#type, r#match: 1 })
        }
    }

    impl ParcelEvolve for ParcelState {
        fn returned(&mut self, event: &Returned) {
            self.r#type.clone_from(&event.r#type);
        }
    }
}

fn main() {
    use factum::EventSet as _;
    let event = shop::ParcelEvent::from(shop::Returned { r#type: "box".into(), r#match: 2 });
    let json = String::from_utf8(event.encode().unwrap()).unwrap();
    assert_eq!(json, r#"{"type":"box","match":2}"#);
}
