//! The hand-written upcasting step of the order schema: `OrderCreated` v2 knew its customer by name only, v3 by id.

use factum::types::Uuid;

use crate::schema::{OrderCreated, OrderCreatedUpcasts, OrderCreatedV2, OrderCreatedV3};

/// The namespace of the ids derived for customers known only by name (a UUID v5 namespace: the same name always
/// gives the same id, so every read of an old order agrees).
pub const LEGACY_CUSTOMERS: Uuid = Uuid::from_u128(0x6f1c_2d3e_4b5a_4c6d_8e7f_8091_a2b3_c4d5);

/// The id of a customer known only by name.
pub fn legacy_customer_id(name: &str) -> Uuid {
    Uuid::new_v5(&LEGACY_CUSTOMERS, name.as_bytes())
}

// The step names both of its versions by their own types, so that declaring `OrderCreated v4` changes nothing here.
impl OrderCreatedUpcasts for OrderCreated {
    fn v2_to_v3(event: OrderCreatedV2) -> OrderCreatedV3 {
        OrderCreatedV3 {
            customer_id: legacy_customer_id(&event.customer),
            customer_name: event.customer,
            items: event.items,
            currency: event.currency,
        }
    }
}
