//! The whole `Client` over DTLS-PSK against libcoap peers on 127.0.0.1: registration with
//! `coap-rd-openssl -k KEY`, and handshake failures reported as registration and bootstrap
//! failures.
#![cfg(feature = "dtls")]

mod dtls;

use std::time::{Duration, Instant};

use dtls::net::Net;
use dtls::Peer;
use lwm2m_bootstrap::bootstrap::BootstrapFailure;
use lwm2m_bootstrap::client::{
    BootstrapAccountConfig, Client, Config, Event, SecurityConfig, ServerAccountConfig, State,
};
use lwm2m_bootstrap::model::SecurityMode;
use lwm2m_bootstrap::registration::RegistrationFailure;
use lwm2m_bootstrap::security::DtlsParams;

const KEY: &str = "Secret123";

fn psk(uri: String, key: &str) -> SecurityConfig {
    SecurityConfig {
        uri,
        mode: SecurityMode::Psk,
        identity: b"urn:dev:lwbs-dtls".to_vec().into(),
        server_key: Default::default(),
        secret_key: key.as_bytes().to_vec().into(),
    }
}

fn config() -> Config {
    let mut config = Config::new("urn:dev:lwbs-dtls");
    config.dtls = DtlsParams { handshake_min_ms: 300, handshake_max_ms: 1200, ..config.dtls };
    config.entropy.0 = [0x42; 32];
    config
}

fn server_account(port: u16, key: &str) -> ServerAccountConfig {
    ServerAccountConfig {
        ssid: 1,
        security: psk(format!("coaps://127.0.0.1:{}", port + 1), key),
        lifetime_s: 300,
        binding: "U".into(),
    }
}

#[test]
fn registers_over_dtls_psk_with_libcoap_rd() {
    let dir = dtls::temp_dir("rd-psk");
    let mut rd = Peer::libcoap("coap-rd-openssl", &["-k", KEY], &dir);
    let mut client = Client::new(config());
    client.provision_server_account(&server_account(rd.port, KEY)).unwrap();
    let mut net = Net::new(client);
    net.client.start(net.now()).unwrap();
    let event = net.run_until(Duration::from_secs(15), |e| {
        matches!(e, Event::Registered { .. } | Event::RegistrationFailed { .. })
    });
    match event {
        Some(Event::Registered { ssid: 1, location }) => assert!(location.starts_with("/rd/")),
        other => panic!("{other:?}\n{}", rd.output()),
    }
    assert_eq!(net.client.state(), State::Registered);
    assert!(rd.alive());
    // Port P+1 only speaks DTLS; and every datagram we sent was a DTLS record (handshake 22,
    // change cipher spec 20, alert 21, application data 23), none plain CoAP.
    assert!(net.sent.len() >= 3);
    assert!(net.sent.iter().all(|d| (20..=23).contains(&d[0]) && d[1..3] == [0xfe, 0xfd]));
}

#[test]
fn wrong_psk_is_a_registration_failure_within_the_handshake_timeout() {
    let dir = dtls::temp_dir("rd-wrong-psk");
    let rd = Peer::libcoap("coap-rd-openssl", &["-k", KEY], &dir);
    let mut client = Client::new(config());
    client.provision_server_account(&server_account(rd.port, "wrong-key")).unwrap();
    let mut net = Net::new(client);
    let start = Instant::now();
    net.client.start(net.now()).unwrap();
    let event = net.run_until(Duration::from_secs(15), |e| {
        matches!(e, Event::Registered { .. } | Event::RegistrationFailed { .. })
    });
    assert_eq!(
        event,
        Some(Event::RegistrationFailed {
            ssid: 1,
            reason: RegistrationFailure::Handshake { alert: None }
        })
    );
    // 300 + 600 + 1200 ms of retransmissions, then the handshake gives up.
    assert!(start.elapsed() < Duration::from_millis(2100 + 1000), "{:?}", start.elapsed());
}

#[test]
fn wrong_psk_for_the_bootstrap_server_is_a_bootstrap_failure() {
    let dir = dtls::temp_dir("bs-wrong-psk");
    let server = Peer::libcoap("coap-server-openssl", &["-k", KEY], &dir);
    let mut client = Client::new(config());
    client
        .provision_bootstrap_account(&BootstrapAccountConfig {
            security: psk(format!("coaps://127.0.0.1:{}", server.port + 1), "wrong-key"),
            hold_off_s: 0,
            account_timeout_s: 0,
        })
        .unwrap();
    let mut net = Net::new(client);
    net.client.start(net.now()).unwrap();
    let event =
        net.run_until(Duration::from_secs(15), |e| matches!(e, Event::BootstrapFailed { .. }));
    assert_eq!(
        event,
        Some(Event::BootstrapFailed { reason: BootstrapFailure::Handshake { alert: None } })
    );
    assert_eq!(net.client.state(), State::Failed);
    assert!(net.sockets.is_empty(), "the failed connection was closed");
}
