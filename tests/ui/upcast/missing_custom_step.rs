// A `custom` upcasting step is Rust the user writes: forgetting it must not compile.
factum::schema!("$FACTUM_UI_CASES/../schemas/evolving.factum");

impl DepotDecide for Depot {
    type Error = std::convert::Infallible;
    fn ship(&self, _: &DepotState, command: Ship) -> Result<Shipment, Self::Error> {
        Ok(Shipment { carrier_name: command.carrier_name, parcel: command.parcel, priority: command.priority })
    }
}

impl DepotEvolve for DepotState {
    fn shipment(&mut self, _: &Shipment) {}
}

fn main() {}
