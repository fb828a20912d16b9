//! The Bootstrap Sequence state machine (Core 1.1 §5.2.4, 1.1.1 §6.1.4, REFERENCE §1.1):
//!
//! 1. Bootstrap from Smartcard ([`super::smartcard`]; the client reads the card);
//! 2. Factory Bootstrap (the accounts provisioned through the API or loaded from storage);
//! 3. Register to every configured server (the 1.1 procedure: [`super::retry`]);
//! 4. when registration to all servers failed, or there is none: wait the Bootstrap-Server
//!    account's Client Hold Off Time (/0/x/11) listening for a server-initiated bootstrap,
//!    then run a client-initiated bootstrap, then register to what it provisioned.
//!
//! Server-initiated bootstraps (the 1.0 push and the 1.1 /1/x/9 trigger) are ignored until
//! steps 1 and 2 were tried. Failed bootstraps back off ([`super::backoff`]). The
//! Bootstrap-Server Account Timeout (/0/x/12) purges the account that long after a
//! successful bootstrap.
//!
//! [`Sequence`] holds the sequence's own state (why the client is where it is, the pending
//! deadlines); the client drives the connections and asks it what to do.

use super::backoff::BootstrapBackoff;

/// Why the client is in its current [`crate::client::State`]. May grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateReason {
    /// Idle (never started, or stopped), or stopping.
    None,
    /// Registering / registered with the factory (or restored) configuration: step 3.
    FactoryConfiguration,
    /// Registering / registered with the servers a bootstrap provisioned.
    Bootstrapped,
    /// Registering / registered (or bootstrapping from its Bootstrap-Server) with the
    /// configuration a smartcard provisioned: step 1.
    Smartcard,
    /// Hold-off / bootstrapping because there is no LwM2M Server account (step 4).
    NoServerAccount,
    /// Hold-off / bootstrapping because registration to every server failed (step 4);
    /// failed: every server failed and none asks for a bootstrap (/1/x/16 false).
    RegistrationFailed,
    /// Bootstrapping because a DM server executed Bootstrap-Request Trigger (/1/x/9).
    ServerTrigger,
    /// Bootstrapping because the Bootstrap-Server pushed operations (1.0 server-initiated).
    ServerPush,
    /// Bootstrapping because the firmware asked for it (`trigger_bootstrap`).
    Application,
    /// Bootstrapping again after the back-off that followed a failed bootstrap.
    BootstrapRetry,
    /// Failed: the last bootstrap failed; the next one starts after the back-off.
    BootstrapFailed,
    /// Failed: there is neither a usable server nor a Bootstrap-Server account.
    NoBootstrapAccount,
}

/// The sequence's own state.
#[derive(Clone, Debug)]
pub struct Sequence {
    reason: StateReason,
    steps_tried: bool,
    /// End of the Client Hold Off Time, while waiting it out.
    pub hold_off_until: Option<u64>,
    /// Why the bootstrap after the hold-off will run.
    pub hold_off_reason: StateReason,
    /// When the next bootstrap starts after a failed one.
    pub retry_bootstrap_at: Option<u64>,
    /// The back-off between failed bootstraps.
    pub backoff: BootstrapBackoff,
    /// When the Bootstrap-Server account is purged (/0/x/12 after a successful bootstrap).
    pub purge_at: Option<u64>,
    /// Why the client registers: factory configuration or a bootstrap.
    pub registration_reason: StateReason,
}

impl Sequence {
    /// A sequence that has not run.
    pub fn new(backoff: BootstrapBackoff) -> Sequence {
        Sequence {
            reason: StateReason::None,
            steps_tried: false,
            hold_off_until: None,
            hold_off_reason: StateReason::None,
            retry_bootstrap_at: None,
            backoff,
            purge_at: None,
            registration_reason: StateReason::FactoryConfiguration,
        }
    }

    /// Why the client is in its state.
    pub fn reason(&self) -> StateReason {
        self.reason
    }

    /// Records why the client is in its state.
    pub fn set_reason(&mut self, reason: StateReason) {
        self.reason = reason;
    }

    /// Steps 1 and 2 at `start` were tried (the client read the smartcard, if any, and
    /// holds the factory configuration): from now on server-initiated bootstraps are accepted.
    pub fn provisioning_steps_tried(&mut self, smartcard: bool) {
        self.steps_tried = true;
        self.registration_reason =
            if smartcard { StateReason::Smartcard } else { StateReason::FactoryConfiguration };
    }

    /// Whether server-initiated bootstraps are accepted (steps 1 and 2 were tried).
    pub fn accepts_server_initiated(&self) -> bool {
        self.steps_tried
    }

    /// Forgets every pending deadline (stop).
    pub fn reset_timers(&mut self) {
        self.hold_off_until = None;
        self.retry_bootstrap_at = None;
        self.purge_at = None;
    }

    /// The earliest deadline of the sequence.
    pub fn next_deadline(&self) -> Option<u64> {
        [self.hold_off_until, self.retry_bootstrap_at, self.purge_at].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_initiated_needs_steps_1_and_2() {
        let mut s = Sequence::new(BootstrapBackoff::default());
        assert!(!s.accepts_server_initiated());
        s.provisioning_steps_tried(true);
        assert!(s.accepts_server_initiated());
        assert_eq!(s.registration_reason, StateReason::Smartcard);
    }

    #[test]
    fn deadlines() {
        let mut s = Sequence::new(BootstrapBackoff::default());
        assert_eq!(s.next_deadline(), None);
        s.hold_off_until = Some(9);
        s.purge_at = Some(4);
        assert_eq!(s.next_deadline(), Some(4));
        s.reset_timers();
        assert_eq!(s.next_deadline(), None);
    }
}
