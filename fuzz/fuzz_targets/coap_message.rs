//! The CoAP message parser (RFC 7252 §3) and the Block option (RFC 7959 §2.2): whatever
//! decodes re-encodes to a message that decodes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_bootstrap::coap::block::BlockOption;
use lwm2m_bootstrap::coap::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::decode(data) {
        let again = Message::decode(&message.encode()).expect("our encoding decodes");
        assert_eq!(again, message);
        let _ = message.location_path();
        let _ = message.accept();
        let _ = message.content_format();
    }
    if data.len() <= 3 {
        if let Ok(block) = BlockOption::decode(data) {
            assert_eq!(BlockOption::decode(&block.encode()), Ok(block));
        }
    }
});
