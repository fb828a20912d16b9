//! The client side of the Bootstrap Interface (LwM2M Core 1.1 §5.2, Transport §6.1):
//! the Bootstrap-Request, the Bootstrap-Server's operations applied to a staged transaction,
//! Finish validation, and the EXCHANGE_LIFETIME rule for a missing Finish.

pub mod firmware;
pub mod operations;
pub mod request;
pub mod session;
pub mod validate;

pub use firmware::{FirmwareObjects, FirmwareTransaction};
pub use operations::{handle, listed_objects, OperationContext, Outcome};
pub use request::{bootstrap_pack_request, bootstrap_request};
pub use session::{BootstrapFailure, BootstrapSession};
pub use validate::{validate, Inconsistency, ValidationPolicy};
