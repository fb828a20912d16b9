//! Why the client is where it is in the Bootstrap Sequence (LwM2M Core 1.1 §5.2.4; 1.1.1
//! §6.1.4, §6.2.1.1):
//!
//! 1. Bootstrap from Smartcard ([`super::card_step`]; the client reads the card);
//! 2. Factory Bootstrap (the accounts provisioned through the API or loaded from storage);
//! 3. Register to every configured server (the 1.1 procedure: [`super::retry`]);
//! 4. when registration to all servers failed, or there is none: wait the Bootstrap-Server
//!    account's Client Hold Off Time (/0/x/11) listening for a server-initiated bootstrap,
//!    then run a client-initiated bootstrap, then register to what it provisioned.
//!
//! The client drives these steps (its bootstrap side holds the hold-off, the back-off and
//! the account purge); [`StateReason`] names the step and its cause.

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
