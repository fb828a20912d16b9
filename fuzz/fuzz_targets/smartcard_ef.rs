//! EF LwM2M_Bootstrap (Core 1.1 Appendix G): the object list and the TLV of each object
//! into /0, /1, /2 with the smartcard origin, then the checks before the card's data is
//! applied (against an empty configuration and one with a factory Bootstrap-Server account).
//! What parses holds only Security/Server/ACL instances; what is accepted for applying holds
//! at most one Bootstrap-Server account and passes the Finish validation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_bootstrap::bootstrap::{validate, ValidationPolicy};
use lwm2m_bootstrap::model::{security_res, DataModel, Instance, Origin, Value};
use lwm2m_bootstrap::rules::card_step::prepare;
use lwm2m_bootstrap::smartcard::parse_ef;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = parse_ef(data) else { return };
    for object in 3..=100 {
        assert_eq!(parsed.model.instance_ids(object).count(), 0, "object {object} from a card");
    }
    let mut factory = DataModel::new();
    let bs = Instance::new(Origin::Factory)
        .with(security_res::URI, Value::String("coap://127.0.0.1:5783".into()))
        .with(security_res::BOOTSTRAP_SERVER, Value::Boolean(true))
        .with(security_res::MODE, Value::Integer(3));
    factory.insert(0, 0, bs);
    let policy = ValidationPolicy { require_server_account: false, ..ValidationPolicy::default() };
    for base in [DataModel::new(), factory] {
        if let Ok(prepared) = prepare(data, &base, &ValidationPolicy::default()) {
            let model = &prepared.model;
            assert!(model.security_accounts().filter(|a| a.is_bootstrap()).count() <= 1);
            assert!(validate(model, &policy).is_empty());
        }
    }
});
