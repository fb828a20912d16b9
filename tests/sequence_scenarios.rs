//! The Bootstrap Sequence and the device's life (docs/spec-decisions.md): ETS 1.1-int-5/6/7, the 1.1
//! registration retry procedure with exact timings, priority order and failure block,
//! Bootstrap on Registration Failure, disabled servers, the bootstrap back-off, the `pct`
//! fallback, the 1.0 push, the /1/x/9 trigger, the Bootstrap-Server Account Timeout, Last
//! Bootstrapped, the firmware's objects in the bootstrap transaction and DM writes to /1.
//! Deterministic: a virtual clock and scripted servers over encoded CoAP datagrams.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use lwm2m_bootstrap::bootstrap::BootstrapFailure;
use lwm2m_bootstrap::client::{
    ClientError, Config, ConnId, Event, FirmwareObjects, State, StateReason,
};
use lwm2m_bootstrap::coap::{content_format as cf, Code, Message, MessageType};
use lwm2m_bootstrap::model::{server_res, Path, Value};
use lwm2m_bootstrap::registration::RegistrationFailure;

const DEAD_URI: &str = "coap://127.0.0.1:6001";
const OTHER_URI: &str = "coap://127.0.0.1:5699";

fn is_bootstrap_request(m: &Message) -> bool {
    m.code == Code::POST && m.uri_path().unwrap().last().copied() == Some("bs")
}

fn is_register(m: &Message) -> bool {
    m.code == Code::POST && m.uri_path().unwrap() == ["rd"]
}

/// Sends the client's next datagram back as a transport error and returns it.
fn fail_next_by_transport(h: &mut Harness) -> (ConnId, Message) {
    let (conn, msg) = h.next_sent();
    h.client.handle_transport_error(h.now, conn).unwrap();
    h.pump();
    (conn, msg)
}

/// Runs a whole client-initiated bootstrap provisioning ETS C.1 (server at `uri`, SSID 1).
fn bootstrap_to(h: &mut Harness, uri: &str) -> ConnId {
    let bs = h.accept_bootstrap_request();
    assert_eq!(h.write(bs, "/0", dm_security(1, uri, 1)).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 86400)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    bs
}

// ----- the sequence: ETS 1.1-int-6 and 1.1-int-7 ------------------------------------------

#[test]
fn lwm2m_1_1_int_6_valid_factory_configuration_never_sends_a_bootstrap_request() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:int6"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.start();
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Registering, StateReason::FactoryConfiguration)
    );
    let (_, reg) = h.accept_register(&["rd", "1"]);
    assert!(is_register(&reg));
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Registered, StateReason::FactoryConfiguration)
    );
    // Three days of Updates (answered at once): never a Bootstrap-Request.
    for _ in 0..(3 * 86_400 / 60) {
        h.advance(60_000);
        while let Some((conn, msg, _)) = h.outbox.pop_front() {
            assert!(!is_bootstrap_request(&msg));
            h.reply(conn, &msg, Code::CHANGED);
        }
    }
    assert!(h.count(|e| *e == Event::Updated { ssid: 1 }) > 1000);
    assert!(!h.has_event(|e| *e == Event::BootstrapStarted));
}

#[test]
fn lwm2m_1_1_int_6_without_a_server_account_bootstraps_then_registers() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:int6b"), 0, 0);
    h.start();
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Bootstrapping, StateReason::NoServerAccount)
    );
    bootstrap_to(&mut h, DM_URI);
    let (conn, reg) = h.accept_register(&["rd", "2"]);
    assert!(is_register(&reg));
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(DM_URI));
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Registered, StateReason::Bootstrapped)
    );
}

#[test]
fn lwm2m_1_1_int_7_unreachable_factory_server_then_hold_off_then_bootstrap_then_register() {
    // Defaults of Table 6.2.1.1-1: 5 attempts, 60 s × 2^(n−1) between them, 1 sequence.
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:int7"), 30, 0);
    h.provision_server(1, DEAD_URI, 300);
    h.start();
    let mut failed_at = h.now;
    for (n, wait_s) in [(1, 60u64), (2, 120), (3, 240), (4, 480)] {
        let (_, reg) = fail_next_by_transport(&mut h);
        assert!(is_register(&reg), "attempt {n}");
        failed_at = h.now;
        assert_eq!(h.client.state(), State::Registering);
        h.run_until(1_000_000, |h| !h.outbox.is_empty());
        assert_eq!(h.now - failed_at, wait_s * 1000, "wait after attempt {n}");
    }
    let (_, last) = fail_next_by_transport(&mut h);
    assert!(is_register(&last));
    assert_eq!(
        h.count(|e| matches!(
            e,
            Event::RegistrationFailed { ssid: 1, reason: RegistrationFailure::Transport }
        )),
        5
    );
    // Every attempt failed: the hold-off, listening on a connection to the BS.
    let hold_off_start = h.now;
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::HoldOff, StateReason::RegistrationFailed)
    );
    let listening: Vec<ConnId> =
        h.conns.iter().filter(|(_, u)| u.as_str() == BS_URI).map(|(c, _)| *c).collect();
    assert_eq!(listening.len(), 1, "a connection to the BS is open to listen");
    h.assert_nothing_sent();
    h.run_until(100_000, |h| h.has_event(|e| *e == Event::BootstrapStarted));
    assert_eq!(h.now - hold_off_start, 30_000, "Client Hold Off Time");
    let (conn, req) = h.outbox.front().map(|(c, m, _)| (*c, m.clone())).unwrap();
    assert!(is_bootstrap_request(&req));
    assert_eq!(conn, listening[0], "the request goes out on the listening connection");
    bootstrap_to(&mut h, DM_URI);
    let (dm, _) = h.accept_register(&["rd", "7"]);
    assert_eq!(h.conns.get(&dm).map(String::as_str), Some(DM_URI));
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Registered, StateReason::Bootstrapped)
    );
    let _ = failed_at;
}

#[test]
fn registration_timeouts_count_as_failed_attempts() {
    let mut config = Config::new("urn:dev:timeouts");
    config.retry_defaults.retry_count = 2;
    config.retry_defaults.retry_timer_s = 10;
    let mut h = Harness::with_bootstrap(config, 0, 0);
    h.provision_server(1, DEAD_URI, 300);
    h.start();
    h.run_until(200_000, |h| {
        h.has_event(|e| {
            matches!(e, Event::RegistrationFailed { reason: RegistrationFailure::Timeout, .. })
        })
    });
    let failed_at = h.now;
    assert_eq!(h.outbox.drain(..).count(), 5, "one Register and 4 retransmissions");
    h.run_until(20_000, |h| !h.outbox.is_empty());
    assert_eq!(h.now - failed_at, 10_000);
    assert!(is_register(&h.next_sent().1));
    h.run_until(200_000, |h| h.has_event(|e| *e == Event::BootstrapStarted));
    assert_eq!(h.count(|e| matches!(e, Event::RegistrationFailed { .. })), 2);
}

#[test]
fn retry_parameters_of_the_server_instance_are_honoured() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:params"), 0, 0);
    h.provision_server(1, DEAD_URI, 300);
    h.set_server_resources(
        1,
        &[
            (17, Value::Integer(2)),
            (18, Value::Integer(10)),
            (19, Value::Integer(100)),
            (20, Value::Integer(2)),
        ],
    );
    h.start();
    let mut times = vec![h.now];
    for _ in 0..3 {
        fail_next_by_transport(&mut h);
        h.run_until(1_000_000, |h| !h.outbox.is_empty());
        times.push(h.now);
    }
    let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, [10_000, 100_000, 10_000], "retry timer, sequence delay, retry timer");
    fail_next_by_transport(&mut h);
    assert!(
        h.has_event(|e| *e == Event::BootstrapStarted),
        "2 sequences × 2 attempts, then bootstrap"
    );
}

#[test]
fn sequence_delay_max_value_means_no_further_sequence() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:never"), 0, 0);
    h.provision_server(1, DEAD_URI, 300);
    h.set_server_resources(
        1,
        &[(17, Value::Integer(1)), (19, Value::Integer(u32::MAX as i64)), (20, Value::Integer(9))],
    );
    h.start();
    fail_next_by_transport(&mut h);
    assert!(h.has_event(|e| *e == Event::BootstrapStarted));
}

#[test]
fn initial_registration_delay_applies_before_the_first_attempt() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:delay"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.set_server_resources(1, &[(14, Value::Integer(5))]);
    h.start();
    let start = h.now;
    h.assert_nothing_sent();
    assert_eq!(h.client.state(), State::Registering);
    h.run_until(10_000, |h| !h.outbox.is_empty());
    assert_eq!(h.now - start, 5_000);
    assert!(is_register(&h.next_sent().1));
}

#[test]
fn explicit_rejection_ends_the_procedure_at_once() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:403"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.start();
    let (dm, reg) = h.next_sent();
    h.reply(dm, &reg, Code::FORBIDDEN);
    assert!(h.has_event(|e| *e == Event::BootstrapStarted), "4.03: no retries, bootstrap");
    assert_eq!(h.client.state_reason(), StateReason::RegistrationFailed);
}

#[test]
fn a_5_xx_answer_is_retried() {
    let mut config = Config::new("urn:dev:503");
    config.retry_defaults.retry_timer_s = 1;
    let mut h = Harness::with_bootstrap(config, 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.start();
    let (dm, reg) = h.next_sent();
    h.reply(dm, &reg, Code::SERVICE_UNAVAILABLE);
    assert!(!h.has_event(|e| *e == Event::BootstrapStarted));
    h.run_until(2_000, |h| !h.outbox.is_empty());
    assert!(is_register(&h.next_sent().1));
}

#[test]
fn a_2_01_without_location_path_is_a_failed_registration_attempt() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:noloc"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.start();
    let (dm, reg) = h.next_sent();
    h.reply(dm, &reg, Code::CREATED);
    assert!(h.has_event(|e| matches!(
        e,
        Event::RegistrationFailed { ssid: 1, reason: RegistrationFailure::NoLocation }
    )));
    assert!(!h.has_event(|e| matches!(e, Event::Registered { .. })));
    // Retried as any failed attempt; a proper 2.01 registers.
    h.run_until(120_000, |h| !h.outbox.is_empty());
    let (dm, reg) = h.next_sent();
    assert!(is_register(&reg));
    let mut ack = Message::response_to(&reg, Code::CREATED);
    ack.set_location_path(&["rd", "7"]);
    h.deliver(dm, &ack);
    assert!(h.has_event(
        |e| matches!(e, Event::Registered { ssid: 1, location } if location == "/rd/7")
    ));
}

#[test]
fn priority_order_registers_one_after_another() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:prio"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.provision_server(2, OTHER_URI, 300);
    h.set_server_resources(1, &[(13, Value::Integer(2))]);
    h.set_server_resources(2, &[(13, Value::Integer(1))]);
    h.start();
    let (first, reg) = h.next_sent();
    assert_eq!(h.conns.get(&first).map(String::as_str), Some(OTHER_URI), "priority 1 first");
    h.assert_nothing_sent();
    let mut ack = Message::response_to(&reg, Code::CREATED);
    ack.set_location_path(&["rd", "a"]);
    h.deliver(first, &ack);
    let (second, _) = h.next_sent();
    assert_eq!(h.conns.get(&second).map(String::as_str), Some(DM_URI), "then priority 2");
}

#[test]
fn registration_failure_block_stops_the_ordered_servers_after_a_failure() {
    for block in [true, false] {
        let mut h = Harness::with_bootstrap(Config::new("urn:dev:block"), 0, 0);
        h.provision_server(1, DM_URI, 300);
        h.provision_server(2, OTHER_URI, 300);
        h.set_server_resources(1, &[(13, Value::Integer(2))]);
        h.set_server_resources(2, &[(13, Value::Integer(1)), (15, Value::Boolean(block))]);
        h.start();
        let (first, reg) = h.next_sent();
        assert_eq!(h.conns.get(&first).map(String::as_str), Some(OTHER_URI));
        h.reply(first, &reg, Code::FORBIDDEN);
        let (conn, next) = h.next_sent();
        if block {
            assert!(is_bootstrap_request(&next), "blocked: straight to the bootstrap");
            assert_eq!(h.conns.get(&conn).map(String::as_str), Some(BS_URI));
        } else {
            assert!(is_register(&next), "not blocked: the next server is tried");
            assert_eq!(h.conns.get(&conn).map(String::as_str), Some(DM_URI));
            assert!(!h.has_event(|e| *e == Event::BootstrapStarted));
        }
    }
}

#[test]
fn bootstrap_on_registration_failure_false_means_no_bootstrap() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:borf"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.set_server_resources(1, &[(16, Value::Boolean(false))]);
    h.start();
    let (dm, reg) = h.next_sent();
    h.reply(dm, &reg, Code::FORBIDDEN);
    h.advance(3_600_000);
    assert!(!h.has_event(|e| *e == Event::BootstrapStarted));
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Failed, StateReason::RegistrationFailed)
    );
    h.assert_nothing_sent();
}

#[test]
fn one_failed_server_among_working_ones_is_no_reason_to_bootstrap() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:multi"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.provision_server(2, OTHER_URI, 300);
    h.start();
    let sent: Vec<(ConnId, Message)> = (0..2).map(|_| h.next_sent()).collect();
    for (conn, reg) in &sent {
        if h.conns.get(conn).map(String::as_str) == Some(OTHER_URI) {
            h.reply(*conn, reg, Code::FORBIDDEN);
        } else {
            let mut ack = Message::response_to(reg, Code::CREATED);
            ack.set_location_path(&["rd", "ok"]);
            h.deliver(*conn, &ack);
        }
    }
    assert_eq!(h.client.state(), State::Registered);
    assert!(!h.has_event(|e| *e == Event::BootstrapStarted));
}

#[test]
fn a_disabled_server_is_not_a_registration_failure() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:disable"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.set_server_resources(1, &[(5, Value::Integer(30))]);
    h.start();
    let (dm, _) = h.accept_register(&["rd", "d"]);
    let exec = h.server_request(Code::POST, "/1/0/4");
    let executed_at = h.now;
    assert_eq!(h.request(dm, exec).code, Code::CHANGED, "2.04 first");
    let (_, dereg) = h.next_sent();
    assert_eq!((dereg.code, dereg.uri_path().unwrap()), (Code::DELETE, vec!["rd", "d"]));
    h.reply(dm, &dereg, Code::DELETED);
    assert!(h.has_event(|e| *e == Event::Deregistered { ssid: 1 }));
    assert_eq!(h.client.state(), State::Registering);
    h.run_until(60_000, |h| !h.outbox.is_empty());
    assert_eq!(h.now - executed_at, 30_000, "Disable Timeout");
    assert!(is_register(&h.next_sent().1));
    assert!(!h.has_event(|e| *e == Event::BootstrapStarted));
}

#[test]
fn a_fresh_start_after_a_total_failure_tries_the_servers_first() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:again"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.start();
    let (dm, reg) = h.next_sent();
    h.reply(dm, &reg, Code::FORBIDDEN);
    let (bs, req) = h.next_sent();
    assert!(is_bootstrap_request(&req));
    h.reply(bs, &req, Code::FORBIDDEN);
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Failed, StateReason::BootstrapFailed)
    );
    h.client.stop(h.now).unwrap();
    h.pump();
    assert_eq!(h.client.state(), State::Idle);
    h.start();
    let (conn, first) = h.next_sent();
    assert!(is_register(&first), "servers before the Bootstrap-Server");
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(DM_URI));
}

// ----- no bootstrap storm ---------------------------------------------------------------------

#[test]
fn failed_bootstraps_back_off_exponentially_with_jitter_up_to_the_cap_and_a_success_resets() {
    let mut config = Config::new("urn:dev:storm");
    config.bootstrap_backoff_base_ms = 1_000;
    config.bootstrap_backoff_cap_ms = 8_000;
    let mut h = Harness::with_bootstrap(config, 0, 0);
    h.start();
    let mut delays = Vec::new();
    for n in 1..=7u32 {
        let (bs, req) = h.next_sent();
        assert!(is_bootstrap_request(&req));
        h.reply(bs, &req, Code::FORBIDDEN);
        assert_eq!(h.client.bootstrap_failures(), n);
        assert_eq!(h.client.state_reason(), StateReason::BootstrapFailed);
        let failed_at = h.now;
        h.run_until(10_000, |h| !h.outbox.is_empty());
        let delay = h.now - failed_at;
        let nominal = (1_000u64 << (n - 1)).min(8_000);
        assert!(
            delay >= nominal / 2 && delay <= nominal,
            "failure {n}: {delay} ms, nominal {nominal}"
        );
        assert_eq!(h.client.state_reason(), StateReason::BootstrapRetry);
        delays.push(delay);
    }
    assert!(delays[3..].iter().all(|&d| d <= 8_000), "capped: {delays:?}");
    assert!(
        delays.iter().enumerate().any(|(i, &d)| d != (1_000u64 << i).min(8_000)),
        "jitter: {delays:?}"
    );
    // A success resets the back-off.
    bootstrap_to(&mut h, DM_URI);
    assert_eq!(h.client.bootstrap_failures(), 0);
    // The provisioned server rejects: bootstrap again, rejected: the first delay again.
    let (dm, reg) = h.next_sent();
    h.reply(dm, &reg, Code::FORBIDDEN);
    let (bs, req) = h.next_sent();
    assert!(is_bootstrap_request(&req));
    h.reply(bs, &req, Code::FORBIDDEN);
    let failed_at = h.now;
    h.run_until(10_000, |h| !h.outbox.is_empty());
    assert!(h.now - failed_at <= 1_000);
}

#[test]
fn a_1_1_request_answered_4_00_is_retried_once_as_1_0_without_pct() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:pct"), 0, 0);
    h.start();
    let (bs, first) = h.next_sent();
    assert_eq!(first.uri_query().unwrap(), ["ep=urn:dev:pct", "pct=11542"]);
    h.reply(bs, &first, Code::BAD_REQUEST);
    let (again_conn, again) = h.next_sent();
    assert_eq!(again_conn, bs, "same connection");
    assert_eq!(again.uri_query().unwrap(), ["ep=urn:dev:pct"], "1.0: no pct");
    assert!(!h.has_event(|e| matches!(e, Event::BootstrapFailed { .. })));
    assert_eq!(h.count(|e| *e == Event::BootstrapStarted), 1);
    h.reply(bs, &again, Code::BAD_REQUEST);
    assert!(h
        .has_event(|e| *e
            == Event::BootstrapFailed { reason: BootstrapFailure::Rejected(Code::BAD_REQUEST) }));
    h.assert_nothing_sent();
    // A 1.0 server that accepts the plain request bootstraps normally.
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:pct2"), 0, 0);
    h.start();
    let (bs, first) = h.next_sent();
    h.reply(bs, &first, Code::BAD_REQUEST);
    let (_, again) = h.next_sent();
    h.reply(bs, &again, Code::CHANGED);
    assert_eq!(h.write(bs, "/0", dm_security(1, DM_URI, 1)).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 60)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    // Other codes are not retried.
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:pct3"), 0, 0);
    h.start();
    let (bs, first) = h.next_sent();
    h.reply(bs, &first, Code::FORBIDDEN);
    h.assert_nothing_sent();
    assert!(h.has_event(|e| matches!(e, Event::BootstrapFailed { .. })));
}

#[test]
fn a_transport_error_fails_the_bootstrap_request_at_once() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:icmp"), 0, 0);
    h.start();
    fail_next_by_transport(&mut h);
    assert!(h.has_event(|e| *e == Event::BootstrapFailed { reason: BootstrapFailure::Transport }));
    assert_eq!(h.client.state_reason(), StateReason::BootstrapFailed);
    assert_eq!(
        h.client.handle_transport_error(h.now, ConnId(999)),
        Err(ClientError::UnknownConnection)
    );
}

// ----- server-initiated bootstrap ---------------------------------------------------------------

#[test]
fn a_1_0_push_during_the_hold_off_is_accepted_from_the_bootstrap_server() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:push"), 60, 0);
    let early = h.server_request(Code::PUT, "/0").encode();
    assert_eq!(
        h.client.handle_datagram(h.now, ConnId(1), &early),
        Err(ClientError::UnknownConnection),
        "before the start (steps 1 and 2) nothing listens"
    );
    h.start();
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::HoldOff, StateReason::NoServerAccount)
    );
    let listen = *h.conns.keys().next().unwrap();
    assert_eq!(h.conns[&listen], BS_URI);
    h.assert_nothing_sent();
    h.advance(10_000);
    // The BS pushes without a Bootstrap-Request (1.0 server-initiated).
    assert_eq!(h.write(listen, "/0", dm_security(1, DM_URI, 1)).code, Code::CHANGED);
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Bootstrapping, StateReason::ServerPush)
    );
    assert!(h.has_event(|e| *e == Event::BootstrapStarted));
    assert_eq!(h.write(listen, "/1", dm_server(0, 1, 300)).code, Code::CHANGED);
    assert_eq!(h.finish(listen).code, Code::CHANGED);
    let (_, reg) = h.accept_register(&["rd", "p"]);
    assert!(is_register(&reg));
    h.advance(120_000);
    assert_eq!(h.count(|e| *e == Event::BootstrapStarted), 1, "the hold-off was cancelled");
    assert_eq!(h.client.state(), State::Registered);
}

#[test]
fn a_push_from_a_dm_server_is_not_a_bootstrap() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:nopush"), 0, 0);
    h.provision_server(1, DM_URI, 300);
    h.start();
    let (dm, _) = h.accept_register(&["rd", "1"]);
    let before = h.client.configuration().clone();
    let mut write = h.server_request(Code::PUT, "/0");
    write.set_content_format(cf::TLV);
    write.payload = dm_security(4, OTHER_URI, 4);
    assert_eq!(h.request(dm, write).code, Code::UNAUTHORIZED);
    let fin = h.server_request(Code::POST, "/bs");
    assert_eq!(h.request(dm, fin).code, Code::BAD_REQUEST);
    assert_eq!(h.client.configuration(), &before);
    assert!(!h.has_event(|e| *e == Event::BootstrapStarted));
}

/// A registered client with a factory server and the BS account; returns the DM connection.
fn registered(h: &mut Harness) -> ConnId {
    h.provision_server(1, DM_URI, 300);
    h.start();
    h.accept_register(&["rd", "1"]).0
}

#[test]
fn lwm2m_1_1_int_5_trigger_answers_2_04_before_the_bootstrap_request() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:int5"), 0, 0);
    let dm = registered(&mut h);
    let exec = h.server_request(Code::POST, "/1/0/9");
    h.deliver(dm, &exec);
    let (c1, ack) = h.next_sent();
    assert_eq!((c1, ack.message_type, ack.code), (dm, MessageType::Acknowledgement, Code::CHANGED));
    let (c2, req) = h.next_sent();
    assert!(is_bootstrap_request(&req), "then the Bootstrap-Request");
    assert_eq!(h.conns.get(&c2).map(String::as_str), Some(BS_URI));
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Bootstrapping, StateReason::ServerTrigger)
    );
    // During the bootstrap DM requests are refused and a second trigger too (5.03).
    assert_eq!(h.get(dm, "/1/0/1").code, Code::SERVICE_UNAVAILABLE);
    let second = h.server_request(Code::POST, "/1/0/9");
    assert_eq!(h.request(dm, second).code, Code::SERVICE_UNAVAILABLE);
    assert_eq!(h.count(|e| *e == Event::BootstrapStarted), 1);
    h.reply(c2, &req, Code::CHANGED);
    assert_eq!(h.write(c2, "/0", dm_security(1, OTHER_URI, 1)).code, Code::CHANGED);
    assert_eq!(h.finish(c2).code, Code::CHANGED);
    let (conn, reg) = h.accept_register(&["rd", "2"]);
    assert!(is_register(&reg));
    assert_eq!(
        h.conns.get(&conn).map(String::as_str),
        Some(OTHER_URI),
        "only what was written changed"
    );
    assert_eq!(h.client.configuration().server_for_ssid(1).unwrap().lifetime_s(), 300);
}

#[test]
fn retransmitted_bootstrap_trigger_executes_once() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:dup"), 0, 0);
    let dm = registered(&mut h);
    let exec = h.server_request(Code::POST, "/1/0/9");
    h.deliver(dm, &exec);
    let (_, first) = h.next_sent();
    h.next_sent();
    h.deliver(dm, &exec); // the 2.04 was lost: the server retransmits
    let (_, again) = h.next_sent();
    assert_eq!(again.encode(), first.encode(), "the cached answer");
    h.assert_nothing_sent();
    assert_eq!(h.count(|e| *e == Event::BootstrapStarted), 1, "executed once");
}

#[test]
fn bootstrap_trigger_is_4_05_without_a_bootstrap_account() {
    let mut h = Harness::new(Config::new("urn:dev:nobs"));
    let dm = registered(&mut h);
    let exec = h.server_request(Code::POST, "/1/0/9");
    assert_eq!(h.request(dm, exec).code, Code::METHOD_NOT_ALLOWED);
    let missing = h.server_request(Code::POST, "/1/7/9");
    assert_eq!(h.request(dm, missing).code, Code::NOT_FOUND);
}

// ----- Bootstrap-Server Account Timeout, Last Bootstrapped ---------------------------------------

#[test]
fn bootstrap_account_is_purged_after_its_timeout_and_last_bootstrapped_is_stamped() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:purge"), 0, 100);
    h.client.set_time(h.now, 1_700_000_000);
    let set_at = h.now;
    h.advance(5_000);
    h.start();
    let bs = h.accept_bootstrap_request();
    assert_eq!(h.write(bs, "/0", dm_security(1, DM_URI, 1)).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 86400)).code, Code::CHANGED);
    let finished_at = h.now;
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    let server = h.client.configuration().server_for_ssid(1).unwrap();
    let expected = 1_700_000_000 + ((finished_at - set_at) / 1000) as i64;
    assert_eq!(server.instance.value(server_res::LAST_BOOTSTRAPPED), Some(&Value::Time(expected)));
    let (dm, _) = h.accept_register(&["rd", "1"]);
    let read = h.get(dm, "/1/0/12");
    assert_eq!(read.code, Code::CONTENT);
    h.advance_to(finished_at + 100_000 - 1);
    assert!(h.client.configuration().bootstrap_account().is_some());
    h.advance(1);
    assert!(h.client.configuration().bootstrap_account().is_none(), "purged after /0/x/12");
    assert!(h.has_event(|e| *e == Event::BootstrapAccountPurged));
    assert_eq!(h.events.last(), Some(&Event::ConfigurationChanged));
    let exec = h.server_request(Code::POST, "/1/0/9");
    assert_eq!(h.request(dm, exec).code, Code::METHOD_NOT_ALLOWED, "4.05 once the account is gone");
    assert_eq!(h.client.state(), State::Registered);
}

#[test]
fn without_a_wall_clock_last_bootstrapped_stays_absent_and_no_timeout_means_no_purge() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:noclock"), 0, 0);
    h.start();
    bootstrap_to(&mut h, DM_URI);
    let server = h.client.configuration().server_for_ssid(1).unwrap();
    assert_eq!(server.instance.value(server_res::LAST_BOOTSTRAPPED), None);
    h.accept_register(&["rd", "1"]);
    h.advance(10 * 86_400_000);
    assert!(h.client.configuration().bootstrap_account().is_some());
}

// ----- the firmware's own objects in the bootstrap transaction ------------------------------------

#[derive(Clone, Default)]
struct Objects {
    log: Arc<Mutex<Vec<String>>>,
    veto: Arc<Mutex<bool>>,
}

fn show(path: &Path) -> String {
    if path.is_root() {
        return "/".into();
    }
    path.ids().iter().map(|i| format!("/{i}")).collect()
}

impl FirmwareObjects for Objects {
    fn begin(&mut self) {
        self.log.lock().unwrap().push("begin".into());
    }
    fn write(&mut self, path: &Path, content_format: u16, payload: &[u8]) -> Code {
        self.log.lock().unwrap().push(format!(
            "write {} {content_format} {}",
            show(path),
            payload.len()
        ));
        Code::CHANGED
    }
    fn delete(&mut self, path: &Path) -> Code {
        self.log.lock().unwrap().push(format!("delete {}", show(path)));
        Code::DELETED
    }
    fn validate(&mut self) -> bool {
        self.log.lock().unwrap().push("validate".into());
        !*self.veto.lock().unwrap()
    }
    fn end(&mut self, commit: bool) {
        self.log.lock().unwrap().push(format!("end {commit}"));
    }
}

impl Objects {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

#[test]
fn firmware_objects_are_written_in_the_bootstrap_transaction_veto_then_commit() {
    let objects = Objects::default();
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:fw"), 0, 0);
    h.client.set_bootstrap_handler(Some(Box::new(objects.clone()))).unwrap();
    h.start();
    let bs = h.accept_bootstrap_request();
    let device = instance(0, &[res_str(0, "ACME")]);
    assert_eq!(h.write(bs, "/5/0", device.clone()).code, Code::CHANGED);
    let del = h.server_request(Code::DELETE, "/5/1");
    assert_eq!(h.request(bs, del).code, Code::DELETED);
    let del3 = h.server_request(Code::DELETE, "/3/0");
    assert_eq!(h.request(bs, del3).code, Code::BAD_REQUEST, "/3/0 is never deleted");
    assert_eq!(h.write(bs, "/0", dm_security(1, DM_URI, 1)).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 300)).code, Code::CHANGED);
    // The firmware vetoes: 4.06; everything stays staged and the session stays open.
    *objects.veto.lock().unwrap() = true;
    assert_eq!(h.finish(bs).code, Code::NOT_ACCEPTABLE);
    assert_eq!(
        objects.take(),
        [
            "begin".to_string(),
            format!("write /5/0 11542 {}", device.len()),
            "delete /5/1".into(),
            "validate".into(),
        ]
    );
    assert_eq!(
        h.client.configuration().server_account_pairs().count(),
        0,
        "nothing committed by a refused Finish"
    );
    assert!(h.has_event(|e| matches!(e, Event::BootstrapFinishRefused { .. })));
    // Corrected by a server that starts over (deletes first): the same transaction, committed.
    *objects.veto.lock().unwrap() = false;
    let del_all = h.server_request(Code::DELETE, "/");
    assert_eq!(h.request(bs, del_all).code, Code::DELETED);
    assert_eq!(h.write(bs, "/5/0", device.clone()).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/0", dm_security(1, DM_URI, 1)).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 300)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    assert_eq!(
        objects.take(),
        [
            "delete /".to_string(),
            format!("write /5/0 11542 {}", device.len()),
            "validate".into(),
            "end true".into(),
        ]
    );
    assert_eq!(h.client.configuration().server_account_pairs().count(), 1);
}

#[test]
fn a_refused_finish_keeps_the_staged_writes_for_a_corrected_finish() {
    // The Server instance is missing: 4.06. The server writes only /1 and finishes again.
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:fix"), 0, 0);
    h.start();
    let bs = h.accept_bootstrap_request();
    assert_eq!(h.write(bs, "/0", dm_security(1, DM_URI, 1)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::NOT_ACCEPTABLE);
    assert!(h.has_event(|e| matches!(e, Event::BootstrapFinishRefused { findings: 1.. })));
    assert_eq!(h.client.configuration().server_account_pairs().count(), 0);
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 300)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    assert_eq!(h.client.configuration().server_account_pairs().count(), 1);
}

#[test]
fn a_session_that_ends_after_a_refused_finish_keeps_the_committed_configuration() {
    let objects = Objects::default();
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:cut"), 0, 0);
    h.client.set_bootstrap_handler(Some(Box::new(objects.clone()))).unwrap();
    h.start();
    let bs = h.accept_bootstrap_request();
    let before = h.client.configuration().clone();
    assert_eq!(h.write(bs, "/5/0", instance(0, &[res_int(1, 1)])).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/0", dm_security(1, DM_URI, 1)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::NOT_ACCEPTABLE);
    // No corrected Finish: the session times out; the staged writes and the firmware's
    // transaction are dropped, the committed configuration is what it was.
    h.advance(247_000);
    assert!(h.has_event(|e| matches!(e, Event::BootstrapFailed { .. })));
    assert_eq!(objects.take().last().map(String::as_str), Some("end false"));
    assert_eq!(h.client.configuration(), &before);
}

#[test]
fn firmware_objects_are_rolled_back_when_the_bootstrap_fails() {
    let objects = Objects::default();
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:fw2"), 0, 0);
    h.client.set_bootstrap_handler(Some(Box::new(objects.clone()))).unwrap();
    h.start();
    let bs = h.accept_bootstrap_request();
    assert_eq!(h.write(bs, "/5/0", instance(0, &[res_int(1, 1)])).code, Code::CHANGED);
    h.advance(247_000);
    assert!(
        h.has_event(|e| *e == Event::BootstrapFailed { reason: BootstrapFailure::FinishTimeout })
    );
    let log = objects.take();
    assert_eq!(log.first().map(String::as_str), Some("begin"));
    assert_eq!(log.last().map(String::as_str), Some("end false"));
    assert!(!log.contains(&"validate".to_string()));
}

#[test]
fn without_a_firmware_handler_writes_to_its_objects_are_4_04() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:fw3"), 0, 0);
    h.start();
    let bs = h.accept_bootstrap_request();
    assert_eq!(h.write(bs, "/5/0", instance(0, &[res_int(1, 1)])).code, Code::NOT_FOUND);
}

// ----- DM writes to /1 ------------------------------------------------------------------------------

#[test]
fn dm_writes_to_the_server_object_take_effect_with_an_update() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:dmw"), 0, 0);
    let dm = registered(&mut h);
    let mut put = h.server_request(Code::PUT, "/1/0/1");
    put.set_content_format(cf::TEXT_PLAIN);
    put.payload = b"120".to_vec();
    assert_eq!(h.request(dm, put).code, Code::CHANGED);
    let (c, upd) = h.next_sent();
    assert_eq!((c, upd.uri_path().unwrap()), (dm, vec!["rd", "1"]));
    assert_eq!(upd.uri_query().unwrap(), ["lt=120"]);
    h.reply(dm, &upd, Code::CHANGED);
    assert_eq!(h.client.configuration().server_for_ssid(1).unwrap().lifetime_s(), 120);
    assert!(h.has_event(|e| *e == Event::ConfigurationChanged));
    // Partial update of the instance: binding.
    let mut post = h.server_request(Code::POST, "/1/0");
    post.set_content_format(cf::TLV);
    post.payload = res_str(7, "UQ");
    assert_eq!(h.request(dm, post).code, Code::CHANGED);
    let (_, upd) = h.next_sent();
    assert_eq!(upd.uri_query().unwrap(), ["b=UQ"]);
    h.reply(dm, &upd, Code::CHANGED);
    // Read-only and bootstrap-only resources are 4.05; nothing is sent.
    for (rid, payload) in [(0u16, "9"), (13, "1")] {
        let mut put = h.server_request(Code::PUT, &format!("/1/0/{rid}"));
        put.set_content_format(cf::TEXT_PLAIN);
        put.payload = payload.as_bytes().to_vec();
        assert_eq!(h.request(dm, put).code, Code::METHOD_NOT_ALLOWED, "/1/0/{rid}");
    }
    // A write that changes neither lifetime nor binding sends no Update.
    let mut put = h.server_request(Code::PUT, "/1/0/17");
    put.set_content_format(cf::TEXT_PLAIN);
    put.payload = b"2".to_vec();
    assert_eq!(h.request(dm, put).code, Code::CHANGED);
    h.assert_nothing_sent();
    assert_eq!(h.client.registration_plan().get(1).unwrap().params.retry_count, 2);
}

/// DM Read of /1 in the Accept format: TLV without Accept, SenML JSON (feature senml-json),
/// text/plain for one single resource; 4.06 for a format this build cannot write (issue 14).
#[test]
fn dm_reads_answer_in_the_accept_format() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:dmr"), 0, 0);
    let dm = registered(&mut h);
    let read = |h: &mut Harness, path: &str, accept: Option<u16>| {
        let mut get = h.server_request(Code::GET, path);
        if let Some(accept) = accept {
            get.set_accept(accept);
        }
        let resp = h.request(dm, get);
        (resp.code, resp.content_format(), String::from_utf8_lossy(&resp.payload).into_owned())
    };
    let (code, format, _) = read(&mut h, "/1/0", None);
    assert_eq!((code, format), (Code::CONTENT, Some(cf::TLV)));
    assert_eq!(
        read(&mut h, "/1/0/1", Some(cf::TEXT_PLAIN)),
        (Code::CONTENT, Some(cf::TEXT_PLAIN), "300".into())
    );
    assert_eq!(read(&mut h, "/1/0", Some(cf::TEXT_PLAIN)).0, Code::NOT_ACCEPTABLE);
    assert_eq!(read(&mut h, "/1", Some(cf::LWM2M_JSON)).0, Code::NOT_ACCEPTABLE);
    assert_eq!(read(&mut h, "/1/0/1", Some(cf::LWM2M_JSON)).0, Code::NOT_ACCEPTABLE);
    if cfg!(feature = "senml-json") {
        let (code, format, text) = read(&mut h, "/1/0/1", Some(cf::SENML_JSON));
        assert_eq!((code, format), (Code::CONTENT, Some(cf::SENML_JSON)));
        assert_eq!(text, r#"[{"bn":"/1/0/","n":"1","v":300}]"#);
        let (code, _, text) = read(&mut h, "/1", Some(cf::SENML_JSON));
        assert_eq!(code, Code::CONTENT);
        assert!(text.starts_with(r#"[{"bn":"/1/0/","n":"0","v":1},{"n":"1","v":300},"#), "{text}");
    } else {
        assert_eq!(read(&mut h, "/1", Some(cf::SENML_JSON)).0, Code::NOT_ACCEPTABLE);
    }
}

#[test]
fn stop_during_the_hold_off_closes_the_listening_connection() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:stop"), 60, 0);
    h.start();
    assert_eq!(h.conns.len(), 1);
    h.client.stop(h.now).unwrap();
    h.pump();
    assert!(h.conns.is_empty());
    assert_eq!((h.client.state(), h.client.state_reason()), (State::Idle, StateReason::None));
    h.advance(120_000);
    h.assert_nothing_sent();
}

#[test]
fn trigger_bootstrap_ends_the_hold_off_early() {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:api"), 600, 0);
    h.start();
    h.client.trigger_bootstrap(h.now).unwrap();
    h.pump();
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Bootstrapping, StateReason::Application)
    );
    assert!(is_bootstrap_request(&h.next_sent().1));
}
