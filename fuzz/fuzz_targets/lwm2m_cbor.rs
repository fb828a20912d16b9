//! LwM2M CBOR (LwM2M 1.2 §7.4.6): the nested-map reader, then its records as a write of each
//! object the library owns at object, instance and resource depth.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_bootstrap::codec::{lwm2m_cbor, senml};
use lwm2m_bootstrap::model::{object_definition, Path};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else { return };
    let Ok(records) = lwm2m_cbor::parse(payload) else { return };
    assert!(records.len() <= payload.len() / 2, "each leaf takes a key and a value");
    let object = u16::from(selector % 3);
    let def = object_definition(object).expect("0, 1 and 2 are defined");
    let path = match selector / 3 % 3 {
        0 => Path::object(object),
        1 => Path::instance(object, u16::from(selector / 9)),
        _ => Path::resource(object, u16::from(selector / 9 % 4), u16::from(selector / 36)),
    };
    if let Ok(instances) = senml::decode_records(&records, &path, def) {
        let mut ids: Vec<u16> = instances.iter().map(|(iid, _)| *iid).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), instances.len(), "one entry per instance");
        for (_, resources) in &instances {
            for (rid, value) in resources.iter() {
                let res = def.resource(*rid).expect("only defined resources are kept");
                assert_eq!(value.single().is_none(), res.multiple, "single vs multiple");
            }
        }
    }
});
