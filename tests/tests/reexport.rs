//! Generated code can reach the runtime through a re-export: `schema!(..., crate = path)`. Here `factum` is only
//! reachable as `factum_tests::platform::factum` inside the generated module's paths.

use factum::{testing::AggregateTest, types::Timestamp};

/// The code generated from `schemas/pinger.factum`, pointed at the re-exported runtime.
pub mod pinger {
    factum::schema!("schemas/pinger.factum", crate = ::factum_tests::platform::factum);
}

use pinger::*;

impl PingerDecide for Pinger {
    type Error = std::convert::Infallible;
    fn ping(&self, _: &PingerState, command: Ping) -> Result<Pinged, Self::Error> {
        Ok(Pinged { at: command.at })
    }
}

impl PingerEvolve for PingerState {
    fn pinged(&mut self, _: &Pinged) {}
}

#[test]
fn generated_code_runs_on_a_re_exported_runtime() {
    let at: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
    AggregateTest::<Pinger>::given_no_events().when(Ping { at }).then(vec![Pinged { at }.into()]);
}
