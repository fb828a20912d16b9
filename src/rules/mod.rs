//! The Bootstrap Sequence's rules (LwM2M Core 1.1 §5.2.4; 1.1.1 §6.2.1.1), one file per
//! concept. The client drives the sequence with them; nothing here runs by itself.
//!
//! - [`state_reason`]: the steps of the sequence (smartcard → factory → register → hold-off
//!   → client-initiated bootstrap) and why the client is where it is;
//! - [`card_step`]: step 1, Bootstrap from Smartcard: the card transport, preparing the
//!   card's configuration, change and removal detection;
//! - [`retry`]: the 1.1 registration procedure (retry count and timer, sequences, priority
//!   order, failure block, initial delay, bootstrap on registration failure);
//! - [`backoff`]: exponential back-off with jitter between failed bootstraps.
//!
//! Pure state and decisions: no I/O, no clock.

pub mod backoff;
#[cfg(feature = "smartcard")]
pub mod card_step;
pub mod retry;
pub mod state_reason;

pub use backoff::BootstrapBackoff;
#[cfg(feature = "smartcard")]
pub use card_step::{
    CardTransport, Scp03Keys, Smartcard, SmartcardConfig, SmartcardOutcome, SmartcardRejection,
};
pub use retry::{
    AttemptFailure, RegistrationPlan, RetryParams, RetryProcedure, ServerProgress, ServerStatus,
    Verdict,
};
pub use state_reason::StateReason;
