//! What the client hands out: datagrams, events and its state.

use alloc::string::String;
use alloc::vec::Vec;

use crate::bootstrap::BootstrapFailure;
use crate::persist::{Rejection, SessionRecord, StorageWrite};
use crate::registration::RegistrationFailure;
#[cfg(feature = "smartcard")]
use crate::rules::SmartcardRejection;

/// Identifies one connection (one server account's transport association).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u32);

/// A datagram to send on a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The connection.
    pub conn: ConnId,
    /// The datagram.
    pub data: Vec<u8>,
}

/// Something the firmware should know or do. May grow.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// Open a transport association to `uri`; datagrams for `conn` follow.
    Connect {
        /// The connection.
        conn: ConnId,
        /// Server URI (/0/x/0).
        uri: String,
    },
    /// Open a transport association to `uri` that the platform secures itself (its mode is
    /// in `Config::policy.modes.platform`): run the (D)TLS handshake with `security`, then
    /// carry the datagrams for `conn`, which are plain CoAP, inside the session. Copy what you
    /// need: the key material is wiped when the event drops. A handshake that fails or a
    /// session that breaks is reported with [`crate::client::Client::handle_security_failure`];
    /// a mode or material the platform cannot use with
    /// [`crate::client::Client::handle_security_refused`] (never fall back to NoSec).
    ConnectSecure {
        /// The connection.
        conn: ConnId,
        /// Server URI (/0/x/0), `coaps://`.
        uri: String,
        /// The session's mode and credentials.
        security: alloc::boxed::Box<crate::security::PlatformSecurity>,
    },
    /// Close the connection; every datagram for it was already handed out.
    Disconnect {
        /// The connection.
        conn: ConnId,
    },
    /// A bootstrap started: client-initiated (the Bootstrap-Request is about to be sent), or
    /// 1.0 server-initiated (the first pushed operation arrived during the hold-off).
    BootstrapStarted,
    /// Bootstrap-Finish accepted and the new configuration committed.
    BootstrapFinished {
        /// LwM2M Server accounts in the new configuration.
        accounts: usize,
    },
    /// A Bootstrap-Finish was refused with 4.06; the server may correct and finish again.
    BootstrapFinishRefused {
        /// Number of inconsistencies found.
        findings: usize,
    },
    /// The bootstrap failed; the previous configuration is intact.
    BootstrapFailed {
        /// Why.
        reason: BootstrapFailure,
    },
    /// Write `image` into storage slot `slot`, in place (see [`StorageWrite`]), then report
    /// the outcome with [`crate::client::Client::storage_write_done`] or
    /// [`crate::client::Client::storage_write_failed`]. A write of a configuration change
    /// comes right before the [`Event::ConfigurationChanged`] it persists; the write of a
    /// Bootstrap-Finish comes first and the Finish stays unanswered (and the new configuration
    /// uncommitted) until its outcome is reported (see `docs/persistence.md`).
    StorageWrite(StorageWrite),
    /// The committed configuration changed; its [`Event::StorageWrite`] came just before.
    ConfigurationChanged,
    /// Write the session record (saved DTLS sessions of LwM2M Server accounts, see
    /// [`crate::persist::sessions`]) over the previous one; empty: erase it. Only with
    /// [`crate::client::Config::persist_sessions`]. Nothing waits on the outcome: a record
    /// that is lost or torn costs one full handshake. Holds master secrets.
    SessionsWrite(SessionRecord),
    /// A [`Event::StorageWrite`] was reported failed (or, for a Bootstrap-Finish, not reported
    /// within the Finish deadline, or given up by a stop): the firmware abandons a write still
    /// in progress; the slot may be torn, the other slot still holds the
    /// previous image and the next write goes to `slot` again. After a Bootstrap-Finish the
    /// new configuration is discarded (Finish answered 5.00, [`Event::BootstrapFailed`] with
    /// [`BootstrapFailure::Storage`] follows); after any other change the configuration in
    /// memory stays as it is and is saved again with the next write.
    StorageFailed {
        /// The slot of the failed write (0 or 1).
        slot: u8,
        /// The generation of the failed write.
        generation: u32,
    },
    /// [`crate::client::Client::restore`] found something in a storage slot that it ignored.
    StorageIgnored {
        /// 0 or 1.
        slot: u8,
        /// Why.
        reason: Rejection,
    },
    /// Registered with a server.
    Registered {
        /// Short Server ID.
        ssid: u16,
        /// Location path, for example `/rd/5a3f`.
        location: String,
    },
    /// Registration updated.
    Updated {
        /// Short Server ID.
        ssid: u16,
    },
    /// Deregistered from a server.
    Deregistered {
        /// Short Server ID.
        ssid: u16,
    },
    /// Registering with a server failed.
    RegistrationFailed {
        /// Short Server ID.
        ssid: u16,
        /// Why.
        reason: RegistrationFailure,
    },
    /// The client stopped: every registration ended and every connection closed.
    Stopped,
    /// The Bootstrap-Server Account Timeout (/0/x/12) elapsed and the account was purged.
    BootstrapAccountPurged,
    #[cfg(feature = "smartcard")]
    /// The smartcard's Bootstrap Information was applied (step 1 at `start`, or after a
    /// change): its servers are used, the factory servers are inactive until the card goes.
    SmartcardApplied {
        /// LwM2M Server accounts on the card.
        accounts: usize,
        /// Whether the card has its own Bootstrap-Server account.
        bootstrap_account: bool,
        /// Objects of the card the firmware does not take (no bootstrap handler, or it
        /// refused the write): ignored, as refused Bootstrap-Writes are.
        ignored_objects: usize,
    },
    #[cfg(feature = "smartcard")]
    /// A card is present but its content was not applied: nothing of it is used and the
    /// sequence goes on with the factory configuration.
    SmartcardRejected {
        /// Why.
        reason: SmartcardRejection,
    },
    #[cfg(feature = "smartcard")]
    /// The card whose configuration was applied changed: that configuration is disabled
    /// (its sessions closed); a [`Event::SmartcardApplied`] or [`Event::SmartcardRejected`]
    /// for the new content follows.
    SmartcardChanged,
    #[cfg(feature = "smartcard")]
    /// The card whose configuration was applied is gone (removed, or unreadable: `reason`):
    /// that configuration is deleted and the factory configuration is back.
    SmartcardRemoved {
        /// `None`: the card is absent; else why reading it failed.
        reason: Option<crate::smartcard::CardError>,
    },
}

/// The client's overall state. May grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Not started (or stopped).
    Idle,
    /// Waiting the Client Hold Off Time before a client-initiated bootstrap, listening on a
    /// connection to the Bootstrap-Server for a 1.0 server-initiated bootstrap.
    HoldOff,
    /// A bootstrap is in progress.
    Bootstrapping,
    /// Registering with the configured servers; none registered yet.
    Registering,
    /// Registered with at least one server.
    Registered,
    /// Every path failed: no server reachable and no bootstrap possible or it failed. With
    /// reason [`crate::rules::StateReason::BootstrapFailed`] the next bootstrap starts by
    /// itself after the back-off.
    Failed,
    /// Deregistering before stopping.
    Stopping,
}
