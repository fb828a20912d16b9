//! The RFC 7252 §3 wire format: our own encoder and decoder.

use super::code::{Code, MessageType};
use super::error::DecodeError;
use super::message::Message;
use alloc::vec::Vec;

/// The payload marker separating options from the payload.
const PAYLOAD_MARKER: u8 = 0xff;
/// The largest option delta or length the extended encoding can express (14: 269 + 65535).
const MAX_EXTENDED: usize = 269 + 0xffff;

/// Type and message ID of a datagram with a readable version-1 header.
pub(super) fn peek_header(bytes: &[u8]) -> Option<(MessageType, u16)> {
    let first = *bytes.first()?;
    let mid = u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]);
    (first >> 6 == 1).then(|| (MessageType::from_bits(first >> 4), mid))
}

/// Decodes a datagram into a [`Message`].
pub(super) fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
    let Some(&[first, code, mid_high, mid_low]) = bytes.get(..4) else {
        return Err(DecodeError::Truncated);
    };
    let code = Code(code);
    if first >> 6 != 1 {
        return Err(DecodeError::UnsupportedVersion(first >> 6));
    }
    let tkl = first & 0x0f;
    if tkl > 8 {
        return Err(DecodeError::InvalidTokenLength(tkl));
    }
    if code.is_reserved() {
        return Err(DecodeError::ReservedCode(code));
    }
    if code.is_empty() && (bytes.len() > 4 || tkl != 0) {
        return Err(DecodeError::NonEmptyEmptyMessage);
    }
    let mut message = Message::new(MessageType::from_bits(first >> 4), code);
    message.message_id = u16::from_be_bytes([mid_high, mid_low]);
    let token_end = 4 + usize::from(tkl);
    message.set_token(bytes.get(4..token_end).ok_or(DecodeError::Truncated)?);
    let rest = bytes.get(token_end..).unwrap_or_default();
    message.payload = decode_options(&mut message, rest)?;
    Ok(message)
}

/// Decodes the options into `message` and returns the payload.
fn decode_options(message: &mut Message, mut rest: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut number: u16 = 0;
    while let Some((&first, tail)) = rest.split_first() {
        if first == PAYLOAD_MARKER {
            return match tail.is_empty() {
                true => Err(DecodeError::EmptyPayload),
                false => Ok(tail.to_vec()),
            };
        }
        let (delta, tail) = read_extended(first >> 4, tail)?;
        let (length, tail) = read_extended(first & 0x0f, tail)?;
        number = u16::try_from(usize::from(number) + delta)
            .map_err(|_| DecodeError::OptionNumberOverflow)?;
        let value = tail.get(..length).ok_or(DecodeError::Truncated)?;
        message.add_option(number, value.to_vec());
        rest = tail.get(length..).unwrap_or_default();
    }
    Ok(Vec::new())
}

/// Reads an option delta or length given its 4-bit nibble and the bytes that follow.
fn read_extended(nibble: u8, bytes: &[u8]) -> Result<(usize, &[u8]), DecodeError> {
    match nibble {
        0..=12 => Ok((usize::from(nibble), bytes)),
        13 => {
            let (b, tail) = bytes.split_first().ok_or(DecodeError::Truncated)?;
            Ok((usize::from(*b) + 13, tail))
        }
        14 => {
            let Some(&[high, low]) = bytes.get(..2) else {
                return Err(DecodeError::Truncated);
            };
            let value = usize::from(u16::from_be_bytes([high, low])) + 269;
            Ok((value, bytes.get(2..).unwrap_or_default()))
        }
        _ => Err(DecodeError::InvalidOptionNibble),
    }
}

/// Encodes a [`Message`]; option values longer than 65 804 bytes are truncated.
pub(super) fn encode(message: &Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + message.token.len() + message.payload.len());
    let token_len = message.token.len() as u8; // at most 8 by construction
    out.push((1 << 6) | (message.message_type.bits() << 4) | token_len);
    out.push(message.code.0);
    out.extend_from_slice(&message.message_id.to_be_bytes());
    out.extend_from_slice(&message.token);
    let mut previous = 0u16;
    for (number, value) in message.iter_options() {
        let value = value.get(..MAX_EXTENDED).unwrap_or(value);
        encode_option_header(&mut out, usize::from(number - previous), value.len());
        out.extend_from_slice(value);
        previous = number;
    }
    if !message.payload.is_empty() {
        out.push(PAYLOAD_MARKER);
        out.extend_from_slice(&message.payload);
    }
    out
}

/// Writes the option header byte and the extended delta/length bytes.
fn encode_option_header(out: &mut Vec<u8>, delta: usize, length: usize) {
    let (delta_nibble, delta_ext) = split_extended(delta);
    let (length_nibble, length_ext) = split_extended(length);
    out.push((delta_nibble << 4) | length_nibble);
    out.extend_from_slice(&delta_ext);
    out.extend_from_slice(&length_ext);
}

/// The nibble and extended bytes for a value up to [`MAX_EXTENDED`].
fn split_extended(value: usize) -> (u8, heapless::Vec<u8, 2>) {
    let mut ext = heapless::Vec::new();
    if value < 13 {
        (value as u8, ext)
    } else if value < 269 {
        let _ = ext.push((value - 13) as u8);
        (13, ext)
    } else {
        let v = u16::try_from(value - 269).unwrap_or(u16::MAX);
        let _ = ext.extend_from_slice(&v.to_be_bytes());
        (14, ext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coap::opt;
    use alloc::vec;
    use proptest::prelude::*;

    /// RFC 7252 Appendix A style: CON GET, mid 0x7d34, token 0x20, Uri-Path "temperature".
    const CON_GET: &[u8] = &[
        0x41, 0x01, 0x7d, 0x34, 0x20, 0xbb, b't', b'e', b'm', b'p', b'e', b'r', b'a', b't', b'u',
        b'r', b'e',
    ];

    #[test]
    fn decodes_rfc_con_get() {
        let m = decode(CON_GET).unwrap();
        assert_eq!(m.message_type, MessageType::Confirmable);
        assert_eq!(m.code, Code::GET);
        assert_eq!(m.message_id, 0x7d34);
        assert_eq!(m.token.as_slice(), &[0x20]);
        assert_eq!(m.uri_path().unwrap(), vec!["temperature"]);
        assert!(m.payload.is_empty());
        assert_eq!(encode(&m), CON_GET);
    }

    #[test]
    fn decodes_piggy_backed_response() {
        let bytes = [0x61, 0x45, 0x7d, 0x34, 0x20, 0xff, b'2', b'2', b'.', b'3'];
        let m = decode(&bytes).unwrap();
        assert_eq!(m.message_type, MessageType::Acknowledgement);
        assert_eq!(m.code, Code::CONTENT);
        assert_eq!(m.payload, b"22.3");
        assert_eq!(encode(&m), bytes);
    }

    #[test]
    fn extended_delta_and_length() {
        let mut m = Message::new(MessageType::NonConfirmable, Code::POST);
        m.add_option(opt::SIZE1, vec![1]); // delta 60: nibble 13, ext 47
        m.add_option(300, vec![0xaa; 13]); // delta 240: nibble 13; length 13: nibble 13
        m.add_option(1000, vec![0xbb; 300]); // delta 700: nibble 14; length 300: nibble 14
        let bytes = encode(&m);
        assert_eq!(&bytes[4..7], &[0xd1, 47, 1]);
        assert_eq!(&bytes[7..10], &[0xdd, 240 - 13, 0]);
        let third = 10 + 13;
        assert_eq!(&bytes[third..third + 5], &[0xee, 0x01, 0xaf, 0x00, 0x1f]);
        assert_eq!(decode(&bytes).unwrap(), m);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(decode(&[0x40, 0x01, 0x00]), Err(DecodeError::Truncated));
        assert_eq!(decode(&[0x80, 0x01, 0, 1]), Err(DecodeError::UnsupportedVersion(2)));
        assert_eq!(
            decode(&[0x49, 0x01, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
            Err(DecodeError::InvalidTokenLength(9))
        );
        assert_eq!(decode(&[0x42, 0x01, 0, 1, 7]), Err(DecodeError::Truncated));
        for class in [1u8, 6, 7] {
            let code = Code::new(class, 1);
            assert_eq!(decode(&[0x40, code.0, 0, 1]), Err(DecodeError::ReservedCode(code)));
        }
        assert_eq!(decode(&[0x40, 0x01, 0, 1, 0xf1, 0]), Err(DecodeError::InvalidOptionNibble));
        assert_eq!(decode(&[0x40, 0x01, 0, 1, 0x1f, 0]), Err(DecodeError::InvalidOptionNibble));
        assert_eq!(decode(&[0x40, 0x01, 0, 1, 0xff]), Err(DecodeError::EmptyPayload));
        assert_eq!(decode(&[0x40, 0x01, 0, 1, 0xb3, b'a']), Err(DecodeError::Truncated));
        assert_eq!(decode(&[0x40, 0x01, 0, 1, 0xd1]), Err(DecodeError::Truncated));
        assert_eq!(decode(&[0x40, 0x01, 0, 1, 0xe1, 0]), Err(DecodeError::Truncated));
        assert_eq!(decode(&[0x40, 0x00, 0, 1, 0xff, 1]), Err(DecodeError::NonEmptyEmptyMessage));
        assert_eq!(decode(&[0x41, 0x00, 0, 1, 7]), Err(DecodeError::NonEmptyEmptyMessage));
    }

    #[test]
    fn option_number_overflow() {
        // delta 65804 twice.
        let bytes = [0x40, 0x01, 0, 1, 0xe0, 0xff, 0xff];
        assert_eq!(decode(&bytes), Err(DecodeError::OptionNumberOverflow));
        let bytes = [0x40, 0x01, 0, 1, 0xe0, 0xfe, 0xf2, 0xe0, 0x00, 0x00];
        assert_eq!(decode(&bytes), Err(DecodeError::OptionNumberOverflow));
        let bytes = [0x40, 0x01, 0, 1, 0xe0, 0xfe, 0xf2];
        assert!(decode(&bytes).unwrap().has_option(u16::MAX));
    }

    #[test]
    fn peek_header_reads_type_and_mid() {
        assert_eq!(
            peek_header(&[0x40, 0xff, 0x12, 0x34, 0xf0]),
            Some((MessageType::Confirmable, 0x1234))
        );
        assert_eq!(peek_header(&[0x50, 0x01, 0x12]), None);
        assert_eq!(peek_header(&[0x80, 0x01, 0x12, 0x34]), None);
    }

    #[test]
    fn no_size_limit() {
        let mut m = Message::new(MessageType::Confirmable, Code::PUT);
        m.payload = vec![0x5a; 5000];
        let bytes = encode(&m);
        assert_eq!(bytes.len(), 4 + 1 + 5000);
        assert_eq!(decode(&bytes).unwrap(), m);
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        let options = proptest::collection::vec(
            (0u16..=2000, proptest::collection::vec(any::<u8>(), 0..300)),
            0..6,
        );
        (
            0u8..4,
            any::<u8>().prop_filter("reserved/empty", |c| {
                let c = Code(*c);
                !c.is_reserved() && !c.is_empty()
            }),
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..=8),
            options,
            proptest::collection::vec(any::<u8>(), 0..200),
        )
            .prop_map(|(t, code, mid, token, options, payload)| {
                let mut m = Message::new(MessageType::from_bits(t), Code(code));
                m.message_id = mid;
                m.set_token(&token);
                for (n, v) in options {
                    m.add_option(n, v);
                }
                m.payload = payload;
                m
            })
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
            let _ = peek_header(&bytes);
        }

        #[test]
        fn decode_never_panics_valid_header(
            tail in proptest::collection::vec(any::<u8>(), 0..64), tkl in 0u8..9
        ) {
            let mut bytes = vec![0x40 | tkl, 0x01, 0, 1];
            bytes.extend(tail);
            if let Ok(m) = decode(&bytes) {
                prop_assert_eq!(decode(&encode(&m)), Ok(m));
            }
        }

        #[test]
        fn round_trip(m in arb_message()) {
            prop_assert_eq!(decode(&encode(&m)), Ok(m));
        }
    }
}
