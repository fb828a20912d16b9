//! The session rules of the Bootstrap Interface over DTLS-PSK (LwM2M Core 1.1 §5.2.5; docs/dtls.md),
//! with the whole `Client` over real UDP on 127.0.0.1 against an in-process Mbed TLS DTLS
//! server (`tests/dtls/server.rs`) playing the Bootstrap-Server (its Writes and Finish go
//! inside the client's session) and the DM server, and against `coap-rd-gnutls -k`:
//! - LwM2M-1.1-int-1: client-initiated bootstrap over DTLS-PSK, then registration over DTLS;
//! - every bootstrap has its own session, closed (close_notify) after the Finish response;
//! - a bootstrap that rewrites a server's PSK closes its session and registers anew over a
//!   new handshake; one that leaves the server's security alone keeps session and
//!   registration;
//! - a fatal alert from a server is kept in its TLS-DTLS Alert Code (/1/x/11);
//! - a server's session closed with its security unchanged is resumed (abbreviated
//!   handshake, session ticket) by the account's next connection (after stop/start, after a
//!   timed-out Update); never after a key change,
//!   never for the Bootstrap-Server account;
//! - 1.1-int-2 style: bootstrap in certificate mode (the Bootstrap-Server writes the DM
//!   account's client certificate, server certificate, private key, Certificate Usage 3),
//!   then registration over X.509; test-time PKI from `openssl req`.
#![cfg(feature = "dtls")]

mod common;
mod dtls;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use common::{instance, res_bool, res_int, res_opaque, res_str};
use dtls::net::Net;
use dtls::server::{DtlsServer, Seen};
use dtls::Peer;
use lwm2m_bootstrap::client::{
    BootstrapAccountConfig, Client, Config, Event, SecurityConfig, State,
};
use lwm2m_bootstrap::coap::{content_format, Code, Message, MessageType};
use lwm2m_bootstrap::model::{server_res, SecurityMode, Value, OBJ_SERVER};
use lwm2m_bootstrap::persist::{decode_sessions, SessionRestore};
use lwm2m_bootstrap::registration::RegistrationFailure;
use lwm2m_bootstrap::security::{session_material, DtlsParams};

const EP: &str = "urn:dev:lwbs-dtls";
const BS_KEY: &[u8] = b"bs-key-0123456789";
const DM_KEY: &[u8] = b"dm-key-0123456789";
const DM_KEY_2: &[u8] = b"dm-key-2-rotated!";
const LIMIT: Duration = Duration::from_secs(20);

fn config() -> Config {
    let mut config = Config::new(EP);
    config.dtls = DtlsParams { handshake_min_ms: 300, handshake_max_ms: 1200, ..config.dtls };
    config.entropy.0 = [0x42; 32];
    config.persist_sessions = true;
    config
}

fn client_for(bs: &DtlsServer) -> Net {
    let mut client = Client::new(config());
    client
        .provision_bootstrap_account(&BootstrapAccountConfig {
            security: SecurityConfig {
                uri: bs.uri(),
                mode: SecurityMode::Psk,
                identity: EP.as_bytes().to_vec().into(),
                server_key: Default::default(),
                secret_key: BS_KEY.to_vec().into(),
            },
            hold_off_s: 0,
            account_timeout_s: 0,
        })
        .unwrap();
    Net::new(client)
}

/// A DTLS-PSK Security instance for server `ssid` (ETS C.1 with PSK).
fn psk_security(iid: u16, uri: &str, ssid: i64, key: &[u8]) -> Vec<u8> {
    instance(
        iid,
        &[
            res_str(0, uri),
            res_bool(1, false),
            res_int(2, 0),
            res_opaque(3, EP.as_bytes()),
            res_opaque(4, b""),
            res_opaque(5, key),
            res_int(10, ssid),
        ],
    )
}

fn server_instance(iid: u16, ssid: i64, lifetime: i64) -> Vec<u8> {
    instance(iid, &[res_int(0, ssid), res_int(1, lifetime), res_bool(6, false), res_str(7, "U")])
}

fn request(code: Code, path: &[&str], tlv: Option<Vec<u8>>) -> Message {
    let mut msg = Message::new(MessageType::Confirmable, code);
    msg.set_uri_path(path);
    if let Some(body) = tlv {
        msg.set_content_format(content_format::TLV);
        msg.payload = body;
    }
    msg
}

/// The Bootstrap-Server's side: answers `POST /bs`, then sends its operations one at a time
/// inside the client's session, each after the previous one was answered, Finish last.
struct BootstrapServer {
    dtls: DtlsServer,
    ops: VecDeque<Message>,
    outstanding: Option<(SocketAddr, Message)>,
    next_mid: u16,
    /// Every (request path, response code), in order.
    answers: Vec<(String, Code)>,
    /// Peers that sent a Bootstrap-Request.
    requests: Vec<SocketAddr>,
}

impl BootstrapServer {
    fn new() -> BootstrapServer {
        BootstrapServer::over(DtlsServer::psk(EP, BS_KEY))
    }

    fn over(dtls: DtlsServer) -> BootstrapServer {
        BootstrapServer {
            dtls,
            ops: VecDeque::new(),
            outstanding: None,
            next_mid: 0x4000,
            answers: Vec::new(),
            requests: Vec::new(),
        }
    }

    /// The operations of the next bootstrap (Finish is added).
    fn script(&mut self, ops: Vec<Message>) {
        self.ops = ops.into();
        self.ops.push_back(request(Code::POST, &["bs"], None));
    }

    fn tick(&mut self) {
        for (peer, msg) in self.dtls.poll() {
            if msg.code == Code::POST && msg.uri_path().unwrap_or_default() == ["bs"] {
                self.requests.push(peer);
                let mut ack = Message::response_to(&msg, Code::CHANGED);
                ack.message_type = MessageType::Acknowledgement;
                self.dtls.send(peer, &ack);
                self.send_next(peer);
            } else if msg.message_type == MessageType::Acknowledgement {
                let Some((p, req)) = self.outstanding.take() else { continue };
                if p != peer || req.message_id != msg.message_id {
                    self.outstanding = Some((p, req));
                    continue;
                }
                self.answers.push((req.uri_path().unwrap().join("/"), msg.code));
                self.send_next(peer);
            }
        }
    }

    fn send_next(&mut self, peer: SocketAddr) {
        let Some(mut req) = self.ops.pop_front() else { return };
        self.next_mid = self.next_mid.wrapping_add(1);
        req.message_id = self.next_mid;
        req.set_token(&self.next_mid.to_be_bytes());
        self.dtls.send(peer, &req);
        self.outstanding = Some((peer, req));
    }

    fn finished(&self) -> usize {
        self.answers.iter().filter(|(p, c)| p == "bs" && *c == Code::CHANGED).count()
    }
}

/// A DM server: Register → 2.01 `/rd/<n>`, Update → 2.04, De-register → 2.02.
struct DmServer {
    dtls: DtlsServer,
    /// (peer, request) of every Register, Update and De-register.
    log: Vec<(SocketAddr, Message)>,
    /// Updates are received (logged) but never answered.
    drop_updates: bool,
}

impl DmServer {
    fn new(key: &[u8]) -> DmServer {
        DmServer { dtls: DtlsServer::psk(EP, key), log: Vec::new(), drop_updates: false }
    }

    fn tick(&mut self) {
        for (peer, msg) in self.dtls.poll() {
            if msg.message_type != MessageType::Confirmable {
                continue;
            }
            let path = msg.uri_path().unwrap_or_default().join("/");
            let (code, location) = match (msg.code, path.as_str()) {
                (Code::POST, "rd") => (Code::CREATED, Some(format!("{}", self.registers() + 1))),
                (Code::POST, _) => (Code::CHANGED, None),
                (Code::DELETE, _) => (Code::DELETED, None),
                _ => (Code::NOT_FOUND, None),
            };
            self.log.push((peer, msg.clone()));
            if self.drop_updates && msg.code == Code::POST && path != "rd" {
                continue;
            }
            let mut ack = Message::response_to(&msg, code);
            ack.message_type = MessageType::Acknowledgement;
            if let Some(id) = &location {
                ack.set_location_path(&["rd", id]);
            }
            self.dtls.send(peer, &ack);
        }
    }

    fn registers(&self) -> usize {
        self.log.iter().filter(|(_, m)| m.uri_path().unwrap_or_default() == ["rd"]).count()
    }

    fn updates(&self) -> Vec<&Message> {
        self.log
            .iter()
            .filter(|(_, m)| m.code == Code::POST && m.uri_path().unwrap_or_default().len() == 2)
            .map(|(_, m)| m)
            .collect()
    }
}

/// 1.1-int-1's bootstrap: Delete /, Write the DM server's Security and Server instances.
fn int_1_ops(dm_uri: &str, key: &[u8], lifetime: i64) -> Vec<Message> {
    vec![
        request(Code::DELETE, &[], None),
        request(Code::PUT, &["0", "1"], Some(psk_security(1, dm_uri, 1, key))),
        request(Code::PUT, &["1", "0"], Some(server_instance(0, 1, lifetime))),
    ]
}

fn count(net: &Net, pred: impl Fn(&Event) -> bool) -> usize {
    net.events.iter().filter(|e| pred(e)).count()
}

fn registered_count(net: &Net) -> usize {
    count(net, |e| matches!(e, Event::Registered { ssid: 1, .. }))
}

/// Runs 1.1-int-1 against `bs` and `dm`; returns the client once registered.
fn bootstrap_and_register(bs: &mut BootstrapServer, dm: &mut DmServer) -> Net {
    bs.script(int_1_ops(&dm.dtls.uri(), DM_KEY, 300));
    let mut net = client_for(&bs.dtls);
    net.client.start(net.now()).unwrap();
    let ok = net.run_with(
        LIMIT,
        |_| {
            bs.tick();
            dm.tick();
        },
        |net| registered_count(net) == 1,
    );
    assert!(ok, "not registered: {:?}\nBS {:?}\nDM {:?}", net.events, bs.dtls.seen, dm.dtls.seen);
    net
}

/// Runs `net` with both servers for `ms` milliseconds (or until `done`).
fn run(
    net: &mut Net,
    bs: &mut BootstrapServer,
    dm: &mut DmServer,
    limit: Duration,
    done: impl FnMut(&Net) -> bool,
) -> bool {
    net.run_with(
        limit,
        |_| {
            bs.tick();
            dm.tick();
        },
        done,
    )
}

#[test]
fn int_1_client_initiated_bootstrap_over_dtls_psk_then_registration_over_dtls() {
    let mut bs = BootstrapServer::new();
    let mut dm = DmServer::new(DM_KEY);
    let mut net = bootstrap_and_register(&mut bs, &mut dm);
    assert_eq!(
        bs.answers.iter().map(|(p, c)| (p.as_str(), *c)).collect::<Vec<_>>(),
        [
            ("", Code::DELETED),
            ("0/1", Code::CHANGED),
            ("1/0", Code::CHANGED),
            ("bs", Code::CHANGED)
        ]
    );
    // The Bootstrap-Request named the endpoint and went inside the DTLS session.
    let (_, bs_request) = &bs.dtls.received[0];
    assert!(bs_request.uri_query().unwrap().contains(&"ep=urn:dev:lwbs-dtls"));
    // The bootstrap session was closed with close_notify after the Finish response.
    run(&mut net, &mut bs, &mut dm, Duration::from_secs(2), |_| false);
    let bs_peer = bs.requests[0];
    assert_eq!(bs.dtls.seen, [Seen::Handshake(bs_peer), Seen::CloseNotify(bs_peer)]);
    // One session with the DM server, from another socket than the bootstrap's: never shared.
    let dm_peer = dm.log[0].0;
    assert_eq!(dm.dtls.seen, [Seen::Handshake(dm_peer)]);
    assert_ne!(bs_peer, dm_peer);
    assert_eq!(dm.registers(), 1);
    assert_eq!(net.client.state(), State::Registered);
    // Every datagram the client sent was a DTLS 1.2 record.
    assert!(net.sent.iter().all(|d| (20..=23).contains(&d[0]) && d[1..3] == [0xfe, 0xfd]));
}

#[test]
fn int_1_registration_through_coap_rd_gnutls() {
    let dir = dtls::temp_dir("int-1-gnutls");
    let mut rd =
        Peer::libcoap("coap-rd-gnutls", &["-k", std::str::from_utf8(DM_KEY).unwrap()], &dir);
    let mut bs = BootstrapServer::new();
    bs.script(int_1_ops(&format!("coaps://127.0.0.1:{}", rd.port + 1), DM_KEY, 300));
    let mut net = client_for(&bs.dtls);
    net.client.start(net.now()).unwrap();
    let ok = net.run_with(
        LIMIT,
        |_| bs.tick(),
        |net| {
            net.events.iter().any(|e| {
                matches!(e, Event::Registered { ssid: 1, .. } | Event::RegistrationFailed { .. })
            })
        },
    );
    assert!(ok, "{:?}\n{}", net.events, rd.output());
    let registered = net.events.iter().find_map(|e| match e {
        Event::Registered { ssid: 1, location } => Some(location.clone()),
        _ => None,
    });
    assert!(registered.is_some_and(|l| l.starts_with("/rd/")), "{:?}\n{}", net.events, rd.output());
    assert_eq!(bs.finished(), 1);
    assert!(rd.alive());
}

#[test]
fn a_bootstrap_rewriting_the_psk_closes_the_session_and_registers_over_a_new_handshake() {
    let mut bs = BootstrapServer::new();
    let mut dm = DmServer::new(DM_KEY);
    let mut net = bootstrap_and_register(&mut bs, &mut dm);
    let old_peer = dm.log[0].0;
    // The operator rotates the DM server's key: the server takes it for new sessions, and the
    // Bootstrap-Server writes it (same URI, same identity) in a second bootstrap.
    dm.dtls.set_psk(EP, DM_KEY_2);
    bs.script(vec![request(
        Code::PUT,
        &["0", "1"],
        Some(psk_security(1, &dm.dtls.uri(), 1, DM_KEY_2)),
    )]);
    net.client.trigger_bootstrap(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| registered_count(net) == 2);
    assert!(ok, "no new Register: {:?}\nDM {:?}", net.events, dm.dtls.seen);
    run(&mut net, &mut bs, &mut dm, Duration::from_millis(500), |_| false);
    // The old session was closed with close_notify, a new handshake followed from a new
    // socket, and a new Register went over it.
    let new_peer = dm.log.last().unwrap().0;
    assert_ne!(new_peer, old_peer);
    assert_eq!(
        dm.dtls.seen,
        [Seen::Handshake(old_peer), Seen::CloseNotify(old_peer), Seen::Handshake(new_peer)]
    );
    assert_eq!(dm.registers(), 2);
    assert_eq!(dm.log.last().unwrap().1.uri_path().unwrap(), ["rd"]);
    // Each bootstrap had its own session, closed after its Finish.
    assert_eq!(bs.finished(), 2);
    assert_eq!((bs.dtls.handshakes(), bs.dtls.close_notifies()), (2, 2));
    assert_ne!(bs.requests[0], bs.requests[1]);
    assert_eq!(net.client.state(), State::Registered);
    // The servers issue session tickets with one key across the PSK change, so a ticket of
    // the old session would have been accepted: none was offered. Nor by the second
    // bootstrap, whose session must be new.
    assert_eq!(dm.dtls.resumed(), 0, "{:?}", dm.dtls.handshake_stats);
    assert_eq!(bs.dtls.resumed(), 0, "{:?}", bs.dtls.handshake_stats);
    // In storage: the first session, then (at the commit of the new key) no session, then
    // the new session with the new key's fingerprint.
    let records: Vec<Vec<(u16, u64)>> = net
        .session_records
        .iter()
        .map(|r| decode_sessions(r).unwrap().iter().map(|e| (e.ssid, e.material)).collect())
        .collect();
    let new_material = session_material(net.client.configuration().security_for_ssid(1));
    assert_eq!(records.len(), 3, "{records:?}");
    assert_eq!(records[0].len(), 1);
    assert_ne!(records[0][0].1, new_material);
    assert_eq!(records[1], []);
    assert_eq!(records[2], [(1, new_material)]);
}

#[test]
fn a_bootstrap_leaving_the_servers_security_alone_keeps_its_session_and_registration() {
    let mut bs = BootstrapServer::new();
    let mut dm = DmServer::new(DM_KEY);
    let mut net = bootstrap_and_register(&mut bs, &mut dm);
    let peer = dm.log[0].0;
    // The same Security instance written again (no change) and a new lifetime.
    bs.script(vec![
        request(Code::PUT, &["0", "1"], Some(psk_security(1, &dm.dtls.uri(), 1, DM_KEY))),
        request(Code::PUT, &["1", "0"], Some(server_instance(0, 1, 600))),
    ]);
    net.client.trigger_bootstrap(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| {
        count(net, |e| matches!(e, Event::Updated { ssid: 1 })) > 0
    });
    assert!(ok, "no Update: {:?}\nDM {:?}", net.events, dm.dtls.seen);
    run(&mut net, &mut bs, &mut dm, Duration::from_millis(500), |_| false);
    assert_eq!(bs.finished(), 2);
    // No new handshake, no close_notify, no new Register: an Update with the new lifetime on
    // the same session.
    assert_eq!(dm.dtls.seen, [Seen::Handshake(peer)]);
    assert_eq!(dm.registers(), 1);
    let update = dm.updates()[0];
    assert_eq!(update.uri_path().unwrap(), ["rd", "1"]);
    assert_eq!(update.uri_query().unwrap(), ["lt=600"]);
    assert!(dm.log.iter().all(|(p, _)| *p == peer));
    assert_eq!(registered_count(&net), 1);
    assert_eq!(net.client.state(), State::Registered);
}

#[test]
fn a_fatal_alert_from_the_server_is_kept_in_its_tls_dtls_alert_code() {
    // The DM server knows another identity: Mbed TLS answers the ClientKeyExchange with the
    // fatal alert unknown_psk_identity (115).
    let mut bs = BootstrapServer::new();
    let mut dm = DmServer {
        dtls: DtlsServer::psk("someone-else", DM_KEY),
        log: Vec::new(),
        drop_updates: false,
    };
    bs.script(int_1_ops(&dm.dtls.uri(), DM_KEY, 300));
    let mut net = client_for(&bs.dtls);
    net.client.start(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| {
        count(net, |e| matches!(e, Event::RegistrationFailed { .. })) > 0
    });
    assert!(ok, "{:?}\nDM {:?}", net.events, dm.dtls.seen);
    let failure = net.events.iter().find_map(|e| match e {
        Event::RegistrationFailed { ssid: 1, reason } => Some(*reason),
        _ => None,
    });
    assert_eq!(failure, Some(RegistrationFailure::Handshake { alert: Some(115) }));
    let model = net.client.configuration();
    let server = model.server_for_ssid(1).unwrap();
    let instance = model.instance(OBJ_SERVER, server.instance_id).unwrap();
    assert_eq!(instance.value(server_res::ALERT_CODE), Some(&Value::Unsigned(115)));
    assert!(dm.dtls.seen.iter().all(|s| matches!(s, Seen::Failed(..))));
}

#[test]
fn a_session_closed_with_unchanged_security_is_resumed_with_an_abbreviated_handshake() {
    let mut bs = BootstrapServer::new();
    let mut dm = DmServer::new(DM_KEY);
    let mut net = bootstrap_and_register(&mut bs, &mut dm);
    // The firmware stops the client (De-register, close_notify) and starts it again: the
    // account is unchanged, so its next connection offers the saved session.
    net.client.stop(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| {
        count(net, |e| matches!(e, Event::Stopped)) > 0
    });
    assert!(ok, "not stopped: {:?}", net.events);
    net.client.start(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| registered_count(net) == 2);
    assert!(ok, "no second Register: {:?}\nDM {:?}", net.events, dm.dtls.seen);
    let stats = &dm.dtls.handshake_stats;
    assert_eq!(stats.len(), 2, "{stats:?}");
    assert_ne!(stats[0].peer, stats[1].peer, "a new connection (socket)");
    assert!(!stats[0].resumed && stats[1].resumed, "{stats:?}");
    // Full: ClientHello, ClientHello+cookie, ClientKeyExchange..Finished; the server's last
    // flight is its Finished. Resumed: the client's Finished ends it.
    // Measured: full (received 3, sent 3), resumed (received 3, sent 2).
    assert!(stats[1].sent < stats[0].sent, "{stats:?}");
    eprintln!(
        "DM handshake datagrams (received, sent): full {:?}, resumed {:?}",
        (stats[0].received, stats[0].sent),
        (stats[1].received, stats[1].sent)
    );
    assert_eq!(dm.registers(), 2);
    assert_eq!(bs.dtls.resumed(), 0);
    assert_eq!(net.client.state(), State::Registered);
}

/// A client restarted from what the previous one stored (configuration slots and session
/// record), as after a power cut: the same storage, a new `Client`.
fn restarted(net: &Net) -> (Net, SessionRestore) {
    let mut client = Client::new(config());
    client.restore([net.slots[0].as_deref(), net.slots[1].as_deref()]).unwrap();
    let report = client.restore_sessions(&net.stored_sessions).unwrap();
    let mut next = Net::new(client);
    next.slots = net.slots.clone();
    next.stored_sessions = net.stored_sessions.clone();
    (next, report)
}

#[test]
fn a_restart_from_storage_resumes_the_dm_session_with_an_abbreviated_handshake() {
    let mut bs = BootstrapServer::new();
    let mut dm = DmServer::new(DM_KEY);
    let net = bootstrap_and_register(&mut bs, &mut dm);
    let saved = decode_sessions(&net.stored_sessions[..]).unwrap();
    let ssids: Vec<u16> = saved.iter().map(|e| e.ssid).collect();
    assert_eq!(ssids, [1], "the DM server's session, never the Bootstrap-Server's");
    assert_eq!(
        saved[0].material,
        session_material(net.client.configuration().security_for_ssid(1))
    );
    // Power cut: no De-register, no close_notify; a new client from the same storage.
    let (mut net, report) = restarted(&net);
    assert_eq!(report, SessionRestore { restored: 1, discarded: 0, ignored: None });
    net.client.start(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| registered_count(net) == 1);
    assert!(ok, "not registered after the restart: {:?}\nDM {:?}", net.events, dm.dtls.seen);
    let stats = &dm.dtls.handshake_stats;
    assert_eq!(stats.len(), 2, "{stats:?}");
    assert!(!stats[0].resumed && stats[1].resumed, "{stats:?}");
    assert!(stats[1].sent < stats[0].sent, "{stats:?}");
    eprintln!(
        "DM handshake datagrams (received, sent): before the restart {:?}, after {:?}",
        (stats[0].received, stats[0].sent),
        (stats[1].received, stats[1].sent)
    );
    assert_eq!(bs.dtls.handshakes(), 1, "no bootstrap after the restart");
    assert_eq!(dm.registers(), 2);
}

#[test]
fn a_resumption_the_server_no_longer_holds_is_replaced_by_the_new_session() {
    let mut bs = BootstrapServer::new();
    let mut dm = DmServer::new(DM_KEY);
    let net = bootstrap_and_register(&mut bs, &mut dm);
    let first = &net.stored_sessions[..].to_vec();
    // The server restarted meanwhile (a new ticket key): the ticket offered is not
    // accepted, a full handshake follows, and its session replaces the saved one.
    dm.dtls.forget_sessions(EP, DM_KEY);
    let (mut net, report) = restarted(&net);
    assert_eq!(report.restored, 1);
    net.client.start(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| registered_count(net) == 1);
    assert!(ok, "not registered: {:?}\nDM {:?}", net.events, dm.dtls.seen);
    assert_eq!(dm.dtls.resumed(), 0, "{:?}", dm.dtls.handshake_stats);
    assert_eq!(net.session_records.len(), 1, "one write: the new session");
    assert_ne!(&net.stored_sessions[..], &first[..]);
    // The new session is the one a further restart resumes.
    let (mut net, report) = restarted(&net);
    assert_eq!(report.restored, 1);
    net.client.start(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| registered_count(net) == 1);
    assert!(ok, "not registered: {:?}", net.events);
    assert_eq!(dm.dtls.resumed(), 1, "{:?}", dm.dtls.handshake_stats);
    // The server renews its ticket in the abbreviated handshake (RFC 5077 §3.3): the renewed
    // session is written once, so the next restart can still resume when the old ticket
    // expired.
    assert_eq!(net.session_records.len(), 1, "one write per handshake, no more");
    assert_eq!(decode_sessions(&net.stored_sessions).unwrap().len(), 1);
}

/// A certificate-mode Security instance (mode 2): client certificate (3), server certificate
/// (4), client private key (5), Certificate Usage 3 (domain-issued certificate, pinned).
fn cert_security(iid: u16, uri: &str, ssid: i64, own: &[u8], server: &[u8], key: &[u8]) -> Vec<u8> {
    instance(
        iid,
        &[
            res_str(0, uri),
            res_bool(1, false),
            res_int(2, 2),
            res_opaque(3, own),
            res_opaque(4, server),
            res_opaque(5, key),
            res_int(10, ssid),
            res_int(15, 3),
        ],
    )
}

#[test]
fn int_2_style_certificate_bootstrap_then_registration_over_x509() {
    // Test-time PKI (openssl req): a CA, a server and a client certificate, P-256.
    let dir = dtls::temp_dir("int-2-certificates");
    let pki = dtls::Pki::create(&dir);
    let (client_cert, client_key) = (pki.der("client.der"), pki.der("client.key.der"));
    let (server_cert, server_key, ca) =
        (pki.der("server.der"), pki.der("server.key.der"), pki.der("ca.der"));
    let mut bs = BootstrapServer::over(DtlsServer::certificate(&server_cert, &server_key, &ca));
    let mut dm = DmServer {
        dtls: DtlsServer::certificate(&server_cert, &server_key, &ca),
        log: Vec::new(),
        drop_updates: false,
    };
    // The Bootstrap-Server writes the DM account's certificates and key (/0/1/3, 4, 5, 15).
    bs.script(vec![
        request(Code::DELETE, &[], None),
        request(
            Code::PUT,
            &["0", "1"],
            Some(cert_security(1, &dm.dtls.uri(), 1, &client_cert, &server_cert, &client_key)),
        ),
        request(Code::PUT, &["1", "0"], Some(server_instance(0, 1, 300))),
    ]);
    let mut client = Client::new(config());
    client
        .provision_bootstrap_account(&BootstrapAccountConfig {
            security: SecurityConfig {
                uri: bs.dtls.uri(),
                mode: SecurityMode::Certificate,
                identity: client_cert.clone().into(),
                server_key: server_cert.clone().into(),
                secret_key: client_key.clone().into(),
            },
            hold_off_s: 0,
            account_timeout_s: 0,
        })
        .unwrap();
    let mut net = Net::new(client);
    net.client.start(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| registered_count(net) == 1);
    assert!(ok, "not registered: {:?}\nBS {:?}\nDM {:?}", net.events, bs.dtls.seen, dm.dtls.seen);
    run(&mut net, &mut bs, &mut dm, Duration::from_millis(300), |_| false);
    assert_eq!(bs.finished(), 1);
    assert_eq!((bs.dtls.handshakes(), bs.dtls.close_notifies()), (1, 1));
    assert_eq!(dm.dtls.handshakes(), 1);
    assert_eq!(dm.registers(), 1);
    assert_eq!(net.client.state(), State::Registered);
    let model = net.client.configuration();
    let account = model.security_for_ssid(1).unwrap();
    assert!(
        matches!(account.instance.value(3), Some(Value::Opaque(v)) if v.as_slice() == client_cert.as_slice())
    );
    assert_eq!(account.instance.value(15), Some(&Value::Unsigned(3)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_timed_out_update_registers_again_over_a_resumed_session() {
    let mut bs = BootstrapServer::new();
    let mut dm = DmServer::new(DM_KEY);
    bs.script(int_1_ops(&dm.dtls.uri(), DM_KEY, 300));
    let mut config = config();
    config.transmission.ack_timeout_ms = 200;
    config.transmission.ack_random_factor_permille = 1000;
    config.transmission.max_retransmit = 1;
    let mut client = Client::new(config);
    client
        .provision_bootstrap_account(&BootstrapAccountConfig {
            security: SecurityConfig {
                uri: bs.dtls.uri(),
                mode: SecurityMode::Psk,
                identity: EP.as_bytes().to_vec().into(),
                server_key: Default::default(),
                secret_key: BS_KEY.to_vec().into(),
            },
            hold_off_s: 0,
            account_timeout_s: 0,
        })
        .unwrap();
    let mut net = Net::new(client);
    net.client.start(net.now()).unwrap();
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| registered_count(net) == 1);
    assert!(ok, "not registered: {:?}", net.events);
    // The server stops answering Updates (as if it had lost the client); it executes the
    // Registration Update Trigger, the Update times out, the client closes the connection and
    // registers over a new one, whose handshake resumes the session (the server still holds
    // its ticket key).
    dm.drop_updates = true;
    let peer = dm.log[0].0;
    dm.dtls.send(peer, &request(Code::POST, &["1", "0", "8"], None));
    let ok = run(&mut net, &mut bs, &mut dm, LIMIT, |net| registered_count(net) == 2);
    assert!(ok, "no second Register: {:?}\nDM {:?}", net.events, dm.dtls.seen);
    assert!(!dm.updates().is_empty());
    let stats = &dm.dtls.handshake_stats;
    assert_eq!(stats.len(), 2, "{stats:?}");
    assert_ne!(stats[1].peer, peer);
    assert!(!stats[0].resumed && stats[1].resumed, "{stats:?}");
    assert_eq!(dm.registers(), 2);
}
