//! Whole-engine scenarios named after the OMA ETS cases (LwM2M Enabler Test Specification),
//! driven with a virtual clock against scripted Bootstrap and DM servers over encoded CoAP
//! datagrams.

mod common;

use common::*;
use lwm2m_bootstrap::bootstrap::BootstrapFailure;
use lwm2m_bootstrap::client::{Event, State, StateReason};
use lwm2m_bootstrap::coap::{content_format as cf, BlockOption, Code, Message, MessageType};
use lwm2m_bootstrap::model::{security_res, Origin};

/// Runs the standard client-initiated flow of int-0 up to (not including) Finish.
fn write_c1(h: &mut Harness, bs: lwm2m_bootstrap::client::ConnId) {
    // The factory Bootstrap-Server account sits at /0/0, so the server account goes to /0/1.
    let resp = h.write(bs, "/0", dm_security(1, DM_URI, 1));
    assert_eq!(resp.code, Code::CHANGED);
    let resp = h.write(bs, "/1", dm_server(0, 1, 86400));
    assert_eq!(resp.code, Code::CHANGED);
}

#[test]
fn lwm2m_1_1_int_0_client_initiated_bootstrap_then_register() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    assert_eq!(h.client.state(), State::Bootstrapping);
    // Step 1: POST /bs?ep=...&pct=11542
    let (bs, req) = h.next_sent();
    assert_eq!(req.message_type, MessageType::Confirmable);
    assert_eq!(req.uri_path().unwrap(), ["bs"]);
    assert_eq!(req.uri_query().unwrap(), ["ep=urn:dev:test-1", "pct=11542"]);
    h.deliver(bs, &Message::response_to(&req, Code::CHANGED));
    // Step 2: object-level writes of /0 and /1 (ETS C.1).
    write_c1(&mut h, bs);
    // Step 3: Discover /.
    let disc = h.discover(bs, "/");
    assert_eq!(disc.code, Code::CONTENT);
    assert_eq!(disc.content_format(), Some(cf::LINK_FORMAT));
    let l = links(&disc.payload);
    assert_eq!(l[0], ("/".to_string(), "lwm2m=1.1".to_string()));
    let find = |t: &str| l.iter().find(|(target, _)| target == t).map(|(_, a)| a.clone());
    assert!(find("/0/1").unwrap().contains("ssid=1"));
    assert!(find("/0/1").unwrap().contains(&format!("uri=\"{DM_URI}\"")));
    assert!(find("/0/0").unwrap().contains(&format!("uri=\"{BS_URI}\"")));
    assert!(!find("/0/0").unwrap().contains("ssid"), "the BS account carries no ssid");
    assert_eq!(find("/1/0").unwrap(), "ssid=1");
    assert!(find("/3/0").is_some());
    // Step 4: Finish → 2.04, committed.
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    assert!(h.has_event(|e| *e == Event::BootstrapFinished { accounts: 1 }));
    assert!(h.has_event(|e| *e == Event::ConfigurationChanged));
    assert!(!h.conns.contains_key(&bs), "the bootstrap session is closed after Finish");
    // Then Register with the provisioned server.
    let (dm, reg) = h.accept_register(&["rd", "5a3f"]);
    assert_eq!(h.conns.get(&dm).map(String::as_str), Some(DM_URI));
    assert_eq!(reg.uri_path().unwrap(), ["rd"]);
    assert_eq!(reg.uri_query().unwrap(), ["ep=urn:dev:test-1", "lt=86400", "lwm2m=1.1", "b=U"]);
    assert_eq!(reg.content_format(), Some(cf::LINK_FORMAT));
    let targets: Vec<String> = links(&reg.payload).into_iter().map(|(t, _)| t).collect();
    assert!(targets.contains(&"/1/0".to_string()) && targets.contains(&"/3/0".to_string()));
    assert!(!targets.iter().any(|t| t.starts_with("/0")), "/0 is never listed: {targets:?}");
    assert!(h.has_event(|e| *e == Event::Registered { ssid: 1, location: "/rd/5a3f".into() }));
    assert_eq!(h.client.state(), State::Registered);
    // Update before the lifetime runs out (86400 s - MAX_TRANSMIT_WAIT).
    h.advance(86_400_000 - 93_000 - 1);
    h.assert_nothing_sent();
    h.advance(1);
    let (c, upd) = h.next_sent();
    assert_eq!((c, upd.code), (dm, Code::POST));
    assert_eq!(upd.uri_path().unwrap(), ["rd", "5a3f"]);
    h.deliver(dm, &Message::response_to(&upd, Code::CHANGED));
    assert!(h.has_event(|e| *e == Event::Updated { ssid: 1 }));
    // Deregister on stop.
    h.client.stop(h.now).unwrap();
    h.pump();
    let (_, dereg) = h.next_sent();
    assert_eq!((dereg.code, dereg.uri_path().unwrap()), (Code::DELETE, vec!["rd", "5a3f"]));
    h.deliver(dm, &Message::response_to(&dereg, Code::DELETED));
    assert!(h.has_event(|e| *e == Event::Deregistered { ssid: 1 }));
    assert!(h.has_event(|e| *e == Event::Stopped));
    assert!(h.conns.is_empty());
}

#[test]
fn lwm2m_1_0_int_0_request_has_no_pct_and_discover_uses_1_0_form() {
    let mut config = lwm2m_bootstrap::client::Config::new("ep10");
    config.version = lwm2m_bootstrap::model::Version::V1_0;
    let mut h = Harness::new(config);
    h.client
        .provision_bootstrap_account(&lwm2m_bootstrap::client::BootstrapAccountConfig {
            security: lwm2m_bootstrap::client::SecurityConfig::nosec(
                "coap://127.0.0.1:5783/tenant?x=1",
            ),
            hold_off_s: 0,
            account_timeout_s: 0,
        })
        .unwrap();
    h.start();
    let (bs, req) = h.next_sent();
    assert_eq!(req.uri_path().unwrap(), ["tenant", "bs"]);
    assert_eq!(req.uri_query().unwrap(), ["x=1", "ep=ep10"]);
    h.deliver(bs, &Message::response_to(&req, Code::CHANGED));
    write_c1(&mut h, bs);
    let disc = h.discover(bs, "/");
    let text = String::from_utf8(disc.payload).unwrap();
    assert!(text.starts_with("lwm2m=\"1.0\","), "{text}");
    assert!(!text.contains("uri="), "1.0 Discover has no uri attribute: {text}");
    assert_eq!(h.finish(bs).code, Code::CHANGED);
}

#[test]
fn lwm2m_1_1_int_4_bootstrap_delete_keeps_the_bootstrap_account() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    let bs = h.accept_bootstrap_request();
    write_c1(&mut h, bs);
    let read = h.get(bs, "/1");
    assert_eq!(read.code, Code::CONTENT);
    assert!(!read.payload.is_empty());
    // Delete /0 and /1.
    let del0 = h.server_request(Code::DELETE, "/0");
    assert_eq!(h.request(bs, del0).code, Code::DELETED);
    let del1 = h.server_request(Code::DELETE, "/1");
    assert_eq!(h.request(bs, del1).code, Code::DELETED);
    // The BS account (instance 0 of /0 in the factory config) is untouched; /1 is gone.
    let l = links(&h.discover(bs, "/").payload);
    let targets: Vec<&str> = l.iter().map(|(t, _)| t.as_str()).collect();
    assert!(targets.contains(&"/0/0"), "BS account kept: {targets:?}");
    assert!(!targets.iter().any(|t| t.starts_with("/1/")), "{targets:?}");
    let read = h.get(bs, "/1");
    assert_eq!((read.code, read.payload.len()), (Code::CONTENT, 0));
    // Deleting the BS account explicitly, /3/0, or a resource is refused; Delete / twice is 2.02.
    for (path, code) in [
        ("/0/0", Code::BAD_REQUEST),
        ("/3/0", Code::BAD_REQUEST),
        ("/1/0/1", Code::BAD_REQUEST),
        ("/", Code::DELETED),
        ("/", Code::DELETED),
    ] {
        let req = h.server_request(Code::DELETE, path);
        assert_eq!(h.request(bs, req).code, code, "DELETE {path}");
    }
    // Clean-up: the standard flow again, then Finish and registration.
    write_c1(&mut h, bs);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    let model = h.client.configuration();
    assert!(model.bootstrap_account().is_some());
    assert_eq!(model.server_account_pairs().count(), 1);
    h.accept_register(&["rd", "1"]);
    assert_eq!(h.client.state(), State::Registered);
}

fn h_get(h: &mut Harness, path: &str) -> Message {
    h.server_request(Code::GET, path)
}

#[test]
fn lwm2m_1_1_int_8_bootstrap_read_of_server_and_acl_objects() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    let bs = h.accept_bootstrap_request();
    write_c1(&mut h, bs);
    // ACL instance /2/0: object 3, instance 0, ACL[0] = 31, owner 65535.
    let acl = instance(
        0,
        &[res_int(0, 3), res_int(1, 0), tlv(2, 2, &tlv(1, 0, &[31])), res_int(3, 65535)],
    );
    assert_eq!(h.write(bs, "/2", acl).code, Code::CHANGED);
    let read1 = h.get(bs, "/1");
    assert_eq!((read1.code, read1.content_format()), (Code::CONTENT, Some(cf::TLV)));
    assert_eq!(read1.payload, dm_server(0, 1, 86400), "Read /1 returns what was written");
    let read2 = h.get(bs, "/2/0");
    assert_eq!(read2.code, Code::CONTENT);
    let expected =
        [res_int(0, 3), res_int(1, 0), tlv(2, 2, &tlv(1, 0, &[31])), res_int(3, 65535)].concat();
    assert_eq!(read2.payload, expected);
    // The Security object is never readable, not even by the Bootstrap-Server.
    for path in ["/0", "/0/0", "/0/0/5"] {
        let resp = h.get(bs, path);
        assert!(resp.code.class() == 4, "GET {path} gave {}", resp.code);
        assert!(resp.payload.is_empty());
    }
    let missing = h.get(bs, "/1/9");
    assert_eq!(missing.code, Code::NOT_FOUND);
    // Accept: SenML JSON with the feature senml-json; a format this build cannot write: 4.06.
    let mut json = h_get(&mut h, "/1");
    json.set_accept(cf::SENML_JSON);
    let read = h.request(bs, json);
    if cfg!(feature = "senml-json") {
        assert_eq!((read.code, read.content_format()), (Code::CONTENT, Some(cf::SENML_JSON)));
        let text = String::from_utf8(read.payload).unwrap();
        assert!(text.starts_with(r#"[{"bn":"/1/0/","n":"0","v":1},{"n":"1","v":86400}"#), "{text}");
    } else {
        assert_eq!(read.code, Code::NOT_ACCEPTABLE);
    }
    let mut cbor = h_get(&mut h, "/1");
    cbor.set_accept(cf::LWM2M_JSON);
    assert_eq!(h.request(bs, cbor).code, Code::NOT_ACCEPTABLE);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
}

#[test]
fn lwm2m_1_1_int_9_inconsistent_configuration_is_refused_then_corrected() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    let bs = h.accept_bootstrap_request();
    let before = h.client.configuration().clone();
    let mut req = h.server_request(Code::PUT, "/1/0/5");
    req.set_content_format(cf::TEXT_PLAIN);
    req.payload = b"86400".to_vec();
    assert_eq!(h.request(bs, req).code, Code::CHANGED, "the Write itself succeeds");
    assert_eq!(h.finish(bs).code, Code::NOT_ACCEPTABLE);
    assert!(
        h.has_event(|e| matches!(e, Event::BootstrapFinishRefused { findings } if *findings > 0))
    );
    assert_eq!(h.client.configuration(), &before, "nothing of the refused bootstrap is committed");
    assert!(h.conns.contains_key(&bs), "the exchange stays open for a correction");
    assert_eq!(h.client.state(), State::Bootstrapping);
    // The server corrects the configuration and finishes again.
    write_c1(&mut h, bs);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    assert!(h.has_event(|e| *e == Event::BootstrapFinished { accounts: 1 }));
}

#[test]
fn finish_validation_refuses_each_inconsistency() {
    type Writes<'a> = Vec<(&'a str, Vec<u8>)>;
    let cases: Vec<(&str, Writes)> = vec![
        (
            "server without binding",
            vec![
                ("/0", dm_security(1, DM_URI, 1)),
                ("/1", instance(0, &[res_int(0, 1), res_int(1, 60), res_bool(6, false)])),
            ],
        ),
        (
            "security without URI",
            vec![
                ("/0", instance(1, &[res_bool(1, false), res_int(2, 3), res_int(10, 1)])),
                ("/1", dm_server(0, 1, 60)),
            ],
        ),
        (
            "coaps with NoSec",
            vec![("/0", dm_security(1, "coaps://127.0.0.1:5684", 1)), ("/1", dm_server(0, 1, 60))],
        ),
        ("security without server", vec![("/0", dm_security(1, DM_URI, 1))]),
        ("server without security", vec![("/1", dm_server(0, 1, 60))]),
        (
            "ssid out of range",
            vec![("/0", dm_security(1, DM_URI, 65535)), ("/1", dm_server(0, 65535, 60))],
        ),
        ("no server account at all", vec![]),
        (
            "duplicate ssid",
            vec![
                ("/0", [dm_security(1, DM_URI, 1), dm_security(2, DM_URI, 1)].concat()),
                ("/1", dm_server(0, 1, 60)),
            ],
        ),
        (
            "PSK without key",
            vec![
                (
                    "/0",
                    instance(
                        1,
                        &[
                            res_str(0, "coaps://127.0.0.1:5684"),
                            res_bool(1, false),
                            res_int(2, 0),
                            res_int(10, 1),
                        ],
                    ),
                ),
                ("/1", dm_server(0, 1, 60)),
            ],
        ),
    ];
    for (name, writes) in cases {
        let mut h = Harness::with_bootstrap_account();
        h.start();
        let bs = h.accept_bootstrap_request();
        for (path, payload) in writes {
            assert_eq!(h.write(bs, path, payload).code, Code::CHANGED, "{name}: write {path}");
        }
        assert_eq!(h.finish(bs).code, Code::NOT_ACCEPTABLE, "{name}");
        assert_eq!(h.client.configuration().server_account_pairs().count(), 0, "{name}");
    }
}

/// A PSK Security instance /0/1 for ssid 1 with this identity and key.
fn psk_security(uri: &str, identity: &[u8], key: &[u8]) -> Vec<u8> {
    instance(
        1,
        &[
            res_str(0, uri),
            res_bool(1, false),
            res_int(2, 0),
            res_opaque(3, identity),
            res_opaque(5, key),
            res_int(10, 1),
        ],
    )
}

/// Finish accepts only an account a connection would accept (the account's target): each
/// rule the target checks refuses the Finish with 4.06 and keeps nothing.
#[test]
fn finish_refuses_an_account_no_connection_would_accept() {
    const PSK_URI: &str = "coaps://127.0.0.1:5684";
    let long_host = format!("coap://{}:5683", "h".repeat(256));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("PSK key of 65 bytes", psk_security(PSK_URI, b"urn:dev:id", &[7; 65])),
        ("PSK identity of 129 bytes", psk_security(PSK_URI, &[b'i'; 129], &[7; 16])),
        ("PSK without identity", psk_security(PSK_URI, b"", &[7; 16])),
        ("PSK over coap://", psk_security(DM_URI, b"urn:dev:id", &[7; 16])),
        ("host over 255 bytes", dm_security(1, &long_host, 1)),
        ("bad port", dm_security(1, "coap://127.0.0.1:0", 1)),
        (
            "Security Mode out of range",
            instance(1, &[res_str(0, DM_URI), res_bool(1, false), res_int(2, 9), res_int(10, 1)]),
        ),
    ];
    for (name, security) in cases {
        let mut h = Harness::with_bootstrap_account();
        h.start();
        let bs = h.accept_bootstrap_request();
        assert_eq!(h.write(bs, "/0", security).code, Code::CHANGED, "{name}");
        assert_eq!(h.write(bs, "/1", dm_server(0, 1, 60)).code, Code::CHANGED, "{name}");
        assert_eq!(h.finish(bs).code, Code::NOT_ACCEPTABLE, "{name}");
        assert!(
            h.has_event(|e| matches!(e, Event::BootstrapFinishRefused { findings: 1 })),
            "{name}"
        );
        assert_eq!(h.client.configuration().server_account_pairs().count(), 0, "{name}");
    }
    // The bounds themselves are accepted (with DTLS; without it PSK is refused as unsupported).
    let mut h = Harness::with_bootstrap_account();
    h.start();
    let bs = h.accept_bootstrap_request();
    h.write(bs, "/0", psk_security(PSK_URI, &[b'i'; 128], &[7; 64]));
    h.write(bs, "/1", dm_server(0, 1, 60));
    let expected = if cfg!(feature = "dtls") { Code::CHANGED } else { Code::NOT_ACCEPTABLE };
    assert_eq!(h.finish(bs).code, expected);
}

#[test]
fn finish_timeout_counts_from_the_last_operation_and_keeps_nothing() {
    let mut h = Harness::with_bootstrap_account();
    h.provision_server(7, "coap://127.0.0.1:6000", 60);
    h.start();
    // The factory server refuses: fall back to bootstrap.
    let (dm, reg) = h.next_sent();
    h.deliver(dm, &Message::response_to(&reg, Code::FORBIDDEN));
    assert!(h.has_event(|e| matches!(e, Event::RegistrationFailed { ssid: 7, .. })));
    let before = h.client.configuration().clone();
    let bs = h.accept_bootstrap_request();
    h.advance(100_000);
    let resp = h.write(bs, "/0", dm_security(1, DM_URI, 1));
    assert_eq!(resp.code, Code::CHANGED);
    let last_op = h.now;
    h.advance_to(last_op + 247_000 - 1);
    assert!(
        !h.has_event(|e| matches!(e, Event::BootstrapFailed { .. })),
        "deadline counts from the last operation"
    );
    h.advance_to(last_op + 247_000);
    assert!(
        h.has_event(|e| *e == Event::BootstrapFailed { reason: BootstrapFailure::FinishTimeout })
    );
    assert_eq!(h.client.configuration(), &before, "the previous configuration is intact");
    assert!(!h.conns.contains_key(&bs));
    // A late Finish on the closed session reaches nothing.
    let fin = h.server_request(Code::POST, "/bs");
    assert!(h.client.handle_datagram(h.now, bs, &fin.encode()).is_err());
}

#[test]
fn lost_and_duplicated_datagrams() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    // The Bootstrap-Request is lost: it is retransmitted with the same message ID.
    let (bs, first) = h.next_sent();
    h.advance(3_000);
    let (_, again) = h.next_sent();
    assert_eq!((again.message_id, again.token.clone()), (first.message_id, first.token.clone()));
    // The server's first request reuses the request's message ID and token (seen on a real
    // server): it is a new request, not the ACK, and is answered.
    let mut write = Message::new(MessageType::Confirmable, Code::PUT);
    write.message_id = first.message_id;
    write.set_token(&first.token);
    write.set_uri_path(&["0"]);
    write.set_content_format(cf::TLV);
    write.payload = dm_security(1, DM_URI, 1);
    let resp = h.request(bs, write.clone());
    assert_eq!(resp.code, Code::CHANGED);
    // The ACK of that Write is lost: the retransmitted Write gets the same bytes, once.
    h.deliver(bs, &write);
    let (_, dup) = h.next_sent();
    assert_eq!(dup.encode(), resp.encode());
    h.assert_nothing_sent();
    // The 2.04 to the Bootstrap-Request arrives late; retransmissions stop.
    h.deliver(bs, &Message::response_to(&first, Code::CHANGED));
    h.advance(60_000);
    h.assert_nothing_sent();
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 300)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    // The Register is lost twice, then answered.
    let (dm, reg) = h.next_sent();
    h.advance(3_000);
    h.advance(6_000);
    let retransmitted: Vec<_> = h.outbox.drain(..).collect();
    assert_eq!(retransmitted.len(), 2);
    assert!(retransmitted.iter().all(|(_, m, _)| m.message_id == reg.message_id));
    h.deliver(dm, &{
        let mut ack = Message::response_to(&reg, Code::CREATED);
        ack.set_location_path(&["rd", "x"]);
        ack
    });
    assert_eq!(h.client.state(), State::Registered);
}

#[test]
fn bootstrap_request_without_answer_fails_and_keeps_the_configuration() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    let failed =
        |e: &Event| *e == Event::BootstrapFailed { reason: BootstrapFailure::RequestTimeout };
    while !h.has_event(failed) {
        assert!(h.now < 100_000, "the Bootstrap-Request never timed out");
        h.advance(500);
    }
    let sent: Vec<_> = h.outbox.drain(..).collect();
    assert_eq!(sent.len(), 5, "1 transmission + MAX_RETRANSMIT 4");
    // Failed, and the next bootstrap starts by itself after the back-off.
    assert_eq!(h.client.state(), State::Failed);
    assert_eq!(h.client.state_reason(), StateReason::BootstrapFailed);
    assert!(h.client.configuration().bootstrap_account().is_some());
}

#[test]
fn a_second_bootstrap_server_account_is_refused() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    let bs = h.accept_bootstrap_request();
    let second =
        instance(5, &[res_str(0, "coap://127.0.0.1:9999"), res_bool(1, true), res_int(2, 3)]);
    assert_eq!(h.write(bs, "/0", second).code, Code::BAD_REQUEST);
    // Rewriting its own account is allowed.
    let own = instance(0, &[res_str(0, BS_URI), res_bool(1, true), res_int(2, 3), res_int(11, 5)]);
    assert_eq!(h.write(bs, "/0", own).code, Code::CHANGED);
    write_c1_at(&mut h, bs, 1);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    let model = h.client.configuration();
    assert_eq!(model.security_accounts().filter(|a| a.is_bootstrap()).count(), 1);
    assert_eq!(model.bootstrap_account().unwrap().hold_off_s(), 5);
}

fn write_c1_at(h: &mut Harness, bs: lwm2m_bootstrap::client::ConnId, sec_iid: u16) {
    assert_eq!(h.write(bs, "/0", dm_security(sec_iid, DM_URI, 1)).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 86400)).code, Code::CHANGED);
}

#[test]
fn dm_server_access_to_the_security_object_is_refused() {
    let mut h = Harness::with_bootstrap_account();
    h.provision_server(1, DM_URI, 300);
    h.start();
    let (dm, _) = h.accept_register(&["rd", "7"]);
    for (code, path) in [
        (Code::GET, "/0"),
        (Code::GET, "/0/0/5"),
        (Code::PUT, "/0/1"),
        (Code::POST, "/0/1/0"),
        (Code::DELETE, "/0/1"),
        (Code::GET, "/0/1/3"),
    ] {
        let mut req = h.server_request(code, path);
        if code == Code::GET && path == "/0" {
            req.set_accept(cf::LINK_FORMAT);
        }
        let resp = h.request(dm, req);
        assert_eq!(resp.code, Code::UNAUTHORIZED, "{code} {path}");
        assert!(resp.payload.is_empty());
    }
    let read = h.get(dm, "/1/0/1");
    assert_eq!((read.code, read.payload.clone()), (Code::CONTENT, res_int(1, 300)));
    let fin = h.server_request(Code::POST, "/bs");
    assert_eq!(h.request(dm, fin).code, Code::BAD_REQUEST, "a Finish outside a bootstrap");
    // /1/0/8 triggers an Update.
    let exec = h.server_request(Code::POST, "/1/0/8");
    assert_eq!(h.request(dm, exec).code, Code::CHANGED);
    let (c, upd) = h.next_sent();
    assert_eq!((c, upd.uri_path().unwrap()), (dm, vec!["rd", "7"]));
}

#[test]
fn block1_bootstrap_write_of_a_certificate_sized_payload() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    let bs = h.accept_bootstrap_request();
    let cert: Vec<u8> = (0..2500u32).map(|i| (i * 7 % 251) as u8).collect();
    let body = instance(
        1,
        &[
            res_str(0, DM_URI),
            res_bool(1, false),
            res_int(2, 3),
            res_opaque(3, &cert),
            res_opaque(4, b""),
            res_opaque(5, b""),
            res_int(10, 1),
        ],
    );
    let chunks: Vec<&[u8]> = body.chunks(1024).collect();
    for (num, chunk) in chunks.iter().enumerate() {
        let mut req = h.server_request(Code::PUT, "/0");
        req.set_content_format(cf::TLV);
        req.set_block1(BlockOption::new(num as u32, num + 1 < chunks.len(), 6));
        req.payload = chunk.to_vec();
        let resp = h.request(bs, req);
        let expected = if num + 1 < chunks.len() { Code::CONTINUE } else { Code::CHANGED };
        assert_eq!(resp.code, expected, "block {num}");
        assert_eq!(resp.block1().unwrap().unwrap().num, num as u32);
    }
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 60)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    let acct = h.client.configuration().security_for_ssid(1).unwrap();
    assert_eq!(acct.instance.bytes(security_res::PUBLIC_KEY_OR_IDENTITY), Some(&cert[..]));
    assert_eq!(acct.instance.origin, Origin::BootstrapServer);
}

#[test]
fn method_and_path_matrix_gets_the_specified_codes() {
    let mut h = Harness::with_bootstrap_account();
    h.start();
    let bs = h.accept_bootstrap_request();
    let cases = [
        (Code::POST, "/1/0", Code::METHOD_NOT_ALLOWED),
        (Code::PUT, "/", Code::METHOD_NOT_ALLOWED),
        (Code::PUT, "/1/0/7/0", Code::BAD_REQUEST),
        (Code::GET, "/1/2/3/4/5", Code::BAD_OPTION),
        (Code::GET, "/abc", Code::NOT_FOUND),
        (Code::PUT, "/1/0", Code::BAD_REQUEST), // empty TLV body with a mandatory-typed resource missing is fine, but garbage is not
        (Code::FETCH, "/1", Code::METHOD_NOT_ALLOWED),
        (Code::PUT, "/42/0", Code::NOT_FOUND),
    ];
    for (code, path, expected) in cases {
        let mut req = h.server_request(code, path);
        if code == Code::PUT {
            req.set_content_format(cf::TLV);
            req.payload = vec![0xC8, 0x00, 0x20, 1]; // truncated TLV
        }
        assert_eq!(h.request(bs, req).code, expected, "{code} {path}");
    }
    // The deprecated LwM2M 1.0 JSON (11543) is not supported; SenML JSON (110) is, with the
    // feature senml-json.
    let mut json = h.server_request(Code::PUT, "/1/0");
    json.set_content_format(cf::LWM2M_JSON);
    json.payload = b"{\"e\":[]}".to_vec();
    assert_eq!(h.request(bs, json).code, Code::UNSUPPORTED_CONTENT_FORMAT);
    let mut senml = h.server_request(Code::PUT, "/1/0");
    senml.set_content_format(cf::SENML_JSON);
    senml.payload = b"[]".to_vec();
    let expected =
        if cfg!(feature = "senml-json") { Code::CHANGED } else { Code::UNSUPPORTED_CONTENT_FORMAT };
    assert_eq!(h.request(bs, senml).code, expected);
    let disc = h.discover(bs, "/9");
    assert_eq!(disc.code, Code::NOT_FOUND);
    let disc = h.discover(bs, "/1/0");
    assert_eq!(disc.code, Code::BAD_REQUEST);
    // A CON with a format error (token length 9) gets RST; an unknown version is silently
    // ignored (RFC 7252 §3); nothing else changes.
    let mut garbage = h.server_request(Code::GET, "/1").encode();
    garbage[0] = (garbage[0] & 0xF0) | 0x09;
    h.deliver_raw(bs, &garbage);
    let (_, rst) = h.next_sent();
    assert_eq!(rst.message_type, MessageType::Reset);
    let mut v2 = h.server_request(Code::GET, "/1").encode();
    v2[0] = (v2[0] & 0x3F) | 0x80;
    h.deliver_raw(bs, &v2);
    h.assert_nothing_sent();
    write_c1(&mut h, bs);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
}

#[test]
fn registration_keeps_an_empty_last_location_segment() {
    let mut h = Harness::with_bootstrap_account();
    h.provision_server(3, DM_URI, 200);
    h.start();
    let (dm, reg) = h.accept_register(&["reg", "1", ""]);
    assert_eq!(reg.uri_query().unwrap()[1], "lt=200");
    assert!(h.has_event(|e| *e == Event::Registered { ssid: 3, location: "/reg/1/".into() }));
    // Lifetime 200 s: the Update leaves 93 s (MAX_TRANSMIT_WAIT) before the lifetime ends.
    h.advance(107_000);
    let (c, upd) = h.next_sent();
    assert_eq!((c, upd.uri_path().unwrap()), (dm, vec!["reg", "1", ""]));
    // An Update refused with 4.04 means: register again.
    h.deliver(dm, &Message::response_to(&upd, Code::NOT_FOUND));
    let (_, again) = h.next_sent();
    assert_eq!(again.uri_path().unwrap(), ["rd"]);
}

#[test]
fn factory_configuration_registers_without_bootstrapping() {
    let mut h = Harness::with_bootstrap_account();
    h.provision_server(1, DM_URI, 300);
    h.start();
    let (conn, reg) = h.next_sent();
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(DM_URI));
    assert_eq!(reg.uri_path().unwrap(), ["rd"]);
    assert!(!h.has_event(|e| *e == Event::BootstrapStarted));
}

#[test]
fn registration_timeout_falls_back_to_bootstrap_after_hold_off() {
    // One attempt per sequence (the 1.1 retry procedure's defaults are
    // tested in tests/sequence_scenarios.rs): the hold-off is what this test is about.
    let mut config = lwm2m_bootstrap::client::Config::new("ep");
    config.retry_defaults.retry_count = 1;
    let mut h = Harness::new(config);
    h.client
        .provision_bootstrap_account(&lwm2m_bootstrap::client::BootstrapAccountConfig {
            security: lwm2m_bootstrap::client::SecurityConfig::nosec(BS_URI),
            hold_off_s: 10,
            account_timeout_s: 0,
        })
        .unwrap();
    h.provision_server(1, "coap://127.0.0.1:6001", 300);
    h.start();
    // Register: 5 transmissions, then the timeout (at most MAX_TRANSMIT_WAIT, 93 s).
    while !h.has_event(|e| matches!(e, Event::RegistrationFailed { ssid: 1, .. })) {
        assert!(h.now < 100_000, "Register never timed out");
        h.advance(100);
    }
    let failed_at = h.now;
    assert_eq!(h.client.state(), State::HoldOff);
    let bs_started = h.events.iter().position(|e| *e == Event::BootstrapStarted);
    assert!(bs_started.is_none());
    h.outbox.clear();
    h.advance(9_800);
    assert!(!h.has_event(|e| *e == Event::BootstrapStarted), "hold-off of 10 s honoured");
    h.advance(200);
    assert!(h.has_event(|e| *e == Event::BootstrapStarted));
    let (_, req) = h.next_sent();
    assert_eq!(req.uri_path().unwrap(), ["bs"]);
    assert!(h.now >= failed_at);
}

// ----- Bootstrap-Pack (LwM2M 1.2, issue 14) -------------------------------------------------------

/// A client that bootstraps with a Bootstrap-Pack-Request; its first datagram, checked.
#[cfg(feature = "senml-cbor")]
fn pack_client(name: &str) -> (Harness, lwm2m_bootstrap::client::ConnId, Message) {
    let mut config = lwm2m_bootstrap::client::Config::new(name);
    config.bootstrap_pack = true;
    config.preferred_format = cf::SENML_CBOR;
    let mut h = Harness::with_bootstrap(config, 0, 0);
    h.start();
    let (conn, req) = h.next_sent();
    assert_eq!((req.code, req.uri_path().unwrap()), (Code::GET, vec!["bspack"]));
    assert_eq!(req.uri_query().unwrap(), [format!("ep={name}")]);
    assert_eq!(req.accept(), Some(cf::SENML_CBOR));
    (h, conn, req)
}

/// The pack's answer: 2.05 with `payload` in SenML CBOR.
#[cfg(feature = "senml-cbor")]
fn answer_pack(
    h: &mut Harness,
    conn: lwm2m_bootstrap::client::ConnId,
    req: &Message,
    payload: Vec<u8>,
) {
    let mut ack = Message::response_to(req, Code::CONTENT);
    ack.message_type = MessageType::Acknowledgement;
    ack.set_content_format(cf::SENML_CBOR);
    ack.payload = payload;
    h.deliver(conn, &ack);
}

/// /0/1 (a NoSec DM account, ssid 1) and /1/0 (lifetime 300) as one SenML CBOR pack.
#[cfg(feature = "senml-cbor")]
fn pack_payload(with_server: bool) -> Vec<u8> {
    use lwm2m_bootstrap::codec::{senml_cbor, tlv};
    use lwm2m_bootstrap::model::{Instance, Path, SECURITY, SERVER};
    let decode = |bytes: Vec<u8>, path: Path, def| {
        let (iid, resources) = tlv::decode_instances(&bytes, &path, def).unwrap().remove(0);
        (iid, Instance { resources, origin: Origin::BootstrapServer })
    };
    let security = decode(dm_security(1, DM_URI, 1), Path::object(0), &SECURITY);
    let server = decode(dm_server(0, 1, 300), Path::object(1), &SERVER);
    let mut pack = senml_cbor::encode(0, &[(security.0, &security.1)]);
    if with_server {
        // Two arrays joined: one array of both objects' records.
        let second = senml_cbor::encode(1, &[(server.0, &server.1)]);
        let (a, b) = (pack[0] & 0x1F, second[0] & 0x1F);
        assert!(a + b < 24, "short array heads");
        pack[0] = 0x80 | (a + b);
        pack.extend_from_slice(&second[1..]);
    }
    pack
}

#[test]
#[cfg(feature = "senml-cbor")]
fn a_bootstrap_pack_is_applied_as_one_finish_and_the_device_registers() {
    let (mut h, conn, req) = pack_client("urn:dev:pack");
    answer_pack(&mut h, conn, &req, pack_payload(true));
    // Saved, committed, no response to the Bootstrap-Server; then Register to /0/1's server.
    assert!(h.has_event(|e| matches!(e, Event::BootstrapFinished { accounts: 1 })));
    assert_eq!(h.storage_writes, 1);
    let (dm, register) = h.accept_register(&["rd", "1"]);
    assert_ne!(dm, conn);
    assert_eq!(h.conns.get(&dm).map(String::as_str), Some(DM_URI));
    assert_eq!(register.uri_path().unwrap(), ["rd"]);
    assert_eq!(h.client.configuration().server_for_ssid(1).unwrap().lifetime_s(), 300);
    assert_eq!(h.client.state(), State::Registered);
}

#[test]
#[cfg(feature = "senml-cbor")]
fn a_pack_the_finish_checks_refuse_changes_nothing_and_fails_the_attempt() {
    let (mut h, conn, req) = pack_client("urn:dev:pack-bad");
    let before = h.client.configuration().clone();
    answer_pack(&mut h, conn, &req, pack_payload(false)); // no /1 for ssid 1: refused
    assert!(h.has_event(|e| matches!(e, Event::BootstrapFinishRefused { .. })));
    assert!(h.has_event(|e| *e == Event::BootstrapFailed { reason: BootstrapFailure::BadPack }));
    assert_eq!(h.client.configuration(), &before);
    assert_eq!(h.storage_writes, 0);
    assert!(!h.conns.contains_key(&conn), "the bootstrap connection is closed");
    // A pack that does not decode, or names a firmware object: refused the same way.
    for bad in [
        vec![0x81, 0xA1],
        vec![0x81, 0xA2, 0x00, 0x66, b'/', b'3', b'/', b'0', b'/', b'0', 0x03, 0x60],
    ] {
        let bad_packs = |h: &Harness| {
            h.count(|e| *e == Event::BootstrapFailed { reason: BootstrapFailure::BadPack })
        };
        let failures = bad_packs(&h);
        h.run_until(4_000_000, |h| !h.outbox.is_empty()); // the back-off's next attempt
        let (conn, req) = h.next_sent();
        assert_eq!(req.uri_path().unwrap(), ["bspack"]);
        answer_pack(&mut h, conn, &req, bad);
        assert_eq!(bad_packs(&h), failures + 1);
    }
    assert_eq!(h.client.configuration(), &before);
}

#[test]
#[cfg(feature = "senml-cbor")]
fn a_server_without_packs_gets_the_classic_bootstrap_request() {
    for refusal in
        [Code::NOT_FOUND, Code::METHOD_NOT_ALLOWED, Code::NOT_ACCEPTABLE, Code::new(5, 1)]
    {
        let (mut h, conn, req) = pack_client("urn:dev:pack-fallback");
        h.reply(conn, &req, refusal);
        let (same, classic) = h.next_sent();
        assert_eq!(same, conn, "{refusal}: on the same connection");
        assert_eq!((classic.code, classic.uri_path().unwrap()), (Code::POST, vec!["bs"]));
        assert_eq!(classic.uri_query().unwrap(), ["ep=urn:dev:pack-fallback", "pct=112"]);
        h.reply(conn, &classic, Code::CHANGED);
        assert_eq!(h.write(conn, "/0", dm_security(1, DM_URI, 1)).code, Code::CHANGED);
        assert_eq!(h.write(conn, "/1", dm_server(0, 1, 300)).code, Code::CHANGED);
        assert_eq!(h.finish(conn).code, Code::CHANGED);
        h.accept_register(&["rd", "1"]);
        assert_eq!(h.client.state(), State::Registered, "{refusal}");
    }
    // Any other answer fails the attempt (no classic request).
    let (mut h, conn, req) = pack_client("urn:dev:pack-403");
    h.reply(conn, &req, Code::FORBIDDEN);
    assert!(h
        .has_event(|e| *e
            == Event::BootstrapFailed { reason: BootstrapFailure::Rejected(Code::FORBIDDEN) }));
}
