//! The registration of the client with one LwM2M Server.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::coap::{Code, Message, RequestId};

/// Why a registration attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationFailure {
    /// The server answered Register with this error code (4.03 and other rejections).
    Rejected(Code),
    /// No response (retransmissions exhausted).
    Timeout,
    /// The server answered RST.
    Reset,
    /// The server URI or security mode is unusable by this build.
    Unusable,
    /// The firmware reported a transport error (ICMP unreachable, connection refused).
    Transport,
    /// The connection could not be opened (the platform's `open` failed: for example the
    /// host name does not resolve).
    OpenFailed,
    /// The secure session could not be set up or broke (DTLS handshake timeout, fatal
    /// alert, certificate refused, credentials unusable); `alert` is kept for /1/x/11.
    Handshake {
        /// TLS alert description, if an alert was involved.
        alert: Option<u8>,
    },
    /// The server answered Register 2.01 without a (well-formed) Location-Path, which it
    /// MUST send (Core 1.1 §6.2.1): no Update or De-register could be addressed.
    NoLocation,
    /// The platform, which secures this account's mode itself, refused the mode or the
    /// material (`Client::handle_security_refused`).
    SecurityRefused,
}

impl fmt::Display for RegistrationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(code) => write!(f, "rejected with {code}"),
            Self::Timeout => f.write_str("timeout"),
            Self::Reset => f.write_str("reset by the server"),
            Self::Unusable => f.write_str("server account unusable"),
            Self::Transport => f.write_str("transport error"),
            Self::OpenFailed => {
                f.write_str("could not open a connection (the platform's open failed)")
            }
            Self::Handshake { alert: None } => f.write_str("DTLS handshake failed"),
            Self::Handshake { alert: Some(a) } => write!(f, "DTLS handshake failed (alert {a})"),
            Self::NoLocation => f.write_str("registered without a Location-Path"),
            Self::SecurityRefused => {
                f.write_str("the platform refused the account's security mode or credentials")
            }
        }
    }
}

/// Where a registration stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistrationState {
    /// Register sent, waiting for 2.01.
    Registering(RequestId),
    /// Registered; the next Update is due at the given time.
    Registered,
    /// Update sent.
    Updating(RequestId),
    /// De-register sent.
    Deregistering(RequestId),
    /// Not registered (failed, deregistered, or not started).
    Idle,
}

/// What a response meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseOutcome {
    /// 2.01 to Register: registered at this location.
    Registered,
    /// 2.04 to Update.
    Updated,
    /// Update refused (4.04 and the like): register again.
    NeedsRegister,
    /// Registration failed.
    Failed(RegistrationFailure),
    /// De-register answered (any code).
    Deregistered,
    /// Not a response to anything outstanding.
    Ignored,
}

/// The client's registration with one server (by Short Server ID).
#[derive(Clone, Debug)]
pub struct Registration {
    /// Short Server ID.
    pub ssid: u16,
    /// State.
    pub state: RegistrationState,
    /// Location-Path segments from the 2.01 (an empty last segment kept: aiocoap-rd).
    pub location: Vec<String>,
    /// Lifetime registered with, seconds.
    pub lifetime_s: u64,
    /// Binding registered with.
    pub binding: String,
    /// When the next Update is due.
    pub next_update: Option<u64>,
    /// An Update was asked for while another request was in flight: it goes out as soon as
    /// that request ends (it may carry a new lifetime or binding).
    pub update_deferred: bool,
}

impl Registration {
    /// A registration that is about to send Register as `request`.
    pub fn registering(ssid: u16, request: RequestId, lifetime_s: u64) -> Registration {
        Registration {
            ssid,
            state: RegistrationState::Registering(request),
            location: Vec::new(),
            lifetime_s,
            binding: String::from("U"),
            next_update: None,
            update_deferred: false,
        }
    }

    /// True once registered (also while an Update is in flight).
    pub fn is_registered(&self) -> bool {
        matches!(self.state, RegistrationState::Registered | RegistrationState::Updating(_))
    }

    /// The location as a path string, `/rd/5a3f`.
    pub fn location_path(&self) -> String {
        let mut s = String::new();
        for seg in &self.location {
            s.push('/');
            s.push_str(seg);
        }
        s
    }

    /// Applies the response to one of this registration's requests.
    pub fn on_response(
        &mut self,
        id: RequestId,
        response: &Message,
        now: u64,
        update_delay_ms: u64,
    ) -> ResponseOutcome {
        let code = response.code;
        match self.state {
            RegistrationState::Registering(r) if r == id => {
                if code == Code::CREATED {
                    let location = match response.location_path() {
                        Ok(segments) if !segments.is_empty() => segments,
                        _ => {
                            self.state = RegistrationState::Idle;
                            return ResponseOutcome::Failed(RegistrationFailure::NoLocation);
                        }
                    };
                    self.location = location.iter().map(|s| s.to_string()).collect();
                    self.registered(now, update_delay_ms);
                    ResponseOutcome::Registered
                } else {
                    self.state = RegistrationState::Idle;
                    ResponseOutcome::Failed(RegistrationFailure::Rejected(code))
                }
            }
            RegistrationState::Updating(r) if r == id => {
                if code.is_success() {
                    self.registered(now, update_delay_ms);
                    ResponseOutcome::Updated
                } else {
                    self.state = RegistrationState::Idle;
                    ResponseOutcome::NeedsRegister
                }
            }
            RegistrationState::Deregistering(r) if r == id => {
                self.state = RegistrationState::Idle;
                ResponseOutcome::Deregistered
            }
            _ => ResponseOutcome::Ignored,
        }
    }

    /// A request of this registration failed without a response.
    pub fn on_failure(&mut self, id: RequestId, failure: RegistrationFailure) -> ResponseOutcome {
        match self.state {
            RegistrationState::Registering(r) if r == id => {
                self.state = RegistrationState::Idle;
                ResponseOutcome::Failed(failure)
            }
            RegistrationState::Updating(r) if r == id => {
                self.state = RegistrationState::Idle;
                ResponseOutcome::NeedsRegister
            }
            RegistrationState::Deregistering(r) if r == id => {
                self.state = RegistrationState::Idle;
                ResponseOutcome::Deregistered
            }
            _ => ResponseOutcome::Ignored,
        }
    }

    fn registered(&mut self, now: u64, update_delay_ms: u64) {
        self.state = RegistrationState::Registered;
        self.next_update = Some(now.saturating_add(update_delay_ms));
    }

    /// The request currently outstanding, if any.
    pub fn pending(&self) -> Option<RequestId> {
        match self.state {
            RegistrationState::Registering(r)
            | RegistrationState::Updating(r)
            | RegistrationState::Deregistering(r) => Some(r),
            _ => None,
        }
    }
}
