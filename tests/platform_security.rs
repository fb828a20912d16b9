//! Security done by the platform (a modem's or the firmware's DTLS): the engine hands the
//! platform each secure connection with its credentials (`Event::ConnectSecure`), keeps every
//! session rule itself, and treats the failures the platform reports as its own DTLS's.
//! These run in every build, also without the built-in DTLS (no Mbed TLS linked).

mod common;

use common::*;
use lwm2m_bootstrap::bootstrap::BootstrapFailure;
use lwm2m_bootstrap::client::{
    ClientError, Config, ConnId, Event, Secret, SecurityConfig, SecurityMode, ServerAccountConfig,
};
use lwm2m_bootstrap::coap::Code;
use lwm2m_bootstrap::model::{AccountError, Value};
use lwm2m_bootstrap::registration::RegistrationFailure;
use lwm2m_bootstrap::security::{ChannelFailure, FailureKind, ModeSet, PlatformSecurity};

const DM_SECURE: &str = "coaps://127.0.0.1:5684";
const OWN_SPKI: &[u8] = b"own-subject-public-key-info";
const SERVER_SPKI: &[u8] = b"server-subject-public-key-info";
const OWN_KEY: &[u8] = b"own-pkcs8-private-key";

fn rpk_platform_config() -> Config {
    let mut config = Config::new("urn:dev:platform-tls");
    config.policy.modes.platform = ModeSet::NONE.with(SecurityMode::Rpk).with(SecurityMode::Psk);
    config
}

fn rpk_account(ssid: u16, secret: &[u8]) -> ServerAccountConfig {
    ServerAccountConfig {
        ssid,
        security: SecurityConfig {
            uri: DM_SECURE.into(),
            mode: SecurityMode::Rpk,
            identity: Secret::new(OWN_SPKI),
            server_key: Secret::new(SERVER_SPKI),
            secret_key: Secret::new(secret),
        },
        lifetime_s: 300,
        binding: "U".into(),
    }
}

/// A client whose platform secures PSK, with a factory PSK Bootstrap-Server account.
fn psk_bootstrap_by_platform(identity: &[u8], key: &[u8]) -> Harness {
    let mut config = rpk_platform_config();
    config.policy.modes.platform = ModeSet::NONE.with(SecurityMode::Psk);
    let mut h = Harness::new(config);
    h.client
        .provision_bootstrap_account(&lwm2m_bootstrap::client::BootstrapAccountConfig {
            security: SecurityConfig {
                uri: "coaps://127.0.0.1:5784".into(),
                mode: SecurityMode::Psk,
                identity: Secret::new(identity),
                server_key: Secret::default(),
                secret_key: Secret::new(key),
            },
            hold_off_s: 0,
            account_timeout_s: 0,
        })
        .unwrap();
    h
}

/// The security handed out with each `ConnectSecure`, in order.
fn secure_connects(h: &Harness) -> Vec<(ConnId, PlatformSecurity)> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::ConnectSecure { conn, security, .. } => Some((*conn, (**security).clone())),
            _ => None,
        })
        .collect()
}

fn plain_connects(h: &Harness) -> usize {
    h.count(|e| matches!(e, Event::Connect { .. }))
}

/// An RPK Security instance (TLV) as a Bootstrap-Server writes it.
fn rpk_security(iid: u16, ssid: i64, secret: &[u8]) -> Vec<u8> {
    instance(
        iid,
        &[
            res_str(0, DM_SECURE),
            res_bool(1, false),
            res_int(2, 1),
            res_opaque(3, OWN_SPKI),
            res_opaque(4, SERVER_SPKI),
            res_opaque(5, secret),
            res_int(10, ssid),
        ],
    )
}

#[test]
fn without_the_platform_an_rpk_account_is_refused() {
    let mut h = Harness::new(Config::new("urn:dev:no-platform"));
    let err = h.client.provision_server_account(&rpk_account(1, OWN_KEY)).unwrap_err();
    assert_eq!(err, ClientError::InvalidAccount(AccountError::UnsupportedMode(SecurityMode::Rpk)));
}

#[test]
fn a_factory_rpk_account_is_opened_by_the_platform_with_its_credentials() {
    let mut h = Harness::new(rpk_platform_config());
    h.client.provision_server_account(&rpk_account(7, OWN_KEY)).unwrap();
    h.start();
    let connects = secure_connects(&h);
    assert_eq!(connects.len(), 1);
    assert_eq!(plain_connects(&h), 0, "never a NoSec connection for a secure account");
    let (conn, security) = &connects[0];
    assert_eq!(security.mode, SecurityMode::Rpk);
    assert!(!security.bootstrap);
    assert_eq!(&security.identity[..], OWN_SPKI);
    assert_eq!(&security.server_key[..], SERVER_SPKI);
    assert_eq!(&security.secret_key[..], OWN_KEY);
    assert_eq!(security.certificate_usage, 3, "absent Certificate Usage is 3");
    assert_eq!(h.conns.get(conn).map(String::as_str), Some(DM_SECURE));
    // The Register goes to the platform as plain CoAP on that connection.
    let (register_conn, register) = h.accept_register(&["rd", "a1"]);
    assert_eq!(register_conn, *conn);
    assert_eq!(register.uri_path().unwrap(), ["rd"]);
    assert!(h.has_event(|e| matches!(e, Event::Registered { ssid: 7, .. })));
    let text = format!("{:?}", h.events);
    assert!(!text.contains("own-pkcs8"), "key bytes never in Debug output: {text}");
}

#[test]
fn a_bootstrapped_rpk_account_gets_its_own_session_and_finish_closes_the_bootstrap_one() {
    let mut h = Harness::with_bootstrap(rpk_platform_config(), 0, 0);
    h.start();
    let bs = h.accept_bootstrap_request();
    assert_eq!(h.write(bs, "/0", rpk_security(1, 1, OWN_KEY)).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 300)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    h.pump();
    // Finish closes the bootstrap session (after its 2.04 went out), as with our own DTLS.
    assert!(h.has_event(|e| *e == Event::Disconnect { conn: bs }), "{:?}", h.events);
    let connects = secure_connects(&h);
    assert_eq!(connects.len(), 1);
    assert_ne!(connects[0].0, bs, "the DM session is never the bootstrap one");
    assert_eq!(&connects[0].1.secret_key[..], OWN_KEY);
    let (conn, _) = h.accept_register(&["rd", "x"]);
    assert_eq!(conn, connects[0].0);
}

#[test]
fn a_bootstrap_server_account_the_platform_secures_is_flagged_bootstrap() {
    let mut h = psk_bootstrap_by_platform(b"bs-identity", b"bs-psk");
    h.start();
    let connects = secure_connects(&h);
    assert_eq!(connects.len(), 1);
    assert!(connects[0].1.bootstrap);
    assert_eq!(connects[0].1.mode, SecurityMode::Psk);
    assert_eq!(&connects[0].1.identity[..], b"bs-identity");
    let (conn, req) = h.next_sent();
    assert_eq!((conn, req.uri_path().unwrap()), (connects[0].0, vec!["bs"]));
}

#[test]
fn changed_security_material_closes_the_session_and_opens_a_new_one_before_the_next_register() {
    let mut h = Harness::with_bootstrap(rpk_platform_config(), 0, 0);
    h.start();
    let bs = h.accept_bootstrap_request();
    h.write(bs, "/0", rpk_security(1, 1, OWN_KEY));
    h.write(bs, "/1", dm_server(0, 1, 300));
    h.finish(bs);
    let (first, _) = h.accept_register(&["rd", "x"]);
    // A second bootstrap (the DM server asks for it) rewrites the key of the same account.
    h.client.trigger_bootstrap(h.now).unwrap();
    h.pump();
    let bs2 = loop {
        let (conn, req) = h.next_sent();
        if req.uri_path().unwrap() == ["bs"] {
            h.reply(conn, &req, Code::CHANGED);
            break conn;
        }
        h.reply(conn, &req, Code::DELETED);
    };
    h.write(bs2, "/0", rpk_security(1, 1, b"a-new-private-key"));
    h.write(bs2, "/1", dm_server(0, 1, 300));
    h.finish(bs2);
    h.pump();
    assert!(h.has_event(|e| *e == Event::Disconnect { conn: first }), "old session closed");
    let connects = secure_connects(&h);
    let last = connects.last().unwrap();
    assert_ne!(last.0, first);
    // The platform closes the old session (its close_notify) before it opens the new one
    // (its ClientHello): the Disconnect comes first.
    let at = |wanted: &dyn Fn(&Event) -> bool| h.events.iter().position(wanted).unwrap();
    let closed_at = at(&|e| *e == Event::Disconnect { conn: first });
    let opened_at = at(&|e| matches!(e, Event::ConnectSecure { conn, .. } if *conn == last.0));
    assert!(closed_at < opened_at, "{:?}", h.events);
    assert_eq!(&last.1.secret_key[..], b"a-new-private-key");
    let (conn, register) = h.accept_register(&["rd", "y"]);
    assert_eq!(conn, last.0, "the next Register goes through the new session");
    assert_eq!(register.uri_path().unwrap(), ["rd"]);
}

#[test]
fn a_handshake_failure_the_platform_reports_is_a_failed_attempt_with_its_alert_kept() {
    let mut h = Harness::new(rpk_platform_config());
    h.client.provision_server_account(&rpk_account(3, OWN_KEY)).unwrap();
    h.start();
    let (conn, _) = secure_connects(&h)[0].clone();
    let _register = h.next_sent();
    let failure = ChannelFailure { kind: FailureKind::PeerAlert, alert: Some(42) };
    h.client.handle_security_failure(h.now, conn, failure).unwrap();
    h.pump();
    assert!(h.has_event(|e| *e
        == Event::RegistrationFailed {
            ssid: 3,
            reason: RegistrationFailure::Handshake { alert: Some(42) }
        }));
    assert!(h.has_event(|e| *e == Event::Disconnect { conn }));
    let model = h.client.configuration();
    let server = model.server_for_ssid(3).unwrap().instance_id;
    assert_eq!(model.instance(1, server).unwrap().value(11), Some(&Value::Unsigned(42)));
    // The retry opens a new connection (a new handshake), never reusing the failed one.
    h.run_until(200_000, |h| secure_connects(h).len() == 2);
    assert_ne!(secure_connects(&h)[1].0, conn);
    assert_eq!(plain_connects(&h), 0);
}

#[test]
fn a_mode_the_platform_refuses_fails_the_account_and_never_falls_back_to_nosec() {
    let mut h = Harness::with_bootstrap(rpk_platform_config(), 0, 0);
    h.client.provision_server_account(&rpk_account(5, b"not-a-key")).unwrap();
    h.start();
    let (conn, _) = secure_connects(&h)[0].clone();
    h.outbox.clear();
    h.client.handle_security_refused(h.now, conn).unwrap();
    h.pump();
    assert!(h.has_event(|e| *e
        == Event::RegistrationFailed { ssid: 5, reason: RegistrationFailure::SecurityRefused }));
    assert!(h.has_event(|e| *e == Event::Disconnect { conn }));
    assert!(h.outbox.iter().all(|(c, _, _)| *c != conn), "nothing more on the refused session");
    assert_eq!(
        h.events
            .iter()
            .filter(|e| matches!(e, Event::Connect { uri, .. } if uri == DM_SECURE))
            .count(),
        0,
        "no plain connection to the secure server"
    );
}

#[test]
fn a_refused_bootstrap_server_session_fails_the_bootstrap_with_that_reason() {
    let mut h = psk_bootstrap_by_platform(b"bs", b"k");
    h.start();
    let (conn, _) = secure_connects(&h)[0].clone();
    h.client.handle_security_refused(h.now, conn).unwrap();
    h.pump();
    assert!(
        h.has_event(|e| *e == Event::BootstrapFailed { reason: BootstrapFailure::SecurityRefused })
    );
}

#[test]
fn only_the_platforms_connections_take_a_platform_failure() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    let (conn, _) = h.next_sent();
    let failure = ChannelFailure { kind: FailureKind::Timeout, alert: None };
    assert_eq!(
        h.client.handle_security_failure(h.now, conn, failure),
        Err(ClientError::UnknownConnection)
    );
    assert_eq!(
        h.client.handle_security_failure(h.now, ConnId(999), failure),
        Err(ClientError::UnknownConnection)
    );
    assert!(!h.has_event(|e| matches!(e, Event::BootstrapFailed { .. })));
}
