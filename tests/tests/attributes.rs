//! Extra attributes on generated types and fields: `build.rs` compiles `schemas/attributes.factum` with
//! `#[derive(Eq, Hash)]` on `PostedV1`, `#[derive(Eq, Hash, PartialOrd, Ord)]` on `Parcel` and a serde alias on
//! `Posted.to`; these tests use each.

use std::collections::{BTreeSet, HashSet};

use factum::EventSet;

/// The code generated from `schemas/attributes.factum` by `build.rs`.
pub mod attributes {
    factum::include_schema!("attributes");
}

use attributes::*;

impl CounterEvolve for CounterState {
    fn posted(&mut self, _: &Posted) {}
}

fn posted(weight: u32, to: &str) -> Posted {
    Posted { parcel: Parcel { size: Size::Small, weight }, to: to.into() }
}

#[test]
fn an_extra_derive_makes_events_hashable() {
    let events: HashSet<Posted> = [posted(1, "ada"), posted(1, "ada"), posted(2, "ada")].into_iter().collect();
    assert_eq!(events.len(), 2);
}

#[test]
fn an_extra_derive_makes_records_ordered() {
    let parcels: BTreeSet<Parcel> = [
        Parcel { size: Size::Large, weight: 1 },
        Parcel { size: Size::Small, weight: 9 },
        Parcel { size: Size::Small, weight: 3 },
    ]
    .into_iter()
    .collect();
    let order: Vec<(Size, u32)> = parcels.iter().map(|parcel| (parcel.size, parcel.weight)).collect();
    assert_eq!(order, [(Size::Small, 3), (Size::Small, 9), (Size::Large, 1)]);
}

/// A field attribute reaches serde: a payload stored under the field's old name still reads.
#[test]
fn a_field_attribute_reaches_serde() {
    let check = |payload: &str| {
        let event = CounterEvent::decode("Posted", 1, payload.as_bytes()).unwrap();
        assert_eq!(event, posted(4, "ada").into(), "{payload}");
    };
    check(r#"{"parcel":{"size":"Small","weight":4},"to":"ada"}"#);
    check(r#"{"parcel":{"size":"Small","weight":4},"recipient":"ada"}"#);
}
