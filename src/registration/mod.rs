//! Registration Interface, basic (LwM2M Core 1.1 §5.3, Transport §6.2): Register with the
//! servers the bootstrap provisioned, Update before the lifetime runs out, Deregister on stop.

mod messages;
mod state;

pub use messages::{
    deregister_request, register_payload, register_request, update_delay_ms, update_request,
    update_request_with,
};
pub use state::{Registration, RegistrationFailure, RegistrationState, ResponseOutcome};
