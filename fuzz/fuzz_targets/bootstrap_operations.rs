//! The Bootstrap-Server's operations on the client's staged configuration: Write (TLV,
//! text, opaque; object, instance, resource), Delete, Read, Discover and Finish, with the
//! Security/Server/ACL validators at Finish and the firmware's veto. Invariants after each
//! request: at most one Bootstrap-Server account; a Finish answered 2.04 leaves a consistent
//! configuration; every Security account's URI check terminates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwbs_fuzz::Cursor;
use lwm2m_bootstrap::bootstrap::{
    handle, validate, FirmwareObjects, FirmwareTransaction, OperationContext, Outcome,
    ValidationPolicy,
};
use lwm2m_bootstrap::coap::{content_format as cf, Code, Message, MessageType};
use lwm2m_bootstrap::model::{DataModel, ObjectInfo, Path, Store, Version};

const SEGMENTS: [&str; 12] = ["0", "1", "2", "3", "5", "bs", "", "0", "1", "10", "65535", "x"];
const FORMATS: [Option<u16>; 6] = [
    Some(cf::TLV),
    Some(cf::TLV),
    Some(cf::TEXT_PLAIN),
    Some(cf::OCTET_STREAM),
    Some(cf::LINK_FORMAT),
    None,
];

/// The firmware's objects: vetoes the Finish when told to.
struct Firmware(bool);

impl FirmwareObjects for Firmware {
    fn begin(&mut self) {}
    fn write(&mut self, _: &Path, _: u16, payload: &[u8]) -> Code {
        if payload.first() == Some(&0) {
            Code::BAD_REQUEST
        } else {
            Code::CHANGED
        }
    }
    fn delete(&mut self, _: &Path) -> Code {
        Code::DELETED
    }
    fn validate(&mut self) -> bool {
        !self.0
    }
    fn end(&mut self, _: bool) {}
}

fn request(input: &mut Cursor<'_>) -> Message {
    let op = input.u8();
    let code = [Code::PUT, Code::PUT, Code::GET, Code::DELETE, Code::POST, Code::POST]
        [usize::from(op % 6)];
    let mut message = Message::new(MessageType::Confirmable, code);
    message.message_id = input.u16();
    let depth = usize::from(op / 6 % 5);
    let segments: Vec<String> = (0..depth)
        .map(|_| match input.u8() {
            b if b < 240 => SEGMENTS[usize::from(b) % SEGMENTS.len()].to_string(),
            _ => input.u16().to_string(),
        })
        .collect();
    let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
    message.set_uri_path(&refs);
    if let Some(format) = FORMATS[usize::from(op / 30 % 6)] {
        message.set_content_format(format);
    }
    if op >= 200 {
        message.set_accept(if op & 1 == 0 { cf::LINK_FORMAT } else { cf::TLV });
    }
    message.payload = input.chunk().to_vec();
    message
}

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let veto = input.u8() & 1 == 1;
    let policy = ValidationPolicy::default();
    let objects = [ObjectInfo { id: 5, version: None, instances: vec![0] }];
    let ctx = OperationContext { version: Version::V1_1, objects: &objects, policy: &policy };
    let mut store = Store::new(DataModel::new());
    let mut firmware = FirmwareTransaction::new(Box::new(Firmware(veto)));
    let mut requests = 0;
    while !input.is_empty() && requests < 48 {
        requests += 1;
        let request = request(&mut input);
        let (response, outcome) = handle(&mut store, &request, &ctx, Some(&mut firmware));
        assert_eq!(response.message_id, request.message_id);
        let current = store.current();
        let bootstrap_accounts = current.security_accounts().filter(|a| a.is_bootstrap()).count();
        assert!(bootstrap_accounts <= 1, "{bootstrap_accounts} Bootstrap-Server accounts");
        for account in current.security_accounts() {
            let _ = account.target(policy.modes);
        }
        if outcome == Outcome::Finished {
            assert_eq!(response.code, Code::CHANGED);
            assert!(validate(current, &policy).is_empty(), "2.04 to an inconsistent Finish");
            store.commit();
            firmware.end(true);
            assert!(validate(store.committed(), &policy).is_empty());
        }
    }
});
