//! Bootstrap from Smartcard as step 1 of the Bootstrap Sequence (docs/smartcard.md): ETS 1.1-int-3, the
//! card winning over the factory configuration, change and removal detection before Register,
//! Update and Bootstrap-Request (Core 1.1 §5.2.3.2), corrupt and unreadable cards falling
//! through to factory and bootstrap, a card with only a Bootstrap-Server account, nothing
//! persisted from the card, chunked reads, both OID encodings, PIN and SCP03 through the
//! client. Deterministic: a virtual clock, scripted servers, the simulated UICC.

mod common;
mod support;

use std::sync::{Arc, Mutex};

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use zeroize::Zeroizing;

use common::*;
use lwm2m_bootstrap::client::{
    CardTransport, Config, Event, Scp03Keys, Smartcard, SmartcardConfig, SmartcardRejection, State,
    StateReason,
};
use lwm2m_bootstrap::coap::{Code, Message};
use lwm2m_bootstrap::model::{security_res, server_res, DataModel, Instance, Origin, Value};
use lwm2m_bootstrap::smartcard::{BlockCipher, CardError, Pin, Stage, StaticKeys, StatusWord};
use support::uicc::{
    ef_from_model, plain_oid_dodf, Injection, SimCard, SimFile, SimScp03, DODF_FID,
};

const Y_URI: &str = "coap://127.0.0.1:5690";
const Z_URI: &str = "coap://127.0.0.1:5691";
const CARD_BS_URI: &str = "coap://127.0.0.1:5791";

type SharedCard = Arc<Mutex<Option<SimCard>>>;

/// The firmware's card slot: the test inserts, changes and removes the simulated card.
struct Slot(SharedCard);

impl CardTransport for Slot {
    fn present(&mut self) -> bool {
        self.0.lock().unwrap().is_some()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        self.0.lock().unwrap().as_mut().map(|card| card.transmit(apdu))
    }
}

fn install(h: &mut Harness, card: Option<SimCard>, config: SmartcardConfig) -> SharedCard {
    let shared = Arc::new(Mutex::new(card));
    let smartcard = Smartcard::new(Box::new(Slot(shared.clone())), config);
    h.client.set_smartcard(Some(smartcard)).unwrap();
    shared
}

fn security(uri: &str, bootstrap: bool, ssid: Option<i64>) -> Instance {
    let mut i = Instance::new(Origin::Smartcard)
        .with(security_res::URI, Value::String(uri.into()))
        .with(security_res::BOOTSTRAP_SERVER, Value::Boolean(bootstrap))
        .with(security_res::MODE, Value::Integer(3));
    if let Some(ssid) = ssid {
        i.set(security_res::SSID, Value::Integer(ssid));
    }
    i
}

/// A card provisioning one LwM2M Server: /0/1 and /1/0 with `ssid`, `lifetime_s`.
fn card_model(uri: &str, ssid: i64, lifetime_s: i64) -> DataModel {
    let mut m = DataModel::new();
    m.insert(0, 1, security(uri, false, Some(ssid)));
    m.insert(
        1,
        0,
        Instance::new(Origin::Smartcard)
            .with(server_res::SSID, Value::Integer(ssid))
            .with(server_res::LIFETIME, Value::Integer(lifetime_s))
            .with(server_res::NOTIFICATION_STORING, Value::Boolean(false))
            .with(server_res::BINDING, Value::String("U".into())),
    );
    m
}

fn card_for(uri: &str, ssid: i64, lifetime_s: i64) -> SimCard {
    SimCard::standard(ef_from_model(&card_model(uri, ssid, lifetime_s)))
}

/// A factory client: Bootstrap-Server account plus server X (SSID 1) at DM_URI.
fn factory(lifetime_s: u64) -> Harness {
    let mut h = Harness::with_bootstrap(Config::new("urn:dev:card"), 0, 0);
    h.provision_server(1, DM_URI, lifetime_s);
    h
}

fn is_register(m: &Message) -> bool {
    m.code == Code::POST && m.uri_path().unwrap() == ["rd"]
}

fn is_bootstrap_request(m: &Message) -> bool {
    m.code == Code::POST && m.uri_path().unwrap() == ["bs"]
}

/// Answers the next datagram, a Register to `uri`, with 2.01 at `location`.
fn accept_register_at(
    h: &mut Harness,
    uri: &str,
    location: &str,
) -> lwm2m_bootstrap::client::ConnId {
    let (conn, req) = h.accept_register(&["rd", location]);
    assert!(is_register(&req), "expected a Register, got {req:?}");
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(uri), "Register to the wrong server");
    conn
}

fn storage_writes(h: &Harness) -> usize {
    h.count(|e| matches!(e, Event::StorageWrite(_)))
}

// ----- ETS 1.1-int-3 ---------------------------------------------------------------------

#[test]
fn lwm2m_1_1_int_3_after_inserting_the_card_the_client_registers_to_the_cards_server() {
    // 1-2: registered to X with the factory configuration; X reads /1/0/1 = 86400.
    let mut h = factory(86400);
    h.client.persist_configuration();
    h.start();
    let x = accept_register_at(&mut h, DM_URI, "x");
    assert_eq!(h.get(x, "/1/0/1").payload, res_int(1, 86400));
    let slots = {
        let mut slots: [Option<Vec<u8>>; 2] = [None, None];
        for e in &h.events {
            if let Event::StorageWrite(w) = e {
                slots[usize::from(w.slot)] = Some(w.image.to_vec());
            }
        }
        slots
    };
    // 3: power off, insert the card naming Y (lifetime 43200), power on.
    let mut h = Harness::new(Config::new("urn:dev:card"));
    h.client.restore([slots[0].as_deref(), slots[1].as_deref()]).unwrap();
    assert_eq!(h.client.configuration().server_account_pairs().count(), 1);
    install(&mut h, Some(card_for(Y_URI, 2, 43200)), SmartcardConfig::default());
    h.start();
    assert!(h.has_event(|e| matches!(
        e,
        Event::SmartcardApplied { accounts: 1, bootstrap_account: false, ignored_objects: 0 }
    )));
    // 4: the client registers to Y, and only to Y; no bootstrap.
    let y = accept_register_at(&mut h, Y_URI, "y");
    h.assert_nothing_sent();
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Registered, StateReason::Smartcard)
    );
    // 5: Y reads /1/0/1 = 43200.
    h.advance(1000);
    assert_eq!(h.get(y, "/1/0/1").payload, res_int(1, 43200));
    assert!(!h.has_event(|e| *e == Event::BootstrapStarted));
    // The factory Bootstrap-Server account stays usable (the card has none).
    assert!(h.client.configuration().bootstrap_account().is_some());
}

#[test]
fn a_valid_card_wins_over_the_factory_configuration_and_nothing_of_it_is_persisted() {
    let mut h = factory(86400);
    let card = install(&mut h, Some(card_for(Y_URI, 1, 300)), SmartcardConfig::default());
    h.start();
    accept_register_at(&mut h, Y_URI, "y");
    h.assert_nothing_sent();
    assert_eq!(storage_writes(&h), 0, "nothing from the card is written");
    // The same SSID as the factory server: the factory account is shelved, not merged.
    let model = h.client.configuration();
    assert_eq!(model.security_for_ssid(1).unwrap().uri(), Some(Y_URI));
    assert_eq!(model.server_accounts().count(), 1);
    // Stop: the factory configuration is back; start without the card: X.
    h.client.stop(h.now).unwrap();
    h.pump();
    let (conn, dereg) = h.next_sent();
    h.reply(conn, &dereg, Code::DELETED);
    assert_eq!(h.client.state(), State::Idle);
    assert_eq!(h.client.configuration().security_for_ssid(1).unwrap().uri(), Some(DM_URI));
    *card.lock().unwrap() = None;
    h.advance(1000);
    h.start();
    accept_register_at(&mut h, DM_URI, "x");
    assert_eq!(h.client.state_reason(), StateReason::FactoryConfiguration);
}

// ----- change and removal (Core 1.1 §5.2.3.2) ---------------------------------------------

/// Registered to Y from the card; returns the card and Y's connection.
fn registered_from_card(h: &mut Harness) -> (SharedCard, lwm2m_bootstrap::client::ConnId) {
    let card = install(h, Some(card_for(Y_URI, 1, 300)), SmartcardConfig::default());
    h.start();
    let y = accept_register_at(h, Y_URI, "y");
    (card, y)
}

/// Runs the clock to the client's next datagram.
fn next_datagram(h: &mut Harness) -> (lwm2m_bootstrap::client::ConnId, Message) {
    h.run_until(400_000, |h| !h.outbox.is_empty());
    h.next_sent()
}

#[test]
fn an_unchanged_card_is_read_again_before_each_update_through_its_known_path() {
    let mut h = factory(86400);
    let (card, y) = registered_from_card(&mut h);
    let odf_selects =
        |c: &SimCard| c.commands(0xA4).iter().filter(|a| a.ends_with(&[0x50, 0x31, 0x00])).count();
    let reads_before = card.lock().unwrap().as_ref().unwrap().commands(0xB0).len();
    for _ in 0..3 {
        let (conn, upd) = next_datagram(&mut h);
        assert_eq!((conn, upd.code, upd.uri_path().unwrap()), (y, Code::POST, vec!["rd", "y"]));
        h.reply(conn, &upd, Code::CHANGED);
    }
    assert_eq!(h.count(|e| *e == Event::Updated { ssid: 1 }), 3);
    let card = card.lock().unwrap();
    let card = card.as_ref().unwrap();
    assert!(card.commands(0xB0).len() >= reads_before + 3, "the EF is read before each Update");
    assert_eq!(odf_selects(card), 1, "re-reads go straight to the known path");
    assert_eq!(card.open_channels(), 0);
}

#[test]
fn a_card_changed_between_two_updates_disables_the_old_server_and_registers_to_the_new() {
    let mut h = factory(86400);
    let (card, y) = registered_from_card(&mut h);
    let (conn, upd) = next_datagram(&mut h);
    assert_eq!(conn, y);
    h.reply(conn, &upd, Code::CHANGED);
    // Over the air, the issuer rewrites the EF: server Z.
    card.lock().unwrap().as_mut().unwrap().set_ef(ef_from_model(&card_model(Z_URI, 5, 600)));
    let (conn, reg) = next_datagram(&mut h);
    assert!(is_register(&reg), "a new Register, not an Update to the old server");
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(Z_URI));
    assert!(h.has_event(|e| *e == Event::SmartcardChanged));
    assert!(h.has_event(|e| *e == Event::Disconnect { conn: y }), "old session closed");
    assert!(!h.conns.contains_key(&y));
    let mut ack = Message::response_to(&reg, Code::CREATED);
    ack.set_location_path(&["rd", "z"]);
    h.deliver(conn, &ack);
    assert!(h.has_event(|e| matches!(e, Event::Registered { ssid: 5, .. })));
    let model = h.client.configuration();
    assert!(model.security_for_ssid(1).is_none(), "the old card information is gone");
    assert_eq!(model.server_for_ssid(5).unwrap().lifetime_s(), 600);
    assert_eq!(storage_writes(&h), 0);
}

#[test]
fn a_removed_card_deletes_its_information_and_the_factory_server_is_used() {
    let mut h = factory(86400);
    let (card, y) = registered_from_card(&mut h);
    *card.lock().unwrap() = None;
    let (conn, reg) = next_datagram(&mut h);
    assert!(is_register(&reg));
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(DM_URI));
    assert!(h.has_event(|e| *e == Event::SmartcardRemoved { reason: None }));
    assert!(!h.conns.contains_key(&y));
    assert!(!h.client.smartcard_applied());
    assert_eq!(h.client.configuration().security_for_ssid(1).unwrap().uri(), Some(DM_URI));
    assert_eq!(h.client.state_reason(), StateReason::FactoryConfiguration);
}

#[test]
fn a_removed_card_without_factory_servers_falls_back_to_bootstrap() {
    let mut h = Harness::with_bootstrap_account();
    let (card, _) = registered_from_card(&mut h);
    *card.lock().unwrap() = None;
    let (conn, req) = next_datagram(&mut h);
    assert!(is_bootstrap_request(&req));
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(BS_URI));
    assert_eq!(
        (h.client.state(), h.client.state_reason()),
        (State::Bootstrapping, StateReason::NoServerAccount)
    );
}

#[test]
fn a_card_that_becomes_unreadable_counts_as_removed() {
    let mut h = factory(86400);
    let (card, _) = registered_from_card(&mut h);
    // The next READ BINARY fails (injections count commands from the card's power-on).
    let reads = card.lock().unwrap().as_ref().unwrap().commands(0xB0).len();
    card.lock().unwrap().as_mut().unwrap().inject.push(Injection {
        ins: 0xB0,
        nth: reads,
        sw: 0x6F00,
    });
    let (conn, reg) = next_datagram(&mut h);
    assert!(is_register(&reg));
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(DM_URI));
    assert!(h.has_event(|e| matches!(
        e,
        Event::SmartcardRemoved {
            reason: Some(CardError::Status(Stage::ReadEf, StatusWord(0x6F00)))
        }
    )));
}

#[test]
fn a_changed_card_with_corrupt_content_falls_through_to_the_factory_server() {
    let mut h = factory(86400);
    let (card, _) = registered_from_card(&mut h);
    let mut ef = ef_from_model(&card_model(Z_URI, 5, 600));
    ef[1] = 9; // object count
    card.lock().unwrap().as_mut().unwrap().set_ef(ef);
    let (conn, reg) = next_datagram(&mut h);
    assert!(is_register(&reg));
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(DM_URI));
    assert!(h.has_event(|e| *e == Event::SmartcardChanged));
    assert!(h.has_event(|e| matches!(
        e,
        Event::SmartcardRejected { reason: SmartcardRejection::Ef(_) }
    )));
}

// ----- cards that are not applied at start ---------------------------------------------

#[test]
fn a_corrupt_ef_applies_nothing_and_the_factory_server_is_registered() {
    let mut h = factory(86400);
    let mut ef = ef_from_model(&card_model(Y_URI, 1, 300));
    let n = ef.len();
    ef.truncate(n - 1);
    let before = h.client.configuration().clone();
    install(&mut h, Some(SimCard::standard(ef)), SmartcardConfig::default());
    h.start();
    assert!(h.has_event(|e| matches!(
        e,
        Event::SmartcardRejected { reason: SmartcardRejection::Ef(_) }
    )));
    accept_register_at(&mut h, DM_URI, "x");
    assert_eq!(h.client.configuration(), &before);
    assert_eq!(h.client.state_reason(), StateReason::FactoryConfiguration);
}

#[test]
fn an_invalid_card_configuration_applies_nothing() {
    let mut h = factory(86400);
    let mut model = card_model(Y_URI, 1, 300);
    model.remove(1, 0); // a Security instance without its Server instance
    model.insert(0, 0, security(CARD_BS_URI, true, None));
    install(&mut h, Some(SimCard::standard(ef_from_model(&model))), SmartcardConfig::default());
    h.start();
    assert!(h.has_event(|e| matches!(
        e,
        Event::SmartcardRejected { reason: SmartcardRejection::Invalid(_) }
    )));
    accept_register_at(&mut h, DM_URI, "x");
}

#[test]
fn status_word_errors_at_start_fall_through_to_factory() {
    for (ins, sw, stage) in [
        (0x70, 0x6881, Stage::OpenChannel),
        (0xA4, 0x6A82, Stage::SelectApplication),
        (0xB0, 0x6F00, Stage::ReadOdf),
    ] {
        let mut h = factory(86400);
        let mut sim = card_for(Y_URI, 1, 300);
        sim.inject.push(Injection { ins, nth: 0, sw });
        // Without EF DIR, a failed SELECT by AID is final.
        sim.dir_records.clear();
        let card = install(&mut h, Some(sim), SmartcardConfig::default());
        h.start();
        let rejected = h.events.iter().find_map(|e| match e {
            Event::SmartcardRejected { reason: SmartcardRejection::Card(c) } => Some(*c),
            _ => None,
        });
        match rejected {
            Some(CardError::Status(s, StatusWord(w))) => assert_eq!((s, w), (stage, sw)),
            Some(CardError::NoPkcs15Application) => assert_eq!(ins, 0xA4),
            other => panic!("{ins:02X}: {other:?}"),
        }
        accept_register_at(&mut h, DM_URI, "x");
        assert_eq!(card.lock().unwrap().as_ref().unwrap().open_channels(), 0);
    }
}

#[test]
fn no_card_in_the_slot_is_step_1_skipped() {
    let mut h = factory(86400);
    install(&mut h, None, SmartcardConfig::default());
    h.start();
    assert!(!h.has_event(|e| matches!(e, Event::SmartcardRejected { .. })));
    accept_register_at(&mut h, DM_URI, "x");
}

// ----- a card with only a Bootstrap-Server account -----------------------------------------

#[test]
fn a_bootstrap_only_card_bootstraps_from_the_cards_server() {
    let mut h = factory(86400);
    let mut model = DataModel::new();
    model.insert(0, 0, security(CARD_BS_URI, true, None));
    let card =
        install(&mut h, Some(SimCard::standard(ef_from_model(&model))), SmartcardConfig::default());
    h.start();
    assert!(h.has_event(|e| matches!(
        e,
        Event::SmartcardApplied { accounts: 0, bootstrap_account: true, .. }
    )));
    let (bs, req) = h.next_sent();
    assert!(is_bootstrap_request(&req), "no factory Register: the card's configuration is used");
    assert_eq!(h.conns.get(&bs).map(String::as_str), Some(CARD_BS_URI));
    let mut ack = Message::response_to(&req, Code::CHANGED);
    ack.message_type = lwm2m_bootstrap::coap::MessageType::Acknowledgement;
    h.deliver(bs, &ack);
    assert_eq!(h.write(bs, "/0", dm_security(1, Y_URI, 1)).code, Code::CHANGED);
    assert_eq!(h.write(bs, "/1", dm_server(0, 1, 300)).code, Code::CHANGED);
    assert_eq!(h.finish(bs).code, Code::CHANGED);
    assert!(h.has_event(|e| *e == Event::ConfigurationChanged));
    assert_eq!(storage_writes(&h), 0, "the card era is not persisted");
    h.advance(10);
    accept_register_at(&mut h, Y_URI, "y");
    // The card goes: the bootstrapped servers go with it; the factory server is back.
    *card.lock().unwrap() = None;
    let (conn, reg) = next_datagram(&mut h);
    assert!(is_register(&reg));
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(DM_URI));
}

#[test]
fn a_bootstrap_request_to_the_cards_server_checks_the_card_first() {
    let mut h = factory(86400);
    let mut model = DataModel::new();
    model.insert(0, 0, security(CARD_BS_URI, true, None));
    let card =
        install(&mut h, Some(SimCard::standard(ef_from_model(&model))), SmartcardConfig::default());
    h.start();
    let (bs, req) = h.next_sent();
    assert!(is_bootstrap_request(&req));
    // The bootstrap fails (RST); the card is removed before the back-off retry.
    let rst = Message::reset(req.message_id);
    h.deliver(bs, &rst);
    *card.lock().unwrap() = None;
    let (conn, reg) = next_datagram(&mut h);
    assert!(is_register(&reg), "the retry found no card: factory configuration");
    assert_eq!(h.conns.get(&conn).map(String::as_str), Some(DM_URI));
}

// ----- reading: chunks, OID encodings, PIN, SCP03 ------------------------------------------

#[test]
fn a_large_ef_is_read_in_chunks_and_applied() {
    let mut h = factory(86400);
    let mut model = card_model(Y_URI, 1, 300);
    model
        .instance_mut(0, 1)
        .unwrap()
        .set(security_res::SERVER_PUBLIC_KEY, Value::opaque(&vec![0x5A; 3000]));
    let ef = ef_from_model(&model);
    assert!(ef.len() > 3000);
    let config = SmartcardConfig { max_chunk: 128, ..SmartcardConfig::default() };
    let card = install(&mut h, Some(SimCard::standard(ef)), config);
    h.start();
    accept_register_at(&mut h, Y_URI, "y");
    let card = card.lock().unwrap();
    let reads = card.as_ref().unwrap().commands(0xB0);
    assert!(reads.len() > 3000 / 128, "{} READ BINARY", reads.len());
    assert!(reads.iter().all(|a| a.last().is_some_and(|&le| le <= 128 && le != 0)));
}

#[test]
fn both_oid_encodings_lead_to_the_ef() {
    // The standard card uses Nordic's double-wrapped OID; this one the plain PKCS#15 form.
    let mut sim = card_for(Y_URI, 1, 300);
    sim.files.insert(DODF_FID, SimFile { data: plain_oid_dodf(&[0x64, 0x32]), pin: false });
    for card in [card_for(Y_URI, 1, 300), sim] {
        let mut h = factory(86400);
        install(&mut h, Some(card), SmartcardConfig::default());
        h.start();
        accept_register_at(&mut h, Y_URI, "y");
    }
}

#[test]
fn a_pin_protected_ef_is_read_with_the_configured_pin() {
    let mut sim = card_for(Y_URI, 1, 300);
    sim.pin = Some((0x01, b"1234\xFF\xFF\xFF\xFF".to_vec()));
    sim.files.get_mut(&support::uicc::EF_FID).unwrap().pin = true;
    let mut h = factory(86400);
    install(&mut h, Some(sim.clone()), SmartcardConfig::default());
    h.start();
    assert!(h.has_event(|e| matches!(
        e,
        Event::SmartcardRejected {
            reason: SmartcardRejection::Card(CardError::Status(
                _,
                StatusWord::SECURITY_NOT_SATISFIED
            ))
        }
    )));
    accept_register_at(&mut h, DM_URI, "x");
    let mut h = factory(86400);
    let pin = Pin { reference: 0x01, value: Zeroizing::new(b"1234".to_vec()) };
    install(&mut h, Some(sim), SmartcardConfig { pin: Some(pin), ..SmartcardConfig::default() });
    h.start();
    accept_register_at(&mut h, Y_URI, "y");
}

/// RustCrypto AES behind the library's trait (the firmware's AES in a real device).
struct Aes(Box<aes::Aes128>);

impl BlockCipher for Aes {
    fn new(key: &[u8]) -> Option<Self> {
        aes::Aes128::new_from_slice(key).ok().map(|c| Aes(Box::new(c)))
    }
    fn encrypt_block(&self, block: &mut [u8; 16]) {
        self.0.encrypt_block(aes::Block::from_mut_slice(block));
    }
    fn decrypt_block(&self, block: &mut [u8; 16]) {
        self.0.decrypt_block(aes::Block::from_mut_slice(block));
    }
}

#[test]
fn scp03_through_the_client_with_the_firmwares_aes() {
    let enc: Vec<u8> = (0x40..0x50).collect();
    let mac: Vec<u8> = (0x50..0x60).collect();
    let mut sim = card_for(Y_URI, 1, 300);
    sim.scp03 =
        Some(SimScp03 { enc: enc.clone(), mac: mac.clone(), kvn: 0x30, i: 0x70, required: true });
    let keys = Scp03Keys {
        keys: StaticKeys {
            enc: Zeroizing::new(enc),
            mac: Zeroizing::new(mac),
            dek: Zeroizing::new(vec![0; 16]),
        },
        key_version: 0x30,
        security_level: 0x33,
    };
    let config = SmartcardConfig { scp03: Some(keys), ..SmartcardConfig::default() };
    // Without an AES the secure channel cannot open: the card is not applied.
    let mut h = factory(86400);
    install(&mut h, Some(sim.clone()), config.clone());
    h.start();
    assert!(h.has_event(|e| matches!(e, Event::SmartcardRejected { .. })));
    accept_register_at(&mut h, DM_URI, "x");
    // With the firmware's AES: applied, and re-checked through a new session before Updates.
    let mut h = factory(86400);
    let shared = Arc::new(Mutex::new(Some(sim)));
    let card = Smartcard::with_cipher::<Aes>(Box::new(Slot(shared.clone())), config);
    h.client.set_smartcard(Some(card)).unwrap();
    h.start();
    let y = accept_register_at(&mut h, Y_URI, "y");
    let (conn, upd) = next_datagram(&mut h);
    assert_eq!((conn, upd.uri_path().unwrap()), (y, vec!["rd", "y"]));
    let sim = shared.lock().unwrap();
    assert_eq!(sim.as_ref().unwrap().commands(0x50).len(), 2, "one INITIALIZE UPDATE per read");
}
