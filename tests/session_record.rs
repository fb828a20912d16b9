//! The session record in storage (saved DTLS sessions for an abbreviated handshake after a
//! restart; docs/dtls.md): what a restart keeps from it, and when it is written again. The
//! handshakes themselves are in `tests/dtls_sessions.rs` (in-process Mbed TLS server) and
//! `tests/python/test_session_restart.py` (coap-rd-openssl). Builds with the built-in DTLS
//! only: without it there is no session to save and no record is handed out.
#![cfg(feature = "dtls")]

mod common;

use common::*;
use lwm2m_bootstrap::client::{Client, ClientError, Config, Event};
use lwm2m_bootstrap::persist::{
    decode_sessions, encode_sessions, ImageError, SessionEntry, SessionRestore,
};
use lwm2m_bootstrap::security::session_material;
use zeroize::Zeroizing;

const DM_1: &str = "coap://127.0.0.1:5683";
const DM_2: &str = "coap://127.0.0.1:5693";

fn config() -> Config {
    let mut config = Config::new("urn:dev:sessions");
    config.persist_sessions = true;
    config
}

fn entry(ssid: u16, material: u64, session: &[u8]) -> SessionEntry {
    SessionEntry { ssid, material, session: Zeroizing::new(session.to_vec()) }
}

/// A client with servers 1 and 2 stored, and its configuration image (in its slot).
fn stored_client() -> (Harness, [Option<Vec<u8>>; 2]) {
    let mut h = Harness::new(config());
    h.provision_server(1, DM_1, 300);
    h.provision_server(2, DM_2, 300);
    h.client.persist_configuration();
    h.pump();
    let image = h
        .events
        .iter()
        .find_map(|e| match e {
            Event::StorageWrite(w) => Some((w.slot, w.image.clone())),
            _ => None,
        })
        .expect("the configuration was written");
    let mut slots = [None, None];
    slots[usize::from(image.0)] = Some(image.1);
    (h, slots)
}

/// A new client restored from `image`.
fn restored(slots: &[Option<Vec<u8>>; 2], config: Config) -> Client {
    let mut client = Client::new(config);
    let report = client.restore([slots[0].as_deref(), slots[1].as_deref()]).unwrap();
    assert!(report.used.is_some(), "{report:?}");
    client
}

fn material(client: &Client, ssid: u16) -> u64 {
    session_material(client.configuration().security_for_ssid(ssid))
}

/// The session records the client hands out now.
fn records_written(client: &mut Client) -> Vec<Vec<SessionEntry>> {
    let mut records = Vec::new();
    while let Some(event) = client.poll_event() {
        if let Event::SessionsWrite(record) = event {
            records.push(decode_sessions(&record.0).unwrap());
        }
    }
    records
}

#[test]
fn sessions_whose_account_kept_its_material_are_restored_the_others_dropped_from_storage() {
    let (h, image) = stored_client();
    let mut client = restored(&image, config());
    let current = material(&client, 1);
    assert_ne!(current, 0);
    assert_eq!(current, material(&h.client, 1), "the fingerprint survives the restart");
    let record = encode_sessions(&[
        entry(1, current, b"session-of-server-1"),
        entry(2, material(&client, 2) ^ 1, b"made-from-other-keys"),
        entry(9, 1234, b"account-deleted-since"),
    ]);
    let report = client.restore_sessions(&record).unwrap();
    assert_eq!(report, SessionRestore { restored: 1, discarded: 2, ignored: None });
    assert_eq!(
        records_written(&mut client),
        [vec![entry(1, current, b"session-of-server-1")]],
        "the record is rewritten with what is kept"
    );
}

#[test]
fn a_record_that_matches_is_not_written_again() {
    let (_, image) = stored_client();
    let mut client = restored(&image, config());
    let record = encode_sessions(&[entry(1, material(&client, 1), b"s1")]);
    assert_eq!(client.restore_sessions(&record).unwrap().restored, 1);
    assert_eq!(records_written(&mut client), Vec::<Vec<SessionEntry>>::new());
}

#[test]
fn without_a_stored_configuration_a_factory_reset_every_session_is_erased() {
    let (h, _) = stored_client();
    // Storage erased (factory reset) but the session record survived somewhere: the same
    // factory accounts are provisioned again, with the same fingerprints.
    let mut client = Client::new(config());
    let record = encode_sessions(&[entry(1, material(&h.client, 1), b"s1")]);
    let report = client.restore_sessions(&record).unwrap();
    assert_eq!(report, SessionRestore { restored: 0, discarded: 1, ignored: None });
    assert_eq!(records_written(&mut client), [vec![]], "erased (an empty record)");
}

#[test]
fn a_torn_record_is_ignored_whole_and_erased() {
    let (_, image) = stored_client();
    let mut client = restored(&image, config());
    let mut record = encode_sessions(&[entry(1, material(&client, 1), b"s1")]).to_vec();
    record.truncate(record.len() - 3);
    let report = client.restore_sessions(&record).unwrap();
    assert_eq!(report.ignored, Some(ImageError::Truncated));
    assert_eq!(report.restored, 0);
    assert_eq!(records_written(&mut client), [vec![]]);
}

#[test]
fn an_empty_or_erased_record_holds_no_session_and_writes_nothing() {
    let (_, image) = stored_client();
    let mut client = restored(&image, config());
    assert_eq!(client.restore_sessions(&[0xFF; 64]).unwrap(), SessionRestore::default());
    assert_eq!(client.restore_sessions(&[]).unwrap(), SessionRestore::default());
    assert_eq!(records_written(&mut client), Vec::<Vec<SessionEntry>>::new());
}

#[test]
fn without_persist_sessions_nothing_is_handed_out() {
    let (_, image) = stored_client();
    let mut client = restored(&image, Config::new("urn:dev:sessions"));
    let record = encode_sessions(&[entry(1, 1, b"stale")]);
    assert_eq!(client.restore_sessions(&record).unwrap().discarded, 1);
    assert_eq!(records_written(&mut client), Vec::<Vec<SessionEntry>>::new());
}

#[test]
fn sessions_are_restored_only_while_stopped() {
    let (mut h, _) = stored_client();
    h.start();
    assert_eq!(h.client.restore_sessions(&[]), Err(ClientError::AlreadyStarted));
}

#[test]
fn a_bootstrap_that_changes_a_servers_security_drops_its_session_from_storage() {
    let mut h = Harness::with_bootstrap(config(), 0, 0);
    h.provision_server(1, DM_1, 300);
    h.client.persist_configuration();
    h.pump();
    let kept = material(&h.client, 1);
    let record = encode_sessions(&[entry(1, kept, b"s1")]);
    assert_eq!(h.client.restore_sessions(&record).unwrap().restored, 1);
    h.start();
    let (_, _) = h.accept_register(&["rd", "1"]);
    h.client.trigger_bootstrap(h.now).unwrap();
    h.pump();
    let bs = loop {
        let (conn, req) = h.next_sent();
        if req.uri_path().unwrap() == ["bs"] {
            h.reply(conn, &req, lwm2m_bootstrap::coap::Code::CHANGED);
            break conn;
        }
        h.reply(conn, &req, lwm2m_bootstrap::coap::Code::DELETED);
    };
    let before = h.count(|e| matches!(e, Event::SessionsWrite(_)));
    assert_eq!(before, 0, "nothing changed yet");
    // Same Short Server ID, another URI: other session material.
    h.write(bs, "/0/1", dm_security(1, DM_2, 1));
    h.finish(bs);
    h.pump();
    assert_ne!(material(&h.client, 1), kept);
    let writes: Vec<Vec<SessionEntry>> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::SessionsWrite(r) => Some(decode_sessions(&r.0).unwrap()),
            _ => None,
        })
        .collect();
    assert_eq!(writes, [vec![]], "the session of the old material is erased at the commit");
}
