//! OMA-TLV (LwM2M 1.1 Transport §7.4.3): the raw parser, every value type, and the
//! instance decoder for each object the library owns at object, instance and resource depth.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_bootstrap::codec::tlv;
use lwm2m_bootstrap::model::{object_definition, DataType, Path};

const TYPES: [DataType; 10] = [
    DataType::String,
    DataType::Integer,
    DataType::Unsigned,
    DataType::Float,
    DataType::Boolean,
    DataType::Opaque,
    DataType::Time,
    DataType::ObjLnk,
    DataType::CoreLink,
    DataType::None,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else { return };
    if let Ok(records) = tlv::parse(payload) {
        assert!(records.len() <= payload.len(), "each record takes at least one byte");
    }
    let _ = tlv::decode_value(payload, TYPES[usize::from(selector) % TYPES.len()]);
    let object = u16::from(selector % 3);
    let def = object_definition(object).expect("0, 1 and 2 are defined");
    let path = match selector / 3 % 3 {
        0 => Path::object(object),
        1 => Path::instance(object, u16::from(selector / 9)),
        _ => Path::resource(object, u16::from(selector / 9 % 4), u16::from(selector / 36)),
    };
    if let Ok(instances) = tlv::decode_instances(payload, &path, def) {
        let mut ids: Vec<u16> = instances.iter().map(|(iid, _)| *iid).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), instances.len(), "duplicate instance IDs are refused");
    }
});
