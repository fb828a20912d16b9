//! Cross-checks our CoAP wire codec against an independent implementation (coap-lite): what
//! we encode, it decodes to the same message, and what it encodes, we decode the same way.

use coap_lite::{MessageType as LiteType, Packet};
use lwm2m_bootstrap::coap::{Code, Message, MessageType};
use proptest::prelude::*;

fn lite_type(t: MessageType) -> LiteType {
    match t {
        MessageType::Confirmable => LiteType::Confirmable,
        MessageType::NonConfirmable => LiteType::NonConfirmable,
        MessageType::Acknowledgement => LiteType::Acknowledgement,
        MessageType::Reset => LiteType::Reset,
    }
}

fn arb_message() -> impl Strategy<Value = Message> {
    let types = prop_oneof![
        Just(MessageType::Confirmable),
        Just(MessageType::NonConfirmable),
        Just(MessageType::Acknowledgement),
    ];
    let codes = prop_oneof![
        Just(Code::GET),
        Just(Code::POST),
        Just(Code::PUT),
        Just(Code::DELETE),
        Just(Code::CHANGED),
        Just(Code::CONTENT),
        Just(Code::NOT_ACCEPTABLE),
    ];
    let option = (
        prop_oneof![
            Just(8u16),
            Just(11),
            Just(12),
            Just(15),
            Just(23),
            Just(27),
            Just(60),
            1u16..2000
        ],
        proptest::collection::vec(any::<u8>(), 0..300),
    );
    (
        types,
        codes,
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 0..=8),
        proptest::collection::vec(option, 0..6),
        proptest::collection::vec(any::<u8>(), 0..1500),
    )
        .prop_map(|(t, code, mid, token, options, payload)| {
            let mut m = Message::new(t, code);
            m.message_id = mid;
            m.set_token(&token);
            for (number, value) in options {
                m.add_option(number, value);
            }
            m.payload = payload;
            m
        })
}

fn assert_same(ours: &Message, lite: &Packet) {
    assert_eq!(lite.header.get_version(), 1);
    assert_eq!(lite.header.get_type(), lite_type(ours.message_type));
    assert_eq!(u8::from(lite.header.code), ours.code.0);
    assert_eq!(lite.header.message_id, ours.message_id);
    assert_eq!(lite.get_token(), &ours.token[..]);
    assert_eq!(lite.payload, ours.payload);
    let lite_options: Vec<(u16, Vec<u8>)> =
        lite.options().flat_map(|(n, vs)| vs.iter().map(move |v| (*n, v.clone()))).collect();
    let our_options: Vec<(u16, Vec<u8>)> =
        ours.iter_options().map(|(n, v)| (n, v.to_vec())).collect();
    assert_eq!(lite_options, our_options);
}

proptest! {
    #[test]
    fn coap_lite_decodes_what_we_encode(msg in arb_message()) {
        let bytes = msg.encode();
        let lite = Packet::from_bytes(&bytes).expect("coap-lite refused our datagram");
        assert_same(&msg, &lite);
    }

    #[test]
    fn we_decode_what_coap_lite_encodes(msg in arb_message()) {
        let mut lite = Packet::new();
        lite.header.set_type(lite_type(msg.message_type));
        lite.header.code = msg.code.0.into();
        lite.header.message_id = msg.message_id;
        lite.set_token(msg.token.to_vec());
        for (number, value) in msg.iter_options() {
            lite.add_option(number.into(), value.to_vec());
        }
        lite.payload = msg.payload.clone();
        let bytes = lite.to_bytes_unlimited().expect("coap-lite encode");
        let ours = Message::decode(&bytes).expect("we refused coap-lite's datagram");
        assert_same(&ours, &lite);
    }
}
