//! Step 1 of the Bootstrap Sequence: Bootstrap from Smartcard (Core 1.1 §5.2.3.2, Appendix G).
//!
//! **The smartcard issue plugs in here.** For now there is no smartcard support: the hook
//! reports "no card" and the sequence goes on with the factory configuration (step 2). The
//! real implementation reads EF LwM2M_Bootstrap through the platform's APDU callback, writes
//! the accounts it finds into the configuration (origin: smartcard) and reports
//! [`SmartcardOutcome::Provisioned`].

use crate::model::DataModel;

/// What step 1 did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmartcardOutcome {
    /// No smartcard (or no support for one): go on with the factory configuration.
    NoCard,
    /// The card's Bootstrap Information replaced the configuration (reserved).
    Provisioned,
}

/// Runs step 1 on the committed configuration. A no-op in this version.
pub fn smartcard_step(_configuration: &mut DataModel) -> SmartcardOutcome {
    // SMARTCARD: the smartcard issue replaces this body (present? → read → parse → install).
    SmartcardOutcome::NoCard
}
