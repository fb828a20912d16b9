//! The fuzz targets' seed corpus (fuzz/seeds/<target>/), generated from the test fixtures:
//! the simulated UICC's answers along a full PKCS#15 walk, its EF and DER files, persisted
//! images of a real configuration, TLV of the ETS writes, and whole-client programs that
//! bootstrap, register and restart. The test fails when a committed seed is missing or stale;
//! `LWBS_WRITE_FUZZ_SEEDS=1 cargo test --test fuzz_seeds` rewrites them. (The CoAP and
//! link-format seeds are real captures: fuzz/capture_seeds.py.)

mod common;
mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{dm_security, dm_server};
use lwm2m_bootstrap::client::{
    BootstrapAccountConfig, Client, Config, SecurityConfig, ServerAccountConfig,
};
use lwm2m_bootstrap::persist::{decode_image, encode_image};
use lwm2m_bootstrap::smartcard::{der, parse_ef, CardReader, ReaderConfig, Step};
use support::uicc::{ef_from_model, nordic_dodf, nordic_odf, usim_dir_record, SimCard};

const DM_URI: &str = "coap://127.0.0.1:5683";

/// One length-prefixed chunk as the fuzz targets' `Cursor::chunk` reads it.
fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if bytes.len() < 255 {
        out.push(bytes.len() as u8);
    } else {
        out.push(255);
        out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    }
    out.extend_from_slice(bytes);
    out
}

/// A configuration as a device holds it after a bootstrap: the BS account and one server.
fn configuration() -> lwm2m_bootstrap::model::DataModel {
    let mut client = Client::new(Config::new("urn:dev:seed"));
    client
        .provision_bootstrap_account(&BootstrapAccountConfig {
            security: SecurityConfig::nosec("coap://127.0.0.1:5783"),
            hold_off_s: 0,
            account_timeout_s: 0,
        })
        .unwrap();
    client
        .provision_server_account(&ServerAccountConfig {
            ssid: 1,
            security: SecurityConfig::nosec(DM_URI),
            lifetime_s: 300,
            binding: "U".into(),
        })
        .unwrap();
    client.configuration().clone()
}

/// The whole-client program of a client-initiated bootstrap (see
/// fuzz/fuzz_targets/whole_client.rs for the opcodes): 2.04 to the Bootstrap-Request,
/// PUT /0, PUT /1, Finish, the save completed, 2.01 to the Register, a DM read of /0, an
/// hour of time, a power cut and restart.
fn whole_client_bootstrap(finish_first: bool) -> Vec<u8> {
    let mut p = vec![0]; // flags: hold-off 0, no factory server
    p.extend([5, 0]); // answer the Bootstrap-Request 2.04
    if finish_first {
        p.extend([0, 10, 5, 0]); // POST /bs before anything: 4.06
    }
    p.extend([0, 6, 0]); // PUT /0 (TLV)
    p.extend(chunk(&dm_security(1, DM_URI, 1)));
    p.extend([0, 6, 1]); // PUT /1 (TLV)
    p.extend(chunk(&dm_server(0, 1, 300)));
    p.extend([0, 10, 5, 0]); // POST /bs
    p.extend([8, 1]); // the save completed
    p.extend([5, 2]); // 2.01 with Location-Path to the Register
    p.extend([3, 8, 0, 0]); // the DM server GETs /0
    p.extend([7, 0xB8, 0x0B]); // 60 s
    p.extend([11, 0]); // power cut, restart
    p.extend([5, 2]); // 2.01 to the Register after the restart
    p
}

fn seeds() -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut put = |target: &str, name: &str, bytes: Vec<u8>| {
        out.insert(PathBuf::from(format!("fuzz/seeds/{target}/{name}")), bytes);
    };
    add_seeds(&mut put);
    out
}

fn add_seeds(put: &mut impl FnMut(&str, &str, Vec<u8>)) {
    let model = configuration();
    let ef = ef_from_model(&model);
    assert!(parse_ef(&ef).is_ok(), "the EF seed parses");
    put("smartcard_ef", "dm-account", ef.clone());

    put("pkcs15_der", "odf", nordic_odf());
    put("pkcs15_der", "dodf", nordic_dodf());
    put("pkcs15_der", "usim-dir-record", usim_dir_record());
    assert!(der::parse_all(&nordic_dodf()).is_ok());

    for generation in [1u32, 2] {
        let image = encode_image(&model, generation);
        assert_eq!(decode_image(&image).unwrap(), (model.clone(), generation));
        put("persist_image", &format!("generation-{generation}"), image);
    }

    // The card's answers along a full walk, as the apdu_responses program: flags, then one
    // chunk per answer.
    for (flags, name) in [(1u8, "logical-channel"), (0, "basic-channel")] {
        let mut card = SimCard::standard(ef.clone());
        let config = ReaderConfig { logical_channel: flags & 1 == 1, ..ReaderConfig::default() };
        let mut reader = CardReader::new(config);
        let mut program = vec![flags];
        let mut answer: Option<Vec<u8>> = None;
        loop {
            match reader.next(answer.as_deref()) {
                Step::Transmit(apdu) => {
                    let a = card.transmit(&apdu);
                    program.extend(chunk(&a));
                    answer = Some(a);
                }
                Step::Done(result) => {
                    assert!(result.is_ok(), "the walk of the seed succeeds: {result:?}");
                    break;
                }
            }
        }
        put("apdu_responses", name, program);
    }

    // TLV: selector byte (object = selector % 3, depth = selector / 3 % 3), then the payload.
    put("tlv", "security-object", [vec![0], dm_security(1, DM_URI, 1)].concat());
    put("tlv", "server-object", [vec![1], dm_server(0, 1, 300)].concat());

    // Text values: selector byte (the data type, in the order of the target's TYPES), then
    // the text. Includes the decimal forms the hand-written float parser takes.
    for (selector, text) in
        [(0u8, "ACME"), (1, "-86400"), (2, "86400"), (3, "3.25e-2"), (4, "1"), (7, "3:0")]
    {
        put("text_opaque", &format!("type{selector}"), [&[selector][..], text.as_bytes()].concat());
    }

    // SenML JSON: selector byte as for TLV, then the payload (a Bootstrap-Write of /0 and /1
    // with base names, relative names and every value field).
    put("senml_json", "security-object", [&[0u8][..], br#"[{"bn":"/0/1/","n":"0","vs":"coap://127.0.0.1:5683"},{"n":"1","vb":false},{"n":"2","v":3},{"n":"3","vd":"aWQ"},{"n":"10","v":1},{"n":"16/0","v":49320},{"n":"17","vlo":"21:0"}]"#].concat());
    put("senml_json", "server-object", [&[1u8][..], br#"[{"bn":"/1/0/","n":"0","v":1},{"n":"1","v":300},{"n":"6","vb":true},{"n":"7","vs":"U","t":0}]"#].concat());

    // SenML CBOR: selector byte as for TLV, then a Bootstrap-Write of /0 as the library's own
    // writer encodes it (integer labels, base name, byte-string vd, multiple resource, vlo).
    put("senml_cbor", "security-object", [vec![0u8], senml_cbor_security()].concat());
    // LwM2M CBOR: the same instance in nested maps, and /1/0 with array keys and tags.
    put("lwm2m_cbor", "security-object", [vec![0u8], lwm2m_cbor_security()].concat());
    // {[1, 0]: {0: 1, 1: 300, 6: true, 7: "U", 12: 1(1700000000)}}
    let server = [
        0x01, 0xA1, 0x82, 0x01, 0x00, 0xA5, 0x00, 0x01, 0x01, 0x19, 0x01, 0x2C, 0x06, 0xF5, 0x07,
        0x61, b'U', 0x0C, 0xC1, 0x1A, 0x65, 0x53, 0xF1, 0x00,
    ];
    put("lwm2m_cbor", "server-array-keys", server.to_vec());

    // Bootstrap operations: veto flag, then requests (op, segments, chunk).
    let mut ops = vec![0];
    ops.extend([6, 0]);
    ops.extend(chunk(&dm_security(1, DM_URI, 1)));
    ops.extend([10, 5, 0]); // Finish: 4.06 (no Server instance)
    ops.extend([6, 1]);
    ops.extend(chunk(&dm_server(0, 1, 300)));
    ops.extend([10, 5, 0]); // Finish: 2.04
    put("bootstrap_operations", "write-refuse-fix-finish", ops);

    put("whole_client", "bootstrap-register-restart", whole_client_bootstrap(false));
    put("whole_client", "refused-finish-then-fixed", whole_client_bootstrap(true));
}

/// The instance of [`senml_cbor_security`] as LwM2M CBOR.
fn lwm2m_cbor_security() -> Vec<u8> {
    let records = lwm2m_bootstrap::codec::senml_cbor::parse(&senml_cbor_security()).unwrap();
    let def = lwm2m_bootstrap::model::object_definition(0).unwrap();
    let path = lwm2m_bootstrap::model::Path::object(0);
    let instances = lwm2m_bootstrap::codec::senml::decode_records(&records, &path, def).unwrap();
    let instances: Vec<_> = instances
        .into_iter()
        .map(|(iid, resources)| {
            (
                iid,
                lwm2m_bootstrap::model::Instance {
                    resources,
                    origin: lwm2m_bootstrap::model::Origin::BootstrapServer,
                },
            )
        })
        .collect();
    let refs: Vec<_> = instances.iter().map(|(iid, i)| (*iid, i)).collect();
    lwm2m_bootstrap::codec::lwm2m_cbor::encode(0, &refs)
}

/// A Security instance of every value kind the profile has, as SenML CBOR.
fn senml_cbor_security() -> Vec<u8> {
    use lwm2m_bootstrap::model::{Instance, Origin, ResourceValue, Value, VecMap};
    let mut resources = VecMap::new();
    resources.insert(0, ResourceValue::Single(Value::String(DM_URI.into())));
    resources.insert(1, ResourceValue::Single(Value::Boolean(false)));
    resources.insert(2, ResourceValue::Single(Value::Integer(3)));
    resources.insert(3, ResourceValue::Single(Value::opaque(b"id")));
    resources.insert(10, ResourceValue::Single(Value::Integer(1)));
    let mut suites = VecMap::new();
    suites.insert(0, Value::Unsigned(49320));
    resources.insert(16, ResourceValue::Multiple(suites));
    resources.insert(17, ResourceValue::Single(Value::ObjLnk(21, 0)));
    let instance = Instance { resources, origin: Origin::BootstrapServer };
    lwm2m_bootstrap::codec::senml_cbor::encode(0, &[(1, &instance)])
}

#[test]
fn the_committed_fuzz_seeds_are_current() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let write = std::env::var_os("LWBS_WRITE_FUZZ_SEEDS").is_some();
    for (path, bytes) in seeds() {
        let path = root.join(path);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{} is missing or stale: LWBS_WRITE_FUZZ_SEEDS=1 cargo test --test fuzz_seeds",
            path.display()
        );
    }
}
