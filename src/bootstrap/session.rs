//! One bootstrap attempt: Bootstrap-Request sent, operations flowing, Finish awaited.
//! The Finish deadline is EXCHANGE_LIFETIME after the *last* Bootstrap-Server operation
//! (Core 1.1 §5.2.3.3), restarted by every operation.

use core::fmt;

use crate::coap::{Code, RequestId};

/// Why a bootstrap attempt failed. Nothing of a failed attempt is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootstrapFailure {
    /// There is no Bootstrap-Server account to bootstrap from.
    NoBootstrapAccount,
    /// The Bootstrap-Server URI is unusable (scheme, host, port).
    BadUri,
    /// The Security Mode of the Bootstrap-Server account is not supported by this build.
    UnsupportedSecurity,
    /// The Bootstrap-Server answered the Bootstrap-Request with this error code.
    Rejected(Code),
    /// The Bootstrap-Request got no response (retransmissions exhausted).
    RequestTimeout,
    /// The Bootstrap-Server answered the Bootstrap-Request with RST.
    Reset,
    /// No Bootstrap-Finish within EXCHANGE_LIFETIME after the last operation.
    FinishTimeout,
    /// The client was stopped during the bootstrap.
    Cancelled,
    /// The firmware reported a transport error (ICMP unreachable, connection refused) while
    /// the Bootstrap-Request was outstanding.
    Transport,
    /// The connection to the Bootstrap-Server could not be opened (the platform's `open`
    /// failed: for example the host name does not resolve).
    OpenFailed,
    /// Every LwM2M Server failed and there is no Bootstrap-Server account to fall back to:
    /// the last failure was registering with `ssid`, because of `cause`.
    NoFallback {
        /// Short Server ID of the last server that failed.
        ssid: u16,
        /// Why its registration failed.
        cause: crate::registration::RegistrationFailure,
    },
    /// The secure session with the Bootstrap-Server could not be set up (DTLS handshake
    /// timeout, fatal alert, certificate refused, credentials unusable). `alert` is the TLS
    /// alert description received (or sent, for a refused certificate).
    Handshake {
        /// TLS alert description, if an alert was involved.
        alert: Option<u8>,
    },
    /// The Bootstrap-Pack could not be applied: not decodable in its format, records of an
    /// object other than /0, /1, /2, a write the Bootstrap-Write rules refuse, or a
    /// configuration the Finish checks refuse. Nothing of it is kept.
    BadPack,
    /// The platform, which secures the Bootstrap-Server account's mode itself, refused the
    /// mode or the material (`Client::handle_security_refused`).
    SecurityRefused,
    /// Bootstrap-Finish was accepted but the new configuration could not be saved (the
    /// firmware reported the storage write failed, or did not report it within the Finish
    /// deadline): the Finish was answered 5.00 and the previous configuration kept.
    Storage,
}

impl fmt::Display for BootstrapFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoBootstrapAccount => f.write_str("no Bootstrap-Server account"),
            Self::BadUri => f.write_str("unusable Bootstrap-Server URI"),
            Self::UnsupportedSecurity => {
                f.write_str("Bootstrap-Server security mode not supported")
            }
            Self::Rejected(code) => write!(f, "Bootstrap-Request rejected with {code}"),
            Self::RequestTimeout => f.write_str("Bootstrap-Request timed out"),
            Self::Reset => f.write_str("Bootstrap-Request reset by the server"),
            Self::FinishTimeout => f.write_str("no Bootstrap-Finish within EXCHANGE_LIFETIME"),
            Self::Cancelled => f.write_str("bootstrap cancelled"),
            Self::Transport => f.write_str("transport error reaching the Bootstrap-Server"),
            Self::OpenFailed => f.write_str(
                "could not open a connection to the Bootstrap-Server (the platform's open failed)",
            ),
            Self::NoFallback { ssid, cause } => write!(
                f,
                "registration with ssid {ssid} failed: {cause}; no Bootstrap-Server to fall back to"
            ),
            Self::Handshake { alert: None } => f.write_str("DTLS handshake failed"),
            Self::Handshake { alert: Some(a) } => write!(f, "DTLS handshake failed (alert {a})"),
            Self::Storage => f.write_str("the new configuration could not be saved"),
            Self::BadPack => f.write_str("the Bootstrap-Pack could not be applied"),
            Self::SecurityRefused => f.write_str(
                "the platform refused the Bootstrap-Server account's security mode or credentials",
            ),
        }
    }
}

/// Where a bootstrap attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Bootstrap-Request sent, no response and no operation yet.
    Requesting(RequestId),
    /// The server accepted the request (or already sent operations): waiting for Finish.
    Open,
}

/// State of one bootstrap attempt.
#[derive(Clone, Debug)]
pub struct BootstrapSession {
    phase: Phase,
    exchange_lifetime_ms: u64,
    finish_deadline: Option<u64>,
    operations: u32,
    pct: Option<u16>,
    retried_without_pct: bool,
    server_initiated: bool,
    pack: Option<u16>,
}

impl BootstrapSession {
    /// A client-initiated bootstrap whose Bootstrap-Request is `request`.
    pub fn client_initiated(request: RequestId, exchange_lifetime_ms: u64) -> BootstrapSession {
        BootstrapSession {
            phase: Phase::Requesting(request),
            exchange_lifetime_ms,
            finish_deadline: None,
            operations: 0,
            pct: None,
            retried_without_pct: false,
            server_initiated: false,
            pack: None,
        }
    }

    /// A client-initiated bootstrap whose request is a Bootstrap-Pack-Request asking for
    /// `format`.
    pub fn with_pack(mut self, format: u16) -> BootstrapSession {
        self.pack = Some(format);
        self
    }

    /// The format asked for while the Bootstrap-Pack-Request is outstanding.
    pub fn pack_request(&self) -> Option<u16> {
        self.pack.filter(|_| matches!(self.phase, Phase::Requesting(_)))
    }

    /// Whether `code` to the Bootstrap-Pack-Request means the server has no packs (4.04,
    /// 4.05; 4.06 for none in the format asked; 5.01): the classic Bootstrap-Request follows.
    pub fn wants_fallback_from_pack(&self, code: Code) -> bool {
        self.pack_request().is_some()
            && [Code::NOT_FOUND, Code::METHOD_NOT_ALLOWED, Code::NOT_ACCEPTABLE, Code::new(5, 1)]
                .contains(&code)
    }

    /// The classic Bootstrap-Request (`pct`) was sent as `request` after the pack's refusal.
    pub fn fell_back_from_pack(&mut self, request: RequestId, pct: Option<u16>) {
        self.pack = None;
        self.pct = pct;
        self.phase = Phase::Requesting(request);
    }

    /// A client-initiated bootstrap whose Bootstrap-Request `request` carried `pct`.
    pub fn with_pct(mut self, pct: Option<u16>) -> BootstrapSession {
        self.pct = pct;
        self
    }

    /// A 1.0 server-initiated bootstrap: the Bootstrap-Server sent an operation without a
    /// Bootstrap-Request; the session is open from `now`.
    pub fn server_initiated(now: u64, exchange_lifetime_ms: u64) -> BootstrapSession {
        let mut session = BootstrapSession::client_initiated(RequestId(0), exchange_lifetime_ms);
        session.server_initiated = true;
        session.open(now);
        session
    }

    /// True for a 1.0 server-initiated (pushed) bootstrap.
    pub fn is_server_initiated(&self) -> bool {
        self.server_initiated
    }

    /// Whether the answer `code` to the Bootstrap-Request asks for the one retry as a 1.0
    /// request without `pct` (some 1.0 servers answer 4.00 to `pct`, a 1.1 parameter).
    pub fn wants_retry_without_pct(&self, code: Code) -> bool {
        code == Code::BAD_REQUEST
            && self.pct.is_some()
            && !self.retried_without_pct
            && matches!(self.phase, Phase::Requesting(_))
    }

    /// The Bootstrap-Request was sent again without `pct` as `request`.
    pub fn retried_without_pct(&mut self, request: RequestId) {
        self.retried_without_pct = true;
        self.pct = None;
        self.phase = Phase::Requesting(request);
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Number of Bootstrap-Server operations handled so far.
    pub fn operations(&self) -> u32 {
        self.operations
    }

    /// The Bootstrap-Request id, while it is outstanding.
    pub fn pending_request(&self) -> Option<RequestId> {
        match self.phase {
            Phase::Requesting(id) => Some(id),
            Phase::Open => None,
        }
    }

    /// The response to the Bootstrap-Request arrived: 2.04 opens the session.
    pub fn on_request_response(&mut self, now: u64, code: Code) -> Result<(), BootstrapFailure> {
        if !code.is_success() {
            return Err(BootstrapFailure::Rejected(code));
        }
        if self.phase != Phase::Open {
            self.open(now);
        }
        Ok(())
    }

    /// A Bootstrap-Server operation arrived (possibly before the request's response, whose
    /// ACK may have been lost): restart the Finish deadline.
    pub fn on_operation(&mut self, now: u64) {
        self.operations = self.operations.saturating_add(1);
        self.open(now);
    }

    fn open(&mut self, now: u64) {
        self.phase = Phase::Open;
        self.finish_deadline = Some(now.saturating_add(self.exchange_lifetime_ms));
    }

    /// When the attempt fails for lack of a Finish.
    pub fn deadline(&self) -> Option<u64> {
        self.finish_deadline
    }

    /// Checks the Finish deadline.
    pub fn check_timeout(&self, now: u64) -> Result<(), BootstrapFailure> {
        match self.finish_deadline {
            Some(deadline) if now >= deadline => Err(BootstrapFailure::FinishTimeout),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_restarts_on_every_operation() {
        let mut s = BootstrapSession::client_initiated(RequestId(1), 247_000);
        assert_eq!(s.deadline(), None);
        s.on_request_response(1_000, Code::CHANGED).unwrap();
        assert_eq!(s.deadline(), Some(248_000));
        s.on_operation(200_000);
        assert_eq!(s.deadline(), Some(447_000));
        assert!(s.check_timeout(446_999).is_ok());
        assert_eq!(s.check_timeout(447_000), Err(BootstrapFailure::FinishTimeout));
    }

    #[test]
    fn pct_retry_happens_once_and_only_for_4_00() {
        let mut s = BootstrapSession::client_initiated(RequestId(1), 10).with_pct(Some(11542));
        assert!(!s.wants_retry_without_pct(Code::FORBIDDEN));
        assert!(s.wants_retry_without_pct(Code::BAD_REQUEST));
        s.retried_without_pct(RequestId(2));
        assert_eq!(s.pending_request(), Some(RequestId(2)));
        assert!(!s.wants_retry_without_pct(Code::BAD_REQUEST));
        let plain = BootstrapSession::client_initiated(RequestId(1), 10);
        assert!(!plain.wants_retry_without_pct(Code::BAD_REQUEST), "a 1.0 request has no pct");
        let pushed = BootstrapSession::server_initiated(5, 10);
        assert_eq!((pushed.phase(), pushed.deadline()), (Phase::Open, Some(15)));
        assert!(pushed.is_server_initiated());
    }

    #[test]
    fn operation_before_response_opens_the_session() {
        let mut s = BootstrapSession::client_initiated(RequestId(1), 10);
        s.on_operation(5);
        assert_eq!(s.phase(), Phase::Open);
        assert_eq!(s.on_request_response(6, Code::CHANGED), Ok(()));
        assert_eq!(s.deadline(), Some(15), "a late 2.04 must not move the deadline back");
        let mut r = BootstrapSession::client_initiated(RequestId(2), 10);
        assert_eq!(
            r.on_request_response(0, Code::BAD_REQUEST),
            Err(BootstrapFailure::Rejected(Code::BAD_REQUEST))
        );
    }
}
