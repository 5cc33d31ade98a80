//! The code generated for every kind of upcasting step: a payload of each old version, under the current name and
//! under the old one, decodes to the latest version with each declared change applied, and bad payloads are typed
//! errors.

use factum::{DecodeErrorKind, EventSet, Versioned};

use evolving::*;

/// The code generated from `schemas/evolving.factum` by `build.rs`.
pub mod evolving {
    factum::include_schema!("evolving");
}

/// The custom step v2 → v3: a shipment without a parcel gets an empty one.
impl ShipmentUpcasts for Shipment {
    fn v2_to_v3(event: ShipmentV2) -> ShipmentV3 {
        ShipmentV3 {
            carrier_name: event.carrier_name,
            parcel: event.parcel.unwrap_or(Parcel { weight: 0 }),
            priority: event.priority,
        }
    }
}

/// Never called: the aggregate is here to give the event a home.
impl DepotDecide for Depot {
    type Error = std::convert::Infallible;
    fn ship(&self, _: &DepotState, command: Ship) -> Result<Shipment, Self::Error> {
        Ok(Shipment { carrier_name: command.carrier_name, parcel: command.parcel, priority: command.priority })
    }
}

impl DepotEvolve for DepotState {
    fn shipment(&mut self, _: &Shipment) {}
}

const V1: &str = r#"{
    "carrier": "DHL", "legacy_code": "X-1", "count": -7, "total": 4000000000, "grams": 1500, "note": "fragile",
    "sizes": [1, -2], "by_zone": {"north": 3}, "maybe_count": 5
}"#;

#[test]
fn a_declarative_step_applies_every_change() {
    let v1: ShipmentV1 = serde_json::from_str(V1).unwrap();
    let v2 = ShipmentV2::from(v1);
    assert_eq!(
        v2,
        ShipmentV2 {
            carrier_name: "DHL".into(),
            count: -7,
            total: 4_000_000_000,
            grams: 1500.0,
            note: Some("fragile".into()),
            sizes: vec![1, -2],
            by_zone: [("north".to_owned(), 3)].into(),
            maybe_count: Some(5),
            priority: Priority::High,
            tags: vec![],
            labels: Default::default(),
            ratio: 0.5,
            express: true,
            attempts: -3,
            label: "none yet \"quoted\"".into(),
            parcel: None,
            retries: Some(2),
        }
    );
}

#[test]
fn every_version_reads_as_the_latest_under_every_stored_name() {
    let latest = Shipment { carrier_name: "DHL".into(), parcel: Parcel { weight: 0 }, priority: Priority::High };
    let v2 = serde_json::to_vec(&ShipmentV2::from(serde_json::from_str::<ShipmentV1>(V1).unwrap())).unwrap();
    let v3 = serde_json::to_vec(&latest).unwrap();
    for name in ["Shipment", "Dispatched"] {
        for (version, payload) in [(1, V1.as_bytes()), (2, &v2), (3, &v3)] {
            let read = DepotEvent::decode(name, version, payload)
                .unwrap_or_else(|error| panic!("{name} v{version} does not decode: {error}"));
            assert_eq!(read, DepotEvent::Shipment(latest.clone()), "{name} v{version}");
        }
    }
    assert_eq!(<Shipment as Versioned>::STORED_NAMES, ["Shipment", "Dispatched"]);
    assert_eq!(DepotEvent::NAMES, ["Shipment", "Dispatched"]);
}

#[test]
fn appends_write_the_latest_version_under_the_current_name() {
    let event = DepotEvent::from(Shipment {
        carrier_name: "UPS".into(),
        parcel: Parcel { weight: 3 },
        priority: Priority::Low,
    });
    assert_eq!((event.name(), event.version()), ("Shipment", 3));
}

#[test]
fn unreadable_payloads_are_typed_errors() {
    let check = |name: &str, version: u32, payload: &str, expected: &str| {
        let error = DepotEvent::decode(name, version, payload.as_bytes()).unwrap_err();
        assert_eq!(error.to_string(), expected, "{name} v{version} {payload}");
    };
    check("Shipment", 4, "{}", "unknown version 4 of event `Shipment` (this build reads v1, v2, v3)");
    check("Dispatched", 0, "{}", "unknown version 0 of event `Dispatched` (this build reads v1, v2, v3)");
    check("Parcel", 1, "{}", "unknown event name `Parcel`");
    let error = DepotEvent::decode("Shipment", 1, br#"{"carrier": 1}"#).unwrap_err();
    assert!(matches!(error, DecodeErrorKind::MalformedPayload { .. }), "{error:?}");
}

#[test]
fn fixture_samples_of_every_version_read_back() {
    factum_tests::check_samples::<DepotEvent>("evolving.factum");
}
