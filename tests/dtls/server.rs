//! An in-process DTLS 1.2 server on Mbed TLS (the style of `tests/bench/dtls.rs`), over real
//! UDP on 127.0.0.1, for whole-client tests where an independent DTLS peer cannot play the
//! part: a Bootstrap-Server that sends its Writes inside the client's session, and a DM
//! server whose PSK can be changed between sessions. One session per peer address (the
//! client opens one socket per connection); cookies (HelloVerifyRequest) on, as a real
//! server has them. It records every completed handshake, every close_notify and every
//! CoAP message; the test scripts the CoAP side through `poll` and `send`.

use std::collections::{BTreeMap, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

use lwm2m_bootstrap::coap::Message;
use mbedtls::cipher::raw::CipherType;
use mbedtls::error::codes;
use mbedtls::rng::HmacDrbg;
use mbedtls::ssl::config::{Endpoint, Preset, Transport};
use mbedtls::ssl::context::Timer;
use mbedtls::ssl::ticket::TicketContext;
use mbedtls::ssl::{Config, Context, CookieContext, Io, Version};

#[derive(Default)]
struct Queues {
    inbound: VecDeque<Vec<u8>>,
    outbound: VecDeque<Vec<u8>>,
}

impl Io for Queues {
    fn recv(&mut self, buf: &mut [u8]) -> mbedtls::Result<usize> {
        let d = self.inbound.pop_front().ok_or(codes::SslWantRead)?;
        let n = d.len().min(buf.len());
        buf[..n].copy_from_slice(&d[..n]);
        Ok(n)
    }
    fn send(&mut self, buf: &[u8]) -> mbedtls::Result<usize> {
        self.outbound.push_back(buf.to_vec());
        Ok(buf.len())
    }
}

struct Session {
    ctx: Context<Queues>,
    established: bool,
    /// Datagrams (received, sent) during the handshake.
    datagrams: (u32, u32),
}

/// One completed handshake as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeStats {
    pub peer: SocketAddr,
    /// Abbreviated (a session ticket was accepted): the client's Finished completed it,
    /// nothing left to send.
    pub resumed: bool,
    /// Datagrams received from the client during the handshake.
    pub received: u32,
    /// Datagrams sent to the client during the handshake.
    pub sent: u32,
}

/// What the server saw of one peer's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// A handshake completed (with the PSK identity the server was configured with).
    Handshake(SocketAddr),
    /// The peer closed its session with close_notify.
    CloseNotify(SocketAddr),
    /// The handshake failed on the server side (Mbed TLS error code; the session is dropped
    /// after its fatal alert went out).
    Failed(SocketAddr, i32),
}

pub struct DtlsServer {
    socket: UdpSocket,
    pub port: u16,
    config: Arc<Config>,
    /// Session tickets (RFC 5077), one key for the server's lifetime (kept across `set_psk`).
    tickets: Arc<TicketContext>,
    sessions: BTreeMap<SocketAddr, Session>,
    /// Every completed handshake, in order.
    pub handshake_stats: Vec<HandshakeStats>,
    /// Session events, in order.
    pub seen: Vec<Seen>,
    /// Every CoAP message received, with its peer, in order.
    pub received: Vec<(SocketAddr, Message)>,
}

fn tickets() -> Arc<TicketContext> {
    tickets_keyed(0x5a)
}

fn tickets_keyed(seed: u8) -> Arc<TicketContext> {
    let md: Option<mbedtls::hash::MdInfo> = mbedtls::hash::Type::Sha256.into();
    let rng = Arc::new(HmacDrbg::from_buf(md.unwrap(), &[seed; 48]).unwrap());
    Arc::new(TicketContext::new(rng, CipherType::Aes128Gcm, 3600).unwrap())
}

fn psk_config(identity: &str, key: &[u8], tickets: &Arc<TicketContext>) -> Arc<Config> {
    let mut config = Config::new(Endpoint::Server, Transport::Datagram, Preset::Default);
    config.set_min_version(Version::Tls1_2).unwrap();
    let md: Option<mbedtls::hash::MdInfo> = mbedtls::hash::Type::Sha256.into();
    let seed: Vec<u8> = (0..48u8).map(|i| i ^ key.first().copied().unwrap_or(0)).collect();
    let rng = Arc::new(HmacDrbg::from_buf(md.unwrap(), &seed).unwrap());
    config.set_rng(rng.clone());
    config.set_dtls_cookies(Arc::new(CookieContext::new(rng).unwrap()));
    config.set_psk(key, identity).unwrap();
    config.set_session_tickets_callback(tickets.clone());
    Arc::new(config)
}

/// One `mbedtls_ssl_handshake` step. The safe `Context::handshake` drops the IO on an error,
/// and the fatal alert Mbed TLS queued for the peer with it; this keeps it for `flush`. After
/// a HelloVerifyRequest the context is reset for the ClientHello with the cookie.
fn handshake_step(ctx: &mut Context<Queues>, peer: SocketAddr) -> i32 {
    // SAFETY: `ctx` is live and was set up by `establish`, so its BIO points at the queues it
    // owns; the transport id is copied by Mbed TLS.
    unsafe {
        let rc = mbedtls_sys::ssl_handshake(ctx.into());
        if rc == mbedtls_sys::ERR_SSL_HELLO_VERIFY_REQUIRED {
            mbedtls_sys::ssl_session_reset(ctx.into());
            let id = peer.to_string();
            mbedtls_sys::ssl_set_client_transport_id(ctx.into(), id.as_ptr(), id.len());
        }
        rc
    }
}

impl DtlsServer {
    /// A DTLS-PSK server on a free port of 127.0.0.1 accepting `identity` with `key` (another
    /// identity gets the fatal alert unknown_psk_identity, 115).
    pub fn psk(identity: &str, key: &[u8]) -> DtlsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let port = socket.local_addr().unwrap().port();
        let tickets = tickets();
        DtlsServer {
            socket,
            port,
            config: psk_config(identity, key, &tickets),
            tickets,
            sessions: BTreeMap::new(),
            handshake_stats: Vec::new(),
            seen: Vec::new(),
            received: Vec::new(),
        }
    }

    /// A DTLS server in certificate mode (`TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8`, P-256) on a
    /// free port of 127.0.0.1: presents `cert_der` (private key `key_der`, DER) and requires
    /// a client certificate issued by `ca_der`.
    pub fn certificate(cert_der: &[u8], key_der: &[u8], ca_der: &[u8]) -> DtlsServer {
        use mbedtls::pk::Pk;
        use mbedtls::ssl::config::AuthMode;
        use mbedtls::x509::Certificate;
        let mut server = DtlsServer::psk("unused", b"unused-key");
        let mut config = Config::new(Endpoint::Server, Transport::Datagram, Preset::Default);
        config.set_min_version(Version::Tls1_2).unwrap();
        let md: Option<mbedtls::hash::MdInfo> = mbedtls::hash::Type::Sha256.into();
        let rng = Arc::new(HmacDrbg::from_buf(md.unwrap(), &[0x3c; 48]).unwrap());
        config.set_rng(rng.clone());
        config.set_dtls_cookies(Arc::new(CookieContext::new(rng).unwrap()));
        let mut own = mbedtls::alloc::List::<Certificate>::new();
        own.push(Certificate::from_der(cert_der).unwrap());
        let key = Pk::from_private_key(key_der, None).unwrap();
        config.push_cert(Arc::new(own), Arc::new(key)).unwrap();
        let mut anchors = mbedtls::alloc::List::<Certificate>::new();
        anchors.push(Certificate::from_der(ca_der).unwrap());
        config.set_ca_list(Arc::new(anchors), None);
        config.set_authmode(AuthMode::Required);
        config.set_session_tickets_callback(server.tickets.clone());
        server.config = Arc::new(config);
        server
    }

    /// `coaps://127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        format!("coaps://127.0.0.1:{}", self.port)
    }

    /// New sessions use this PSK from now on (sessions already established keep theirs),
    /// as a server re-provisioned together with the client.
    pub fn set_psk(&mut self, identity: &str, key: &[u8]) {
        self.config = psk_config(identity, key, &self.tickets);
    }

    /// Forgets every session it issued (a new ticket key, as a restarted server): a
    /// resumption offered to it falls back to a full handshake.
    pub fn forget_sessions(&mut self, identity: &str, key: &[u8]) {
        self.tickets = tickets_keyed(0xa5);
        self.config = psk_config(identity, key, &self.tickets);
    }

    pub fn handshakes(&self) -> usize {
        self.seen.iter().filter(|s| matches!(s, Seen::Handshake(_))).count()
    }

    /// Handshakes that resumed a session (abbreviated).
    pub fn resumed(&self) -> usize {
        self.handshake_stats.iter().filter(|h| h.resumed).count()
    }

    pub fn close_notifies(&self) -> usize {
        self.seen.iter().filter(|s| matches!(s, Seen::CloseNotify(_))).count()
    }

    /// Reads every datagram waiting on the socket; returns the CoAP messages they carried.
    pub fn poll(&mut self) -> Vec<(SocketAddr, Message)> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65536];
        while let Ok((n, peer)) = self.socket.recv_from(&mut buf) {
            out.extend(self.handle(peer, buf[..n].to_vec()));
        }
        self.received.extend(out.iter().cloned());
        out
    }

    /// Sends `msg` to `peer` inside its session.
    pub fn send(&mut self, peer: SocketAddr, msg: &Message) {
        let session = self.sessions.get_mut(&peer).expect("no session with that peer");
        assert!(session.established, "session not established");
        Io::send(&mut session.ctx, &msg.encode()).unwrap();
        self.flush(peer);
    }

    fn handle(&mut self, peer: SocketAddr, datagram: Vec<u8>) -> Vec<(SocketAddr, Message)> {
        let config = self.config.clone();
        let session = self.sessions.entry(peer).or_insert_with(|| {
            let mut ctx = Context::new(config);
            ctx.set_timer_callback(Box::new(Timer::new()));
            ctx.set_client_transport_id_once(peer.to_string().as_bytes());
            let _ = ctx.establish(Queues::default(), None);
            Session { ctx, established: false, datagrams: (0, 0) }
        });
        session.ctx.io_mut().unwrap().inbound.push_back(datagram);
        if !session.established {
            session.datagrams.0 += 1;
        }
        let mut messages = Vec::new();
        let mut gone = false;
        if !session.established {
            let rc = handshake_step(&mut session.ctx, peer);
            let queued = session.ctx.io_mut().map_or(0, |io| io.outbound.len() as u32);
            session.datagrams.1 += queued;
            match rc {
                0 => {
                    session.established = true;
                    self.seen.push(Seen::Handshake(peer));
                    self.handshake_stats.push(HandshakeStats {
                        peer,
                        resumed: queued == 0,
                        received: session.datagrams.0,
                        sent: session.datagrams.1,
                    });
                }
                mbedtls_sys::ERR_SSL_WANT_READ | mbedtls_sys::ERR_SSL_HELLO_VERIFY_REQUIRED => {}
                rc => {
                    self.seen.push(Seen::Failed(peer, rc));
                    gone = true;
                }
            }
        }
        if session.established {
            let mut buf = vec![0u8; 4096];
            loop {
                match Io::recv(&mut session.ctx, &mut buf) {
                    Ok(n) => {
                        if let Ok(msg) = Message::decode(&buf[..n]) {
                            messages.push((peer, msg));
                        }
                    }
                    Err(e) if e.high_level() == Some(codes::SslPeerCloseNotify) => {
                        self.seen.push(Seen::CloseNotify(peer));
                        gone = true;
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
        self.flush(peer);
        if gone {
            self.sessions.remove(&peer);
        }
        messages
    }

    fn flush(&mut self, peer: SocketAddr) {
        let Some(session) = self.sessions.get_mut(&peer) else { return };
        let Some(io) = session.ctx.io_mut() else { return };
        for d in io.outbound.drain(..) {
            let _ = self.socket.send_to(&d, peer);
        }
    }
}
