//! The Bootstrap Sequence and the device's life (Core 1.1 §5.2.4, §6.2.1.1; REFERENCE §1.1,
//! §1.7): one file per concept.
//!
//! - [`machine`]: the sequence state machine (smartcard → factory → register → hold-off →
//!   client-initiated bootstrap), the state reason, server-initiated acceptance, deadlines;
//! - [`smartcard`]: step 1, Bootstrap from Smartcard: the card transport, preparing the
//!   card's configuration, change and removal detection;
//! - [`retry`]: the 1.1 registration procedure (retry count and timer, sequences, priority
//!   order, failure block, initial delay, bootstrap on registration failure);
//! - [`backoff`]: exponential back-off with jitter between failed bootstraps.
//!
//! Pure state and decisions: no I/O, no clock; the client drives it.

pub mod backoff;
pub mod machine;
pub mod retry;
pub mod smartcard;

pub use backoff::BootstrapBackoff;
pub use machine::{Sequence, StateReason};
pub use retry::{
    AttemptFailure, RegistrationPlan, RetryParams, RetryProcedure, ServerProgress, ServerStatus,
    Verdict,
};
pub use smartcard::{
    CardTransport, Scp03Keys, Smartcard, SmartcardConfig, SmartcardOutcome, SmartcardRejection,
};
