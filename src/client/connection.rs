//! One connection: a transport association with one server account, with its CoAP endpoint
//! and, for a secure account, its secure channel (DTLS) between the endpoint and the wire.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::Config;
use crate::coap::{Endpoint, Rng};
use crate::security::{ChannelFailure, ChannelState, SavedSession, SecureChannel, Target};

/// Whose connection it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The Bootstrap-Server account's session (never shared with a DM server).
    Bootstrap,
    /// The LwM2M Server with this Short Server ID.
    Server(u16),
}

pub(crate) struct Connection {
    pub uri: String,
    pub role: Role,
    pub endpoint: Endpoint,
    /// Released once its queued datagrams were handed out.
    pub closing: bool,
    /// Its `Connect` / `ConnectSecure` event went out: until then (while the same account's
    /// previous connection is still being closed) nothing of it is sent.
    pub announced: bool,
    /// Its established session was offered to the session cache (once per handshake).
    pub session_noted: bool,
    /// Fingerprint of the session material of the account this connection was opened for
    /// ([`Target::material`]): a committed bootstrap that changes it replaces the session.
    pub material: u64,
    /// The secure channel; `None` for NoSec.
    channel: Option<Box<dyn SecureChannel>>,
    /// A channel that could not even be set up (credentials unusable), or the failure the
    /// platform reported for a connection it secures.
    setup_failure: Option<ChannelFailure>,
    /// The platform secures this connection itself (no channel here; plain CoAP to it).
    by_platform: bool,
    /// The engine time of the last input, for the channel calls made from `poll_transmit`.
    now: u64,
}

impl Connection {
    /// Opens a connection to `target` (its mode decides NoSec or DTLS); a secure channel
    /// starts its handshake at once, offering `resume` (a session saved from this account's
    /// previous connection, same material) for an abbreviated handshake. `rng` gives the
    /// endpoint's seed and the session nonce. The target's credentials are wiped when it
    /// drops, here: the channel holds its own copy. `by_platform`: the platform secures the
    /// connection itself, so there is no channel here.
    pub fn open(
        now: u64,
        target: Target,
        role: Role,
        config: &Config,
        rng: &mut Rng,
        resume: Option<SavedSession>,
        by_platform: bool,
    ) -> Connection {
        let seed = rng.next_u64();
        let mut connection = Connection {
            uri: target.uri_text.clone(),
            role,
            endpoint: Endpoint::new(config.transmission.clone(), seed),
            closing: false,
            announced: true,
            session_noted: false,
            material: target.material,
            channel: None,
            setup_failure: None,
            by_platform,
            now,
        };
        if by_platform {
            return connection;
        }
        match secure_channel(now, &target, config, rng, resume.as_ref()) {
            Ok(channel) => connection.channel = channel,
            Err(failure) => connection.setup_failure = Some(failure),
        }
        connection
    }

    /// A datagram from the wire: through the channel, then into the endpoint.
    pub fn handle_datagram(&mut self, now: u64, data: &[u8]) {
        self.now = now;
        match self.channel.as_mut() {
            None if self.setup_failure.is_none() => self.endpoint.handle_datagram(now, data),
            None => {}
            Some(channel) => {
                for plaintext in channel.handle_datagram(now, data) {
                    self.endpoint.handle_datagram(now, &plaintext);
                }
            }
        }
    }

    pub fn handle_timeout(&mut self, now: u64) {
        self.now = now;
        self.endpoint.handle_timeout(now);
        if let Some(channel) = self.channel.as_mut() {
            channel.handle_timeout(now);
        }
    }

    /// The next datagram for the wire. A closing secure connection ends with close_notify.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let Some(channel) = self.channel.as_mut() else {
            return self.endpoint.poll_transmit().filter(|_| self.setup_failure.is_none());
        };
        while let Some(plaintext) = self.endpoint.poll_transmit() {
            channel.send(self.now, &plaintext);
        }
        if self.closing {
            channel.close(self.now);
        }
        channel.poll_transmit()
    }

    /// The earliest deadline of the endpoint and the channel; "now" (0) while a failure waits
    /// to be reported by the next `handle_timeout`.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.failure().is_some() && !self.closing {
            return Some(0);
        }
        let channel = self.channel.as_ref().and_then(|c| c.poll_timeout());
        self.endpoint.poll_timeout().into_iter().chain(channel).min()
    }

    /// Why the secure channel failed (handshake failure, alert, unusable credentials).
    pub fn failure(&self) -> Option<ChannelFailure> {
        self.setup_failure.or_else(|| match self.channel.as_ref()?.state() {
            ChannelState::Failed(failure) => Some(failure),
            _ => None,
        })
    }

    /// The platform reported that the session it runs for this connection failed (handshake
    /// timeout, alert, refused credentials): reported like a failure of our own channel.
    /// False (nothing changes) when the platform does not secure this connection.
    pub fn platform_failed(&mut self, failure: ChannelFailure) -> bool {
        if !self.by_platform {
            return false;
        }
        self.setup_failure.get_or_insert(failure);
        true
    }

    /// The session to resume in this account's next connection (see
    /// [`SecureChannel::saved_session`]).
    pub fn saved_session(&self) -> Option<SavedSession> {
        self.channel.as_ref()?.saved_session()
    }

    /// True when our own secure channel completed its handshake and carries data.
    pub fn established(&self) -> bool {
        self.channel.as_ref().is_some_and(|c| c.state() == ChannelState::Established)
    }

    /// True when our own secure channel runs this connection (not NoSec, not the platform's).
    pub fn has_channel(&self) -> bool {
        self.channel.is_some()
    }

    /// True for a DTLS connection (ours or the platform's).
    pub fn is_secure(&self) -> bool {
        self.channel.is_some() || self.by_platform
    }

    /// False when requests cannot go through any more (channel closed or failed).
    pub fn usable(&self) -> bool {
        !self.closing
            && self.failure().is_none()
            && self.channel.as_ref().is_none_or(|c| c.state() != ChannelState::Closed)
    }
}

#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
fn secure_channel(
    now: u64,
    target: &Target,
    config: &Config,
    rng: &mut Rng,
    resume: Option<&SavedSession>,
) -> Result<Option<Box<dyn SecureChannel>>, ChannelFailure> {
    use crate::security::{session_seed, DtlsChannel};
    use zeroize::Zeroize;

    let Some(credentials) = target.credentials.as_ref() else { return Ok(None) };
    let mut seed = session_seed(&config.entropy, config.seed, rng.next_u64());
    let channel = DtlsChannel::resuming(now, credentials, &config.dtls, &seed, resume);
    seed.zeroize();
    Ok(Some(Box::new(channel?)))
}

#[cfg(not(any(feature = "dtls", feature = "dtls-nostd")))]
fn secure_channel(
    _now: u64,
    _target: &Target,
    _config: &Config,
    _rng: &mut Rng,
    _resume: Option<&SavedSession>,
) -> Result<Option<Box<dyn SecureChannel>>, ChannelFailure> {
    // Without DTLS only NoSec accounts have a target, so no channel is ever needed.
    Ok(None)
}
