// A schema's warnings are warnings at the literal, so `deny` turns them into errors like any other lint.
#![deny(deprecated)]

factum::schema!("$FACTUM_UI_CASES/schema/unused_event.factum");

impl PingerDecide for Pinger {
    type Error = std::convert::Infallible;
    fn ping(&self, _: &PingerState, command: Ping) -> Result<Pinged, Self::Error> {
        Ok(Pinged { at: command.at })
    }
}

impl PingerEvolve for PingerState {
    fn pinged(&mut self, _: &Pinged) {}
}

fn main() {}
