//! The secure-channel contract: a sans-IO record layer between one connection's CoAP
//! endpoint and the transport. NoSec needs none; DTLS ([`super::DtlsChannel`]) is one
//! implementation, and another (a different TLS stack, a modem's DTLS offload) can be added
//! without touching the engine.

use alloc::vec::Vec;
use core::fmt;

/// Why a channel failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The handshake did not complete within the handshake timeout (a wrong PSK with many
    /// servers: they drop the Finished silently).
    Timeout,
    /// The peer sent a fatal alert (the code is in [`ChannelFailure::alert`]).
    PeerAlert,
    /// The server's certificate failed verification (we sent `bad_certificate`).
    Verification,
    /// Our credentials are unusable (malformed key or certificate, identity too long).
    Credentials,
    /// Any other local error of the TLS stack (its error code).
    Local(i32),
    /// The platform, which secures this connection itself, cannot use the account's mode
    /// or material (`Event::ConnectSecure` refused): the account fails, never falls back
    /// to NoSec.
    Refused,
}

/// A failed handshake or a broken session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelFailure {
    /// What went wrong.
    pub kind: FailureKind,
    /// The TLS alert description received (or sent, for verification failures), if any.
    pub alert: Option<u8>,
}

impl fmt::Display for ChannelFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FailureKind::Timeout => f.write_str("handshake timeout")?,
            FailureKind::PeerAlert => f.write_str("fatal alert from the peer")?,
            FailureKind::Verification => f.write_str("server certificate not accepted")?,
            FailureKind::Credentials => f.write_str("credentials unusable")?,
            FailureKind::Local(code) => write!(f, "TLS error -0x{:04x}", code.unsigned_abs())?,
            FailureKind::Refused => f.write_str("security mode refused by the platform")?,
        }
        match self.alert {
            Some(alert) => write!(f, " (alert {alert})"),
            None => Ok(()),
        }
    }
}

/// Where a channel stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelState {
    /// The handshake is running; plaintext handed to `send` waits (bounded).
    Handshaking,
    /// Application data flows.
    Established,
    /// Closed by us (close_notify sent) or by the peer.
    Closed,
    /// The handshake failed or the session broke.
    Failed(ChannelFailure),
}

/// A session saved from an established channel for resuming it later (RFC 5246 §7.3
/// abbreviated handshake): the TLS stack's serialised session, secret material (it holds the
/// master secret). Opaque; wiped on drop; never shown; persisted only through the session
/// record ([`crate::persist::sessions`]).
#[derive(Clone, PartialEq, Eq)]
pub struct SavedSession(pub(crate) zeroize::Zeroizing<Vec<u8>>);

impl fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SavedSession(..)")
    }
}

/// A sans-IO secure channel. Time is the engine's `now_ms`; nothing here reads a clock.
///
/// After every input (`handle_datagram`, `send`, `handle_timeout`, `close`), drain
/// `poll_transmit` and ask `poll_timeout` again.
pub trait SecureChannel {
    /// A datagram (ciphertext) arrived; returns the application datagrams it carried.
    fn handle_datagram(&mut self, now: u64, ciphertext: &[u8]) -> Vec<Vec<u8>>;
    /// Protects and queues one application datagram (queued until the handshake completes).
    fn send(&mut self, now: u64, plaintext: &[u8]);
    /// The next datagram (ciphertext) to put on the wire.
    fn poll_transmit(&mut self) -> Option<Vec<u8>>;
    /// When `handle_timeout` is due (handshake retransmission).
    fn poll_timeout(&self) -> Option<u64>;
    /// Time passed: retransmits a handshake flight or gives up.
    fn handle_timeout(&mut self, now: u64);
    /// The current state.
    fn state(&self) -> ChannelState;
    /// Closes the session (close_notify, queued for `poll_transmit`).
    fn close(&mut self, now: u64);
    /// The session to resume later, when this channel completed a handshake and neither
    /// failed nor was closed by the peer. None by default (no resumption).
    fn saved_session(&self) -> Option<SavedSession> {
        None
    }
    /// True when the handshake was an abbreviated one (a saved session was resumed).
    fn resumed(&self) -> bool {
        false
    }
}
