//! The order domain declared with `#[factum::domain]`.

// The domain's items are `pub`, as a library's would be; a test crate exports nothing, so they are unreachable.
#![allow(unreachable_pub)]

include!("orders.rs");
