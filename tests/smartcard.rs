//! The smartcard walk against the simulated UICC (`tests/support/uicc.rs`): layouts, both OID
//! encodings, EF DIR fallbacks, chunked reads, the 32 KB limit, status-word errors, T=0 flows,
//! PIN, change detection and SCP03 end to end; plus property tests that no parser or state
//! machine panics on arbitrary bytes.

mod support;

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use proptest::prelude::*;
use zeroize::Zeroizing;

use lwm2m_bootstrap::model::{security_res, server_res, DataModel, Instance, Origin, Value};
use lwm2m_bootstrap::smartcard::apdu::{Exchange, Response};
use lwm2m_bootstrap::smartcard::pkcs15::{self, PKCS15_AID};
use lwm2m_bootstrap::smartcard::scp03::level;
use lwm2m_bootstrap::smartcard::{
    der, digest, parse_ef, BlockCipher, CardError, CardReader, Command, EfContent, Pin,
    ReaderConfig, Scp03Config, Scp03Error, Stage, StaticKeys, StatusWord, Step,
};
use support::uicc::{
    dir_record, ef_from_model, plain_oid_dodf, usim_dir_record, Injection, SimCard, SimFile,
    SimScp03, DODF_FID, EF_FID,
};

/// RustCrypto AES behind the library's trait.
enum Aes {
    A128(Box<aes::Aes128>),
    A256(Box<aes::Aes256>),
}

impl BlockCipher for Aes {
    fn new(key: &[u8]) -> Option<Self> {
        match key.len() {
            16 => aes::Aes128::new_from_slice(key).ok().map(|c| Aes::A128(Box::new(c))),
            32 => aes::Aes256::new_from_slice(key).ok().map(|c| Aes::A256(Box::new(c))),
            _ => None,
        }
    }
    fn encrypt_block(&self, block: &mut [u8; 16]) {
        let b = aes::Block::from_mut_slice(block);
        match self {
            Aes::A128(c) => c.encrypt_block(b),
            Aes::A256(c) => c.encrypt_block(b),
        }
    }
    fn decrypt_block(&self, block: &mut [u8; 16]) {
        let b = aes::Block::from_mut_slice(block);
        match self {
            Aes::A128(c) => c.decrypt_block(b),
            Aes::A256(c) => c.decrypt_block(b),
        }
    }
}

/// A DM server account as a card issuer would provision it.
fn dm_model() -> DataModel {
    let mut m = DataModel::new();
    m.insert(
        0,
        1,
        Instance::new(Origin::Smartcard)
            .with(security_res::URI, Value::String("coap://127.0.0.1:5683".into()))
            .with(security_res::BOOTSTRAP_SERVER, Value::Boolean(false))
            .with(security_res::MODE, Value::Integer(3))
            .with(security_res::SSID, Value::Integer(1)),
    );
    m.insert(
        1,
        1,
        Instance::new(Origin::Smartcard)
            .with(server_res::SSID, Value::Integer(1))
            .with(server_res::LIFETIME, Value::Integer(300))
            .with(server_res::NOTIFICATION_STORING, Value::Boolean(false))
            .with(server_res::BINDING, Value::String("U".into())),
    );
    m
}

/// An EF of about `size` bytes: the DM account with a large server public key.
fn large_ef(size: usize) -> Vec<u8> {
    let mut m = dm_model();
    let key: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
    let inst = m.instance_mut(0, 1).unwrap();
    inst.set(security_res::SERVER_PUBLIC_KEY, Value::opaque(&key));
    ef_from_model(&m)
}

fn read(card: &mut SimCard, config: ReaderConfig) -> Result<EfContent, CardError> {
    CardReader::new(config).run(|apdu| Some(card.transmit(apdu)))
}

fn read_scp(card: &mut SimCard, config: ReaderConfig) -> Result<EfContent, CardError> {
    CardReader::<Aes>::with_cipher(config).run(|apdu| Some(card.transmit(apdu)))
}

fn hex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    s.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
}

fn assert_applies_dm_model(content: &EfContent) {
    let data = parse_ef(&content.data).unwrap();
    assert_eq!(data.model, dm_model());
}

#[test]
fn walk_reads_the_nordic_layout_with_the_double_wrapped_oid() {
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    let content = read(&mut card, ReaderConfig::default()).unwrap();
    assert_applies_dm_model(&content);
    assert_eq!(content.path, [0x64, 0x32]);
    assert!(content.channel_closed && !content.secure_channel);
    assert_eq!(content.digest, digest(&content.data));
    // The APDU flow of Nordic's sdk-nrf (lib/uicc_lwm2m), on the channel the card opened.
    assert_eq!(card.log[0], hex("00 70 00 00 01"));
    assert_eq!(card.log[1], hex("01 A4 04 04 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 00"));
    assert_eq!(card.log[2], hex("01 A4 08 04 04 7F FF 50 31 00"));
    assert!(card.log.contains(&hex("01 A4 08 04 04 7F FF 64 32 00")));
    assert_eq!(card.log.last().unwrap(), &hex("01 70 80 01"));
    assert_eq!(card.open_channels(), 0);
}

#[test]
fn walk_accepts_the_plain_oid_encoding_and_absolute_paths() {
    for path in [vec![0x3F, 0x00, 0x50, 0x15, 0x64, 0x32], vec![0x64, 0x32]] {
        let mut card = SimCard::standard(ef_from_model(&dm_model()));
        card.files.get_mut(&DODF_FID).unwrap().data = plain_oid_dodf(&path);
        let content = read(&mut card, ReaderConfig::default()).unwrap();
        assert_applies_dm_model(&content);
        assert_eq!(content.path, path);
    }
}

#[test]
fn falls_back_to_ef_dir_for_an_aid_that_needs_its_full_value() {
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    let mut full_aid = PKCS15_AID.to_vec();
    full_aid.extend_from_slice(&[0x01, 0x02, 0x03]);
    card.aid = full_aid.clone();
    card.partial_aid_selection = false;
    card.dir_records = vec![usim_dir_record(), dir_record(Some(&full_aid), None)];
    let content = read(&mut card, ReaderConfig::default()).unwrap();
    assert_applies_dm_model(&content);
    assert_eq!(card.commands(0xB2).len(), 2, "USIM record, then the PKCS#15 one");
    let selects = card.commands(0xA4);
    assert_eq!(selects[1], &hex("01 A4 08 04 02 2F 00 00"));
    assert_eq!(&selects[2][5..20], &full_aid[..]);
}

#[test]
fn falls_back_to_the_path_in_ef_dir_without_an_adf() {
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    card.adf_selectable = false;
    let content = read(&mut card, ReaderConfig::default()).unwrap();
    assert_applies_dm_model(&content);
    assert!(card.log.contains(&hex("01 A4 08 04 02 50 15 00")), "DF by path");
    assert!(card.log.contains(&hex("01 A4 08 04 04 50 15 64 32 00")), "EF from the MF");
}

#[test]
fn no_pkcs15_application_is_a_clear_error() {
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    card.adf_selectable = false;
    card.dir_records = vec![usim_dir_record()];
    assert_eq!(read(&mut card, ReaderConfig::default()), Err(CardError::NoPkcs15Application));
    assert_eq!(card.open_channels(), 0, "channel closed after the failure");
    card.dir_records.clear();
    assert_eq!(read(&mut card, ReaderConfig::default()), Err(CardError::NoPkcs15Application));
}

#[test]
fn a_20_kb_ef_is_read_in_chunks_with_offsets() {
    let ef = large_ef(20_000);
    assert!(ef.len() > 20_000);
    let mut card = SimCard::standard(ef.clone());
    let content = read(&mut card, ReaderConfig::default()).unwrap();
    assert_eq!(*content.data, ef);
    let reads: Vec<_> = card
        .log
        .iter()
        .skip_while(|a| **a != hex("01 A4 08 04 04 7F FF 64 32 00"))
        .filter(|a| a[1] == 0xB0)
        .collect();
    assert_eq!(reads.len(), ef.len().div_ceil(255));
    for (i, apdu) in reads.iter().enumerate() {
        let offset = usize::from(apdu[2]) << 8 | usize::from(apdu[3]);
        assert_eq!(offset, i * 255, "READ BINARY #{i}");
        let le = if i + 1 < reads.len() { 255 } else { ef.len() - i * 255 };
        assert_eq!(usize::from(apdu[4]), le);
    }
    let data = parse_ef(&content.data).unwrap();
    assert_eq!(
        data.model.instance(0, 1).unwrap().bytes(security_res::SERVER_PUBLIC_KEY).unwrap().len(),
        20_000
    );
    // Smaller chunks and 256-byte chunks (Le 00) work too.
    for chunk in [1u16, 100, 256] {
        let mut card = SimCard::standard(large_ef(3000));
        let config = ReaderConfig { max_chunk: chunk, ..ReaderConfig::default() };
        assert_eq!(*read(&mut card, config).unwrap().data, large_ef(3000), "chunk {chunk}");
    }
}

#[test]
fn the_32_kb_limit_is_enforced() {
    let mut card = SimCard::standard(vec![0xFF; 40_000]);
    assert_eq!(read(&mut card, ReaderConfig::default()), Err(CardError::FileTooLarge(40_000)));
    let after_select = card.log.iter().skip_while(|a| a[1] != 0xA4 || a[7..9] != EF_FID).skip(1);
    assert!(after_select.clone().all(|a| a[1] != 0xB0), "refused before reading");
    // Without a size in the FCP the reader probes one byte past 32 KB.
    card.fcp_size = false;
    assert_eq!(read(&mut card, ReaderConfig::default()), Err(CardError::FileTooLarge(32_769)));
    assert_eq!(card.open_channels(), 0);
    // Exactly 32 KB is allowed, sized or not.
    for fcp_size in [true, false] {
        let mut card = SimCard::standard(vec![0xFF; 32_768]);
        card.fcp_size = fcp_size;
        assert_eq!(read(&mut card, ReaderConfig::default()).unwrap().data.len(), 32_768);
    }
    // A lower configured limit.
    let mut card = SimCard::standard(large_ef(2000));
    let config = ReaderConfig { max_file_size: 1000, ..ReaderConfig::default() };
    assert!(matches!(read(&mut card, config), Err(CardError::FileTooLarge(_))));
}

#[test]
fn status_word_errors_are_clear_errors() {
    let cases = [
        (0x70, 0, 0x6A81, CardError::Status(Stage::OpenChannel, StatusWord(0x6A81))),
        (0xA4, 1, 0x6A82, CardError::Status(Stage::SelectOdf, StatusWord(0x6A82))),
        (0xA4, 2, 0x6A82, CardError::Status(Stage::SelectDodf, StatusWord(0x6A82))),
        (0xA4, 3, 0x6283, CardError::Status(Stage::SelectEf, StatusWord(0x6283))),
        (0xB0, 0, 0x6F00, CardError::Status(Stage::ReadOdf, StatusWord(0x6F00))),
        (0xB0, 2, 0x6581, CardError::Status(Stage::ReadEf, StatusWord(0x6581))),
    ];
    for (ins, nth, sw, expected) in cases {
        let mut card = SimCard::standard(ef_from_model(&dm_model()));
        card.inject.push(Injection { ins, nth, sw });
        assert_eq!(read(&mut card, ReaderConfig::default()), Err(expected), "{ins:02X} #{nth}");
        assert_eq!(card.open_channels(), 0);
    }
    let err = CardError::Status(Stage::SelectOdf, StatusWord(0x6A82));
    assert_eq!(
        err.to_string(),
        "SELECT EF ODF: card answered 6A 82 (file or application not found)"
    );
    // Malformed answers.
    let mut reader = CardReader::new(ReaderConfig::default());
    assert!(matches!(reader.next(None), Step::Transmit(_)));
    assert!(matches!(reader.next(Some(&[0x90])), Step::Done(Err(CardError::MalformedResponse))));
    assert_eq!(reader.next(None), Step::Done(Err(CardError::Finished)));
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    card.files.get_mut(&DODF_FID).unwrap().data = vec![0x30, 0x05, 0x01];
    assert!(matches!(
        read(&mut card, ReaderConfig::default()),
        Err(CardError::MalformedDer(Stage::ReadDodf, _))
    ));
    card.files.get_mut(&DODF_FID).unwrap().data = vec![0xFF; 20];
    assert_eq!(read(&mut card, ReaderConfig::default()), Err(CardError::NoBootstrapObject));
}

#[test]
fn card_removed_mid_walk() {
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    let mut n = 0;
    let result = CardReader::new(ReaderConfig::default()).run(|apdu| {
        n += 1;
        (n <= 3).then(|| card.transmit(apdu))
    });
    assert_eq!(result, Err(CardError::NoResponse));
}

#[test]
fn get_response_flow_61xx() {
    let ef = large_ef(700);
    let mut card = SimCard::standard(ef.clone());
    card.t0_get_response = Some(50);
    let content = read(&mut card, ReaderConfig::default()).unwrap();
    assert_eq!(*content.data, ef);
    let get_responses = card.commands(0xC0);
    assert!(get_responses.len() > 20);
    assert!(
        get_responses.iter().all(|a| a[0] <= 0x01 && a[4] <= 50),
        "on the command's channel, Le from 61xx"
    );
}

#[test]
fn wrong_le_flow_6cxx() {
    let ef = large_ef(300);
    let mut card = SimCard::standard(ef.clone());
    card.exact_le = true;
    card.fcp_size = false;
    let content = read(&mut card, ReaderConfig::default()).unwrap();
    assert_eq!(*content.data, ef);
    let rest = (ef.len() % 255) as u8;
    let reads = card.commands(0xB0);
    assert!(reads.iter().any(|a| a[4] == rest), "re-issued with Le {rest:02X}");
}

#[test]
fn basic_channel_and_known_path() {
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    let config = ReaderConfig {
        logical_channel: false,
        known_path: Some(vec![0x64, 0x32]),
        ..ReaderConfig::default()
    };
    let content = read(&mut card, config.clone()).unwrap();
    assert_applies_dm_model(&content);
    assert!(card.commands(0x70).is_empty() && card.log.iter().all(|a| a[0] == 0x00));
    assert_eq!(card.commands(0xA4).len(), 2, "application and EF only");
    assert!(!content.channel_closed);
    // The file moved: the full walk follows.
    let moved = card.files.remove(&EF_FID).unwrap();
    card.files.insert([0x64, 0x33], moved);
    let mut dodf = support::uicc::nordic_dodf();
    *dodf.last_mut().unwrap() = 0x33;
    card.files.get_mut(&DODF_FID).unwrap().data = dodf;
    let content = read(&mut card, config).unwrap();
    assert_eq!(content.path, [0x64, 0x33]);
}

fn pin_card() -> SimCard {
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    card.files.get_mut(&EF_FID).unwrap().pin = true;
    card.pin = Some((0x01, hex("31 32 33 34 FF FF FF FF")));
    card
}

fn pin(value: &[u8]) -> Option<Pin> {
    Some(Pin { reference: 0x01, value: Zeroizing::new(value.to_vec()) })
}

#[test]
fn pin_protected_ef() {
    let mut card = pin_card();
    let config = ReaderConfig { pin: pin(b"1234"), ..ReaderConfig::default() };
    assert_applies_dm_model(&read(&mut card, config).unwrap());
    assert_eq!(card.commands(0x20), [&hex("01 20 00 01 08 31 32 33 34 FF FF FF FF")]);

    let mut card = pin_card();
    assert_eq!(
        read(&mut card, ReaderConfig::default()),
        Err(CardError::Status(Stage::ReadEf, StatusWord::SECURITY_NOT_SATISFIED))
    );
    let wrong = ReaderConfig { pin: pin(b"9999"), ..ReaderConfig::default() };
    assert_eq!(read(&mut card, wrong.clone()), Err(CardError::PinRejected(2)));
    assert_eq!(read(&mut card, wrong.clone()), Err(CardError::PinRejected(1)));
    assert_eq!(read(&mut card, wrong.clone()), Err(CardError::PinRejected(0)));
    assert_eq!(read(&mut card, wrong), Err(CardError::PinBlocked));
    assert_eq!(card.open_channels(), 0);
}

#[test]
fn digest_changes_iff_the_ef_changes() {
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    let first = read(&mut card, ReaderConfig::default()).unwrap().digest;
    assert_eq!(read(&mut card, ReaderConfig::default()).unwrap().digest, first);
    let mut changed = dm_model();
    changed.instance_mut(1, 1).unwrap().set(server_res::LIFETIME, Value::Integer(600));
    card.set_ef(ef_from_model(&changed));
    let second = read(&mut card, ReaderConfig::default()).unwrap().digest;
    assert_ne!(second, first);
    card.set_ef(ef_from_model(&dm_model()));
    assert_eq!(read(&mut card, ReaderConfig::default()).unwrap().digest, first);
}

#[test]
fn corrupt_ef_yields_nothing() {
    let mut ef = ef_from_model(&dm_model());
    let n = ef.len();
    ef[n - 2] ^= 0x40; // inside the last resource
    ef.truncate(n - 1);
    let mut card = SimCard::standard(ef);
    let content = read(&mut card, ReaderConfig::default()).unwrap();
    assert!(parse_ef(&content.data).is_err());
}

const KEY_ENC: &str = "404142434445464748494a4b4c4d4e4f";
const KEY_MAC: &str = "505152535455565758595a5b5c5d5e5f";

fn scp_card(ef: Vec<u8>, key_len: usize) -> SimCard {
    let mut card = SimCard::standard(ef);
    let widen = |k: &str| hex(k).into_iter().cycle().take(key_len).collect::<Vec<_>>();
    card.scp03 = Some(SimScp03 {
        enc: widen(KEY_ENC),
        mac: widen(KEY_MAC),
        kvn: 0x30,
        i: 0x70,
        required: true,
    });
    card
}

fn scp_config(key_len: usize, security_level: u8) -> ReaderConfig {
    let widen = |k: &str| hex(k).into_iter().cycle().take(key_len).collect::<Vec<_>>();
    ReaderConfig {
        scp03: Some(Scp03Config {
            keys: StaticKeys {
                enc: Zeroizing::new(widen(KEY_ENC)),
                mac: Zeroizing::new(widen(KEY_MAC)),
                dek: Zeroizing::new(vec![0; key_len]),
            },
            key_version: 0x30,
            security_level,
            host_challenge: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
        }),
        ..ReaderConfig::default()
    }
}

#[test]
fn scp03_wrapped_read_end_to_end() {
    for key_len in [16, 32] {
        for security_level in [level::C_MAC, 0x03, 0x13, level::FULL] {
            let ef = large_ef(1500);
            let mut card = scp_card(ef.clone(), key_len);
            let content = read_scp(&mut card, scp_config(key_len, security_level)).unwrap();
            assert_eq!(*content.data, ef, "AES-{} level {security_level:02X}", key_len * 8);
            assert!(content.secure_channel && content.channel_closed);
            let iu = card.commands(0x50);
            assert_eq!(iu[0][..5], [0x81, 0x50, 0x30, 0x00, 0x08]);
            assert_eq!(card.commands(0x82)[0][..5], [0x85, 0x82, security_level, 0x00, 0x10]);
            assert!(card.commands(0xB0).iter().all(|a| a[0] == 0x05), "SM bit on channel 1");
            let select_ef = card.commands(0xA4).into_iter().last().unwrap().clone();
            if security_level & level::C_DECRYPTION != 0 {
                assert_eq!(select_ef[4], 16 + 8, "path encrypted and padded, then the C-MAC");
            } else {
                assert_eq!(&select_ef[5..9], &[0x7F, 0xFF, 0x64, 0x32]);
            }
        }
    }
}

#[test]
fn scp03_with_pin_and_t0() {
    let mut card = scp_card(ef_from_model(&dm_model()), 16);
    card.files.get_mut(&EF_FID).unwrap().pin = true;
    card.pin = Some((0x01, hex("31 32 33 34 FF FF FF FF")));
    card.t0_get_response = Some(64);
    let config = ReaderConfig { pin: pin(b"1234"), ..scp_config(16, level::FULL) };
    assert_applies_dm_model(&read_scp(&mut card, config).unwrap());
    let verify = card.commands(0x20);
    assert_eq!(verify[0][..5], [0x05, 0x20, 0x00, 0x01, 0x18], "PIN encrypted");
    assert!(!card.commands(0xC0).is_empty());
}

#[test]
fn scp03_failures_are_clear() {
    let mut card = scp_card(ef_from_model(&dm_model()), 16);
    let mut config = scp_config(16, level::FULL);
    if let Some(scp) = config.scp03.as_mut() {
        scp.keys.mac = Zeroizing::new(hex(KEY_ENC));
    }
    assert_eq!(
        read_scp(&mut card, config),
        Err(CardError::Scp03(Scp03Error::CardCryptogramMismatch))
    );
    assert_eq!(card.open_channels(), 0);

    assert_eq!(
        read(&mut card, scp_config(16, level::FULL)),
        Err(CardError::Scp03(Scp03Error::NoCipher)),
        "a build without AES"
    );

    card.corrupt_rmac = true;
    assert_eq!(
        read_scp(&mut card, scp_config(16, level::FULL)),
        Err(CardError::Scp03(Scp03Error::RmacMismatch))
    );
    card.corrupt_rmac = false;

    card.scp03.as_mut().unwrap().i = 0x10; // no R-MAC / R-ENCRYPTION on this card
    assert_eq!(
        read_scp(&mut card, scp_config(16, level::FULL)),
        Err(CardError::Scp03(Scp03Error::LevelNotSupportedByCard(0x10)))
    );
    // The card insists on the secure channel: reading without it is refused.
    let mut card = scp_card(ef_from_model(&dm_model()), 16);
    assert_eq!(
        read(&mut card, ReaderConfig::default()),
        Err(CardError::Status(Stage::ReadOdf, StatusWord::SECURITY_NOT_SATISFIED))
    );
    // A card without SCP03.
    let mut card = SimCard::standard(ef_from_model(&dm_model()));
    assert_eq!(
        read_scp(&mut card, scp_config(16, level::FULL)),
        Err(CardError::Status(Stage::InitializeUpdate, StatusWord(0x6D00)))
    );
}

#[test]
fn the_simulated_card_matches_the_pysim_vectors_kdf() {
    // The card side's KDF (RustCrypto CMAC) against the first pySim trace: same card cryptogram.
    let context = hex("fdf38259a1e0de44 3b1aca81e821f219");
    let s_mac = support::uicc::kdf(&hex("101112131415161718191a1b1c1d1e1f"), 0x06, &context, 128);
    assert_eq!(support::uicc::kdf(&s_mac, 0x00, &context, 64), hex("081cdc01c26b372d"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn der_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = der::read_tlv(&bytes);
        if let Ok(tlvs) = der::parse_padded(&bytes) {
            let _ = der::find(&tlvs, &|t| t.tag == 0x04);
        }
        let _ = pkcs15::parse_odf(&bytes);
        let _ = pkcs15::find_bootstrap_path(&bytes);
        let _ = pkcs15::parse_dir_record(&bytes);
        let _ = pkcs15::fcp_file_size(&bytes);
    }

    #[test]
    fn apdu_response_parsing_never_panics(answers in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..8)) {
        let _ = Response::parse(&answers[0]);
        if let Ok((mut exchange, _)) = Exchange::start(Command::new(0x01, 0xB0, 0, 0).with_le(255)) {
            for a in &answers {
                if exchange.on_response(a).is_err() {
                    break;
                }
            }
        }
    }

    #[test]
    fn ef_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_ef(&bytes);
    }

    #[test]
    fn ef_parser_never_panics_on_mutated_valid_files(flips in proptest::collection::vec((0usize..200, any::<u8>()), 1..6)) {
        let mut ef = ef_from_model(&dm_model());
        for (at, value) in flips {
            let n = ef.len();
            ef[at % n] = value;
        }
        let _ = parse_ef(&ef);
    }

    #[test]
    fn card_reader_never_panics_and_terminates(answers in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..24), 0..64), scp in any::<bool>()) {
        let config = if scp { scp_config(16, level::FULL) } else { ReaderConfig::default() };
        let mut reader = CardReader::<Aes>::with_cipher(config);
        let mut answers = answers.into_iter();
        let mut step = reader.next(None);
        let mut n = 0;
        while let Step::Transmit(_) = step {
            n += 1;
            prop_assert!(n < 200);
            let answer = answers.next();
            step = reader.next(answer.as_deref());
        }
    }

    #[test]
    fn card_reader_survives_a_corrupted_card(seed in proptest::collection::vec((0usize..64, any::<u8>()), 1..4), file in 0usize..3) {
        let mut card = SimCard::standard(ef_from_model(&dm_model()));
        let fid = [[0x50, 0x31], DODF_FID, EF_FID][file];
        let f: &mut SimFile = card.files.get_mut(&fid).unwrap();
        for (at, value) in seed {
            let n = f.data.len();
            f.data[at % n] = value;
        }
        if let Ok(content) = read(&mut card, ReaderConfig::default()) {
            let _ = parse_ef(&content.data);
        }
        prop_assert_eq!(card.open_channels(), 0);
    }
}
