//! The declarative macros generated code calls for the impls that are the same for every event: an event's `Event`
//! and `Versioned` impls, an event enum's `EventSet` impl, the `From` impls of the sum enums, and an aggregate's
//! evolve. The generator writes one short line per event or version; the macros spell out the bodies, once, here.
//!
//! Everything an impl needs that differs between events is an argument, written out by the generator from the
//! checked model: the stored names, the version numbers, each version's type and each typed upcasting step. So the
//! guarantees stay where they were: every version decodes as its own type, the chain to the latest is a sequence of
//! typed calls that rustc checks, and an unknown name or version is a typed error.
//!
//! Not a public API: generated code reaches these through `factum::__private`, and they change without notice.

/// The `Event` impl of every version of one event, and the `Versioned` impl of its latest type.
///
/// ```text
/// event! {
///     Paid = "Paid" | "PaymentMade" {
///         1 PaidV1 => PaidV2 => PaidV3 by <Paid as PaidUpcasts>::v2_to_v3;
///         2 PaidV2 => PaidV3 by <Paid as PaidUpcasts>::v2_to_v3;
///         3 PaidV3;
///     }
/// }
/// ```
///
/// Each version lists its number, its type, and the types of the versions after it, each reached by the typed step
/// from the one before: the `From` impl of a declarative step, or (`by`) the method of the custom trait that the
/// latest type implements.
#[doc(hidden)]
#[macro_export]
macro_rules! __factum_event {
    (
        $latest:ident = $name:literal $(| $old_name:literal)* {
            $($version:literal $stored:ident $(=> $next:ident $(by $step:expr)?)*;)+
        }
    ) => {
        $(
            #[automatically_derived]
            impl $crate::Event for $stored {
                const NAME: &'static str = $name;
                const VERSION: u32 = $version;
            }
        )+

        #[automatically_derived]
        impl $crate::Versioned for $latest {
            const STORED_NAMES: &'static [&'static str] = &[$name $(, $old_name)*];
            const VERSIONS: &'static [u32] = &[$($version),+];

            fn decode_stored(
                name: &str,
                version: u32,
                payload: &[u8],
            ) -> $crate::__private::Result<Self, $crate::DecodeErrorKind> {
                match version {
                    $(
                        $version => {
                            let event = $crate::decode_payload::<$stored>(payload)?;
                            $(let event: $next = $crate::__factum_step!(event $(, $step)?);)*
                            $crate::__private::Result::Ok(event)
                        }
                    )+
                    _ => $crate::__private::Result::Err($crate::unknown_version::<Self>(name, version)),
                }
            }
        }
    };
}

/// One upcasting step of `event!`: the `From` impl into the annotated next version, or the custom step given, a
/// function written by the generator (so that an error in it, such as a custom trait not implemented, is reported
/// at the schema).
#[doc(hidden)]
#[macro_export]
macro_rules! __factum_step {
    ($event:ident) => {
        $crate::__private::From::from($event)
    };
    ($event:ident, $step:expr) => {
        $step($event)
    };
}

/// The `EventSet` impl of an event enum whose variants are named like the latest type of the event each holds.
///
/// ```text
/// event_set! {
///     OrderEvent {
///         OrderCreated = "OrderCreated" | "OrderOpened",
///         OrderPaid = "OrderPaid",
///     }
/// }
/// ```
///
/// Each variant lists every name its event was stored under; decoding dispatches on them, then on the version
/// through the event's `Versioned` impl.
#[doc(hidden)]
#[macro_export]
macro_rules! __factum_event_set {
    ($set:ident { $($variant:ident = $($stored_name:literal)|+,)+ }) => {
        #[automatically_derived]
        impl $crate::EventSet for $set {
            const NAMES: &'static [&'static str] = &[$($($stored_name),+),+];

            fn name(&self) -> &'static str {
                match self {
                    $($set::$variant(_) => <$variant as $crate::Event>::NAME,)+
                }
            }

            fn version(&self) -> u32 {
                match self {
                    $($set::$variant(_) => <$variant as $crate::Event>::VERSION,)+
                }
            }

            fn encode(
                &self,
            ) -> $crate::__private::Result<$crate::__private::Vec<u8>, $crate::__private::serde_json::Error> {
                match self {
                    $($set::$variant(event) => $crate::encode_payload(event),)+
                }
            }

            fn decode(
                name: &str,
                version: u32,
                payload: &[u8],
            ) -> $crate::__private::Result<Self, $crate::DecodeErrorKind> {
                match name {
                    $(
                        $($stored_name)|+ => <$variant as $crate::Versioned>::decode_stored(name, version, payload)
                            .map($set::$variant),
                    )+
                    _ => $crate::__private::Result::Err($crate::DecodeErrorKind::UnknownEvent {
                        name: $crate::__private::String::from(name),
                    }),
                }
            }
        }
    };
}

/// `From` each variant's type for an enum whose variants are named like the type each holds: `Enum { A, B }`.
#[doc(hidden)]
#[macro_export]
macro_rules! __factum_from_variants {
    ($enum:ident { $($variant:ident),+ $(,)? }) => {
        $(
            #[automatically_derived]
            impl $crate::__private::From<$variant> for $enum {
                fn from(value: $variant) -> Self {
                    $enum::$variant(value)
                }
            }
        )+
    };
}

/// The body of an aggregate's `evolve`: a match on the event enum that hands each event to its method of the evolve
/// trait, which the state implements, so a new event fails to compile until it is handled.
///
/// ```text
/// evolve!(state, event; OrderEvent => OrderState as OrderEvolve { OrderCreated => order_created })
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __factum_evolve {
    (
        $state:ident, $event:ident;
        $set:ident => $state_type:ident as $evolve:ident { $($variant:ident => $method:ident),+ $(,)? }
    ) => {
        match $event {
            $($set::$variant(event) => <$state_type as $evolve>::$method($state, event),)+
        }
    };
}
