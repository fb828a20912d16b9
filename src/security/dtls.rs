//! DTLS 1.2 client over Mbed TLS 2.28 (the `mbedtls` crate), sans-IO: datagrams go through
//! in-memory queues (`WantRead` when empty), the retransmission timer reads the engine's
//! `now_ms`, randomness comes from a per-session HMAC-DRBG seeded by the engine.
//!
//! Modes: PSK (`TLS_PSK_WITH_AES_128_CCM_8`) and X.509 certificates
//! (`TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8`, secp256r1). Raw public keys (RFC 7250) are not
//! implemented by Mbed TLS 2.28, so RPK mode is not offered. Only the mode's suite is offered
//! (some servers refuse Mbed TLS's long default list); the ClientHello carries the extended
//! master secret extension and the renegotiation-info SCSV (tinydtls servers require both).

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use mbedtls::error::codes;
use mbedtls::hash::{MdInfo, Type as MdType};
use mbedtls::pk::Pk;
use mbedtls::rng::HmacDrbg;
use mbedtls::ssl::config::{AuthMode, Endpoint, Preset, Transport};
use mbedtls::ssl::{Config, Context, Io, Version};
use mbedtls::x509::{Certificate, VerifyError};
use zeroize::Zeroizing;

use super::channel::{ChannelFailure, ChannelState, FailureKind, SavedSession, SecureChannel};
use super::credentials::Credentials;
use super::params::DtlsParams;
use super::sys::{self, EngineTimer, TimerShared};

/// `TLS_PSK_WITH_AES_128_CCM_8` (RFC 6655), mandatory for LwM2M PSK.
pub const TLS_PSK_WITH_AES_128_CCM_8: u16 = 0xC0A8;
/// `TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8` (RFC 7251), mandatory for LwM2M RPK/X.509.
pub const TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8: u16 = 0xC0AE;

/// Plaintext datagrams kept while the handshake runs (CoAP retransmissions of a queued
/// request are recognised and not queued twice).
const MAX_PENDING: usize = 8;

/// The in-memory datagram queues Mbed TLS reads from and writes to.
#[derive(Default)]
struct MemIo {
    inbound: VecDeque<Vec<u8>>,
    outbound: VecDeque<Vec<u8>>,
}

impl Io for MemIo {
    fn recv(&mut self, buf: &mut [u8]) -> mbedtls::Result<usize> {
        let Some(datagram) = self.inbound.pop_front() else {
            return Err(codes::SslWantRead.into());
        };
        if datagram.len() > buf.len() {
            return Err(codes::NetRecvFailed.into());
        }
        buf[..datagram.len()].copy_from_slice(&datagram);
        Ok(datagram.len())
    }

    fn send(&mut self, buf: &[u8]) -> mbedtls::Result<usize> {
        self.outbound.push_back(buf.to_vec());
        Ok(buf.len())
    }
}

/// One DTLS client session.
pub struct DtlsChannel {
    context: Context<MemIo>,
    timer: Arc<TimerShared>,
    state: ChannelState,
    pending: Vec<Zeroizing<Vec<u8>>>,
    handshake_datagrams: (u32, u32),
    /// A handshake completed (the session can be saved unless it broke since).
    was_established: bool,
    /// The peer closed the session (close_notify): not worth resuming.
    peer_closed: bool,
    /// The handshake was abbreviated (our Finished was the last flight).
    resumed: bool,
}

impl core::fmt::Debug for DtlsChannel {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DtlsChannel").field("state", &self.state).finish_non_exhaustive()
    }
}

fn failure(kind: FailureKind) -> ChannelFailure {
    ChannelFailure { kind, alert: None }
}

fn local(e: mbedtls::Error) -> ChannelFailure {
    failure(FailureKind::Local(e.to_int()))
}

impl DtlsChannel {
    /// Builds the session for `credentials` and starts the handshake (the ClientHello is
    /// queued for `poll_transmit`). `seed` instantiates the session's DRBG.
    pub fn new(
        now: u64,
        credentials: &Credentials,
        params: &DtlsParams,
        seed: &[u8],
    ) -> Result<DtlsChannel, ChannelFailure> {
        DtlsChannel::resuming(now, credentials, params, seed, None)
    }

    /// Like [`DtlsChannel::new`], offering `saved` (a session of the same account saved by
    /// [`SecureChannel::saved_session`]) for an abbreviated handshake. A server that no longer
    /// holds it answers with a full handshake, which then runs transparently.
    pub fn resuming(
        now: u64,
        credentials: &Credentials,
        params: &DtlsParams,
        seed: &[u8],
        saved: Option<&SavedSession>,
    ) -> Result<DtlsChannel, ChannelFailure> {
        let mut config = Config::new(Endpoint::Client, Transport::Datagram, Preset::Default);
        config.set_min_version(Version::Tls1_2).map_err(local)?;
        let md: Option<MdInfo> = MdType::Sha256.into();
        let md = md.ok_or(failure(FailureKind::Local(0)))?;
        let rng = HmacDrbg::from_buf(md, seed).map_err(local)?;
        config.set_rng(Arc::new(rng));
        sys::set_handshake_timeout(&mut config, params.handshake_min_ms, params.handshake_max_ms);
        sys::enable_extended_master_secret(&mut config);
        let bad_credentials = |_| failure(FailureKind::Credentials);
        match credentials {
            Credentials::Psk { identity, key } => {
                config.set_ciphersuites(Arc::new(vec![TLS_PSK_WITH_AES_128_CCM_8.into(), 0]));
                let identity = core::str::from_utf8(identity)
                    .map_err(|_| failure(FailureKind::Credentials))?;
                config.set_psk(key, identity).map_err(bad_credentials)?;
            }
            Credentials::Certificate { own_cert, private_key, server_cert, usage } => {
                config
                    .set_ciphersuites(Arc::new(vec![TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8.into(), 0]));
                config.set_curves(Arc::new(vec![
                    mbedtls_sys::ECP_DP_SECP256R1,
                    mbedtls_sys::ECP_DP_NONE,
                ]));
                let mut own = mbedtls::alloc::List::<Certificate>::new();
                own.push(Certificate::from_der(own_cert).map_err(bad_credentials)?);
                let key = Pk::from_private_key(private_key, None).map_err(bad_credentials)?;
                config.push_cert(Arc::new(own), Arc::new(key)).map_err(bad_credentials)?;
                let mut anchors = mbedtls::alloc::List::<Certificate>::new();
                anchors.push(Certificate::from_der(server_cert).map_err(bad_credentials)?);
                config.set_ca_list(Arc::new(anchors), None);
                config.set_authmode(AuthMode::Required);
                if usage.pins_leaf() {
                    let pinned = Zeroizing::new(server_cert.to_vec());
                    config.set_verify_callback(
                        move |cert: &Certificate, depth: i32, flags: &mut VerifyError| {
                            // Only the leaf counts: it must be /0/x/4, whatever its chain.
                            *flags = if depth > 0 || cert.as_der() == pinned.as_slice() {
                                VerifyError::empty()
                            } else {
                                VerifyError::CERT_NOT_TRUSTED
                            };
                            Ok(())
                        },
                    );
                }
            }
        }
        let timer = Arc::new(TimerShared::default());
        timer.set_now(now);
        let mut context = Context::new(Arc::new(config));
        context.set_timer_callback(Box::new(EngineTimer(timer.clone())));
        sys::set_mtu(&mut context, params.mtu);
        let mut channel = DtlsChannel {
            context,
            timer,
            state: ChannelState::Handshaking,
            pending: Vec::new(),
            handshake_datagrams: (0, 0),
            was_established: false,
            peer_closed: false,
            resumed: false,
        };
        let mut result = channel.context.establish(MemIo::default(), None);
        if let (Some(saved), Err(_)) = (saved, &result) {
            // `establish` resets the context, wiping a session set before it (and queues a
            // ClientHello without it): drop that ClientHello, reset again keeping the IO,
            // set the session and start over.
            if let Some(io) = channel.io() {
                io.outbound.clear();
            }
            if sys::restart_with_session(&mut channel.context, &saved.0) {
                result = match sys::handshake_step(&mut channel.context) {
                    0 => Ok(()),
                    rc => Err(mbedtls::Error::from(rc)),
                };
            }
        }
        channel.handshake_datagrams.0 = channel.queued();
        channel.after_handshake_step(result.err().map(|e| e.to_int()).unwrap_or(0));
        Ok(channel)
    }

    /// The negotiated cipher suite once established.
    pub fn ciphersuite(&self) -> Option<u16> {
        (self.state == ChannelState::Established).then(|| self.context.ciphersuite().ok()).flatten()
    }

    /// Datagrams (sent, received) during the handshake, for the figures.
    pub fn handshake_datagrams(&self) -> (u32, u32) {
        self.handshake_datagrams
    }

    fn io(&mut self) -> Option<&mut MemIo> {
        self.context.io_mut()
    }

    fn queued(&mut self) -> u32 {
        self.io().map_or(0, |io| io.outbound.len() as u32)
    }

    fn step_handshake(&mut self) {
        let before = self.queued();
        let rc = sys::handshake_step(&mut self.context);
        let sent = self.queued().saturating_sub(before);
        self.handshake_datagrams.0 += sent;
        // In a full handshake the server's Finished is the last flight; in an abbreviated
        // one ours is, sent by the step that completes it.
        self.resumed = rc == 0 && sent > 0;
        self.after_handshake_step(rc);
    }

    fn after_handshake_step(&mut self, rc: i32) {
        match rc {
            0 => {
                self.state = ChannelState::Established;
                self.was_established = true;
                for plaintext in core::mem::take(&mut self.pending) {
                    self.write(&plaintext);
                }
            }
            mbedtls_sys::ERR_SSL_WANT_READ | mbedtls_sys::ERR_SSL_WANT_WRITE => {}
            rc => self.fail(rc),
        }
    }

    fn fail(&mut self, rc: i32) {
        let f = match rc {
            mbedtls_sys::ERR_SSL_TIMEOUT => failure(FailureKind::Timeout),
            mbedtls_sys::ERR_SSL_FATAL_ALERT_MESSAGE => ChannelFailure {
                kind: FailureKind::PeerAlert,
                alert: sys::received_alert(&self.context),
            },
            mbedtls_sys::ERR_X509_CERT_VERIFY_FAILED => {
                let untrusted = self
                    .context
                    .verify_result()
                    .err()
                    .is_some_and(|f| f.contains(VerifyError::CERT_NOT_TRUSTED));
                // The alert Mbed TLS sent: unknown_ca (48) or bad_certificate (42).
                ChannelFailure {
                    kind: FailureKind::Verification,
                    alert: Some(if untrusted { 48 } else { 42 }),
                }
            }
            rc => failure(FailureKind::Local(rc)),
        };
        self.pending.clear();
        self.state = ChannelState::Failed(f);
    }

    fn write(&mut self, plaintext: &[u8]) {
        // A datagram too large for one record is dropped, like an oversized UDP datagram.
        let _ = Io::send(&mut self.context, plaintext);
    }

    /// Reads the application records of the datagram just queued: none of their plaintexts
    /// is longer than the `datagram_len` bytes of ciphertext they came in.
    fn read_application_data(&mut self, out: &mut Vec<Vec<u8>>, datagram_len: usize) {
        let mut buf = vec![0u8; datagram_len.max(1)];
        loop {
            match Io::recv(&mut self.context, &mut buf) {
                Ok(n) => out.push(buf[..n].to_vec()),
                Err(e) => {
                    match e.to_int() {
                        mbedtls_sys::ERR_SSL_WANT_READ | mbedtls_sys::ERR_SSL_WANT_WRITE => {}
                        mbedtls_sys::ERR_SSL_PEER_CLOSE_NOTIFY => {
                            self.peer_closed = true;
                            self.state = ChannelState::Closed;
                        }
                        rc => self.fail(rc),
                    }
                    return;
                }
            }
        }
    }
}

impl SecureChannel for DtlsChannel {
    fn handle_datagram(&mut self, now: u64, ciphertext: &[u8]) -> Vec<Vec<u8>> {
        self.timer.set_now(now);
        let mut out = Vec::new();
        let state = self.state;
        let Some(io) = self.io() else { return out };
        if !matches!(state, ChannelState::Handshaking | ChannelState::Established) {
            return out;
        }
        io.inbound.push_back(ciphertext.to_vec());
        if state == ChannelState::Handshaking {
            self.handshake_datagrams.1 += 1;
            self.step_handshake();
        }
        if self.state == ChannelState::Established {
            self.read_application_data(&mut out, ciphertext.len());
        }
        if let Some(io) = self.io() {
            io.inbound.clear();
        }
        out
    }

    fn send(&mut self, now: u64, plaintext: &[u8]) {
        self.timer.set_now(now);
        match self.state {
            ChannelState::Handshaking
                if self.pending.len() < MAX_PENDING
                    && !self.pending.iter().any(|p| p.as_slice() == plaintext) =>
            {
                self.pending.push(Zeroizing::new(plaintext.to_vec()));
            }
            ChannelState::Established => self.write(plaintext),
            _ => {}
        }
    }

    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.io()?.outbound.pop_front()
    }

    fn poll_timeout(&self) -> Option<u64> {
        match self.state {
            ChannelState::Handshaking => self.timer.deadline(),
            _ => None,
        }
    }

    fn handle_timeout(&mut self, now: u64) {
        self.timer.set_now(now);
        if self.state == ChannelState::Handshaking
            && self.timer.deadline().is_some_and(|t| now >= t)
        {
            self.step_handshake();
        }
    }

    fn state(&self) -> ChannelState {
        self.state
    }

    fn close(&mut self, now: u64) {
        self.timer.set_now(now);
        if self.state == ChannelState::Established {
            let _ = sys::close_notify(&mut self.context);
        }
        if matches!(self.state, ChannelState::Handshaking | ChannelState::Established) {
            self.state = ChannelState::Closed;
        }
        self.pending.clear();
    }

    fn saved_session(&self) -> Option<SavedSession> {
        let usable = self.was_established
            && !self.peer_closed
            && matches!(self.state, ChannelState::Established | ChannelState::Closed);
        usable.then(|| sys::save_session(&self.context)).flatten().map(SavedSession)
    }

    fn resumed(&self) -> bool {
        self.resumed
    }
}
