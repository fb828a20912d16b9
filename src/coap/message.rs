//! The CoAP [`Message`]: header fields, a token, ordered options and a payload.
//!
//! The wire format is handled by our own encoder/decoder in `wire.rs` rather than by
//! coap-lite's `Packet`; see the [module docs](super) for why.

use super::block::BlockOption;
use super::error::DecodeError;
use super::opt;
use super::wire;
use crate::model::VecMap;
use alloc::vec::Vec;

pub use super::code::{Code, MessageType};

/// A token: 0 to 8 opaque bytes (RFC 7252 §5.3.1).
pub type Token = heapless::Vec<u8, 8>;

/// A CoAP message. Options are kept ordered by number; repeated options keep their order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// CON, NON, ACK or RST.
    pub message_type: MessageType,
    /// The method or response code.
    pub code: Code,
    /// The message ID used for deduplication and ACK/RST matching.
    pub message_id: u16,
    /// The token used to match responses to requests.
    pub token: Token,
    options: VecMap<u16, Vec<Vec<u8>>>,
    /// The payload (empty when there is none).
    pub payload: Vec<u8>,
}

impl Message {
    /// A message with no token, options or payload and message ID 0.
    pub fn new(message_type: MessageType, code: Code) -> Message {
        Message {
            message_type,
            code,
            message_id: 0,
            token: Token::new(),
            options: VecMap::new(),
            payload: Vec::new(),
        }
    }

    /// Decodes a datagram, validating version, TKL, code class, option encoding and the
    /// payload marker.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        wire::decode(bytes)
    }

    /// The type and message ID of a datagram with a version-1 header, even if the rest is
    /// malformed, so that a malformed CON can be answered with RST (RFC 7252 §4.2).
    pub fn peek_header(bytes: &[u8]) -> Option<(MessageType, u16)> {
        wire::peek_header(bytes)
    }

    /// Encodes the message. Never fails and has no size limit; a token is at most 8 bytes by
    /// construction, option values longer than 65 804 bytes are truncated.
    pub fn encode(&self) -> Vec<u8> {
        wire::encode(self)
    }

    /// Sets the token to the first (at most 8) bytes of `token`.
    pub fn set_token(&mut self, token: &[u8]) {
        self.token.clear();
        let n = token.len().min(8);
        let _ = self.token.extend_from_slice(token.get(..n).unwrap_or_default());
    }

    /// Every option as `(number, value)`, in ascending number order.
    pub fn iter_options(&self) -> impl Iterator<Item = (u16, &[u8])> {
        self.options.iter().flat_map(|(n, vs)| vs.iter().map(move |v| (*n, v.as_slice())))
    }

    /// The values of option `number`, in order.
    pub fn options(&self, number: u16) -> impl Iterator<Item = &[u8]> {
        self.options.get(&number).into_iter().flat_map(|vs| vs.iter().map(Vec::as_slice))
    }

    /// The first value of option `number`.
    pub fn option(&self, number: u16) -> Option<&[u8]> {
        self.options(number).next()
    }

    /// Whether option `number` is present.
    pub fn has_option(&self, number: u16) -> bool {
        self.options.contains_key(&number)
    }

    /// Appends a value of option `number` after any existing ones.
    pub fn add_option(&mut self, number: u16, value: Vec<u8>) {
        self.options.get_or_insert_with(number, Vec::new).push(value);
    }

    /// Replaces all values of option `number` with `value`.
    pub fn set_option(&mut self, number: u16, value: Vec<u8>) {
        self.options.insert(number, alloc::vec![value]);
    }

    /// Removes all values of option `number`.
    pub fn remove_option(&mut self, number: u16) {
        self.options.remove(&number);
    }

    /// The Uri-Path segments.
    pub fn uri_path(&self) -> Result<Vec<&str>, DecodeError> {
        self.string_options(opt::URI_PATH)
    }

    /// Replaces the Uri-Path with `segments` (one option per segment, empty ones included).
    pub fn set_uri_path(&mut self, segments: &[&str]) {
        self.set_string_options(opt::URI_PATH, segments);
    }

    /// The Uri-Query arguments.
    pub fn uri_query(&self) -> Result<Vec<&str>, DecodeError> {
        self.string_options(opt::URI_QUERY)
    }

    /// Appends one Uri-Query argument (e.g. `"ep=node1"`).
    pub fn add_uri_query(&mut self, query: &str) {
        self.add_option(opt::URI_QUERY, query.as_bytes().to_vec());
    }

    /// The Location-Path segments, empty ones preserved (`"reg","1",""` stays 3 segments).
    pub fn location_path(&self) -> Result<Vec<&str>, DecodeError> {
        self.string_options(opt::LOCATION_PATH)
    }

    /// Replaces the Location-Path with `segments`.
    pub fn set_location_path(&mut self, segments: &[&str]) {
        self.set_string_options(opt::LOCATION_PATH, segments);
    }

    /// The Location-Query arguments.
    pub fn location_query(&self) -> Result<Vec<&str>, DecodeError> {
        self.string_options(opt::LOCATION_QUERY)
    }

    /// The Content-Format, if present and a valid uint of at most 2 bytes.
    pub fn content_format(&self) -> Option<u16> {
        self.u16_option(opt::CONTENT_FORMAT)
    }

    /// Sets the Content-Format, replacing any previous one.
    pub fn set_content_format(&mut self, content_format: u16) {
        self.set_uint_option(opt::CONTENT_FORMAT, u32::from(content_format));
    }

    /// The Accept option, if present and a valid uint of at most 2 bytes.
    pub fn accept(&self) -> Option<u16> {
        self.u16_option(opt::ACCEPT)
    }

    /// Sets the Accept option, replacing any previous one.
    pub fn set_accept(&mut self, content_format: u16) {
        self.set_uint_option(opt::ACCEPT, u32::from(content_format));
    }

    /// The first value of option `number` as a 0..4-byte big-endian uint (`None` if absent or
    /// longer than 4 bytes).
    pub fn uint_option(&self, number: u16) -> Option<u32> {
        let value = self.option(number)?;
        if value.len() > 4 {
            return None;
        }
        Some(value.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
    }

    /// Sets option `number` to `value` in minimal-length uint encoding (0 is empty).
    pub fn set_uint_option(&mut self, number: u16, value: u32) {
        let bytes = value.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let minimal = bytes.get(skip..).map(<[u8]>::to_vec).unwrap_or_default();
        self.set_option(number, minimal);
    }

    /// The Block1 option: `None` if absent, `Some(Err(_))` if malformed.
    pub fn block1(&self) -> Option<Result<BlockOption, DecodeError>> {
        self.option(opt::BLOCK1).map(BlockOption::decode)
    }

    /// Sets (replaces) the Block1 option.
    pub fn set_block1(&mut self, block: BlockOption) {
        self.set_option(opt::BLOCK1, block.encode());
    }

    /// The Block2 option: `None` if absent, `Some(Err(_))` if malformed.
    pub fn block2(&self) -> Option<Result<BlockOption, DecodeError>> {
        self.option(opt::BLOCK2).map(BlockOption::decode)
    }

    /// Sets (replaces) the Block2 option.
    pub fn set_block2(&mut self, block: BlockOption) {
        self.set_option(opt::BLOCK2, block.encode());
    }

    /// An empty ACK (0.00) for message ID `message_id`.
    pub fn empty_ack(message_id: u16) -> Message {
        let mut ack = Message::new(MessageType::Acknowledgement, Code::EMPTY);
        ack.message_id = message_id;
        ack
    }

    /// An RST (0.00) for message ID `message_id`.
    pub fn reset(message_id: u16) -> Message {
        let mut rst = Message::new(MessageType::Reset, Code::EMPTY);
        rst.message_id = message_id;
        rst
    }

    /// A response skeleton for `request`: a piggy-backed ACK with the request's message ID
    /// and token when the request is CON, otherwise a NON with the same token and message
    /// ID 0 (the endpoint assigns a fresh one).
    pub fn response_to(request: &Message, code: Code) -> Message {
        let confirmable = request.message_type == MessageType::Confirmable;
        let message_type =
            if confirmable { MessageType::Acknowledgement } else { MessageType::NonConfirmable };
        let mut response = Message::new(message_type, code);
        response.token = request.token.clone();
        if confirmable {
            response.message_id = request.message_id;
        }
        response
    }

    fn u16_option(&self, number: u16) -> Option<u16> {
        u16::try_from(self.uint_option(number)?).ok()
    }

    fn string_options(&self, number: u16) -> Result<Vec<&str>, DecodeError> {
        self.options(number)
            .map(|v| core::str::from_utf8(v).map_err(|_| DecodeError::InvalidUtf8))
            .collect()
    }

    fn set_string_options(&mut self, number: u16, segments: &[&str]) {
        self.remove_option(number);
        for segment in segments {
            self.add_option(number, segment.as_bytes().to_vec());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coap::content_format;
    use alloc::vec;

    #[test]
    fn set_content_format_replaces() {
        let mut m = Message::new(MessageType::Confirmable, Code::POST);
        m.set_content_format(content_format::TLV);
        m.set_content_format(content_format::TEXT_PLAIN);
        assert_eq!(m.options(opt::CONTENT_FORMAT).count(), 1);
        assert_eq!(m.option(opt::CONTENT_FORMAT), Some(&[][..]));
        assert_eq!(m.content_format(), Some(0));
        let decoded = Message::decode(&m.encode()).unwrap();
        assert_eq!(decoded.content_format(), Some(0));
        m.set_accept(content_format::LWM2M_CBOR);
        assert_eq!(m.option(opt::ACCEPT), Some(&[0x2d, 0x18][..]));
        assert_eq!(m.accept(), Some(11544));
    }

    #[test]
    fn uint_options() {
        let mut m = Message::new(MessageType::Confirmable, Code::GET);
        m.set_uint_option(opt::SIZE1, 0x0001_0000);
        assert_eq!(m.option(opt::SIZE1), Some(&[1, 0, 0][..]));
        assert_eq!(m.uint_option(opt::SIZE1), Some(65536));
        m.set_uint_option(opt::MAX_AGE, u32::MAX);
        assert_eq!(m.uint_option(opt::MAX_AGE), Some(u32::MAX));
        m.set_option(opt::MAX_AGE, vec![1, 2, 3, 4, 5]);
        assert_eq!(m.uint_option(opt::MAX_AGE), None);
        m.set_option(opt::CONTENT_FORMAT, vec![1, 0, 0]);
        assert_eq!(m.content_format(), None);
        assert_eq!(m.uint_option(opt::ETAG), None);
    }

    #[test]
    fn paths_and_queries() {
        let mut m = Message::new(MessageType::Confirmable, Code::POST);
        m.set_uri_path(&["bs"]);
        m.add_uri_query("ep=node");
        m.add_uri_query("pct=11542");
        assert_eq!(m.uri_path().unwrap(), vec!["bs"]);
        assert_eq!(m.uri_query().unwrap(), vec!["ep=node", "pct=11542"]);
        m.set_uri_path(&["0", "1"]);
        assert_eq!(m.uri_path().unwrap(), vec!["0", "1"]);
        m.add_option(opt::URI_PATH, vec![0xff]);
        assert_eq!(m.uri_path(), Err(DecodeError::InvalidUtf8));
    }

    #[test]
    fn location_path_keeps_empty_last_segment() {
        let mut m = Message::new(MessageType::Acknowledgement, Code::CREATED);
        m.set_location_path(&["reg", "1", ""]);
        let decoded = Message::decode(&m.encode()).unwrap();
        assert_eq!(decoded.location_path().unwrap(), vec!["reg", "1", ""]);
        assert_eq!(decoded.location_query().unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn option_ordering_and_removal() {
        let mut m = Message::new(MessageType::Confirmable, Code::GET);
        m.add_option(opt::URI_QUERY, b"b".to_vec());
        m.add_option(opt::URI_PATH, b"x".to_vec());
        m.add_option(opt::URI_PATH, b"y".to_vec());
        let all: Vec<(u16, &[u8])> = m.iter_options().collect();
        assert_eq!(all, vec![(11, &b"x"[..]), (11, &b"y"[..]), (15, &b"b"[..])]);
        m.remove_option(opt::URI_PATH);
        assert!(!m.has_option(opt::URI_PATH) && m.has_option(opt::URI_QUERY));
    }

    #[test]
    fn block_accessors() {
        let mut m = Message::new(MessageType::Confirmable, Code::PUT);
        assert_eq!(m.block1(), None);
        m.set_block1(BlockOption::new(5000, true, 6));
        m.set_block2(BlockOption::new(1, false, 2));
        let decoded = Message::decode(&m.encode()).unwrap();
        assert_eq!(decoded.block1(), Some(Ok(BlockOption::new(5000, true, 6))));
        assert_eq!(decoded.block2(), Some(Ok(BlockOption::new(1, false, 2))));
        m.set_option(opt::BLOCK2, vec![7]);
        assert_eq!(m.block2(), Some(Err(DecodeError::InvalidBlockOption)));
    }

    #[test]
    fn tokens() {
        let mut m = Message::new(MessageType::Confirmable, Code::GET);
        m.set_token(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(m.token.as_slice(), &[1, 2, 3, 4, 5, 6, 7, 8]);
        m.set_token(&[]);
        assert!(m.token.is_empty());
    }

    #[test]
    fn response_skeletons() {
        let mut req = Message::new(MessageType::Confirmable, Code::PUT);
        req.message_id = 0x1234;
        req.set_token(&[9, 9]);
        let ack = Message::response_to(&req, Code::CHANGED);
        assert_eq!(ack.message_type, MessageType::Acknowledgement);
        assert_eq!((ack.message_id, ack.token.as_slice()), (0x1234, &[9u8, 9][..]));
        req.message_type = MessageType::NonConfirmable;
        let non = Message::response_to(&req, Code::CHANGED);
        assert_eq!(non.message_type, MessageType::NonConfirmable);
        assert_eq!((non.message_id, non.token.as_slice()), (0, &[9u8, 9][..]));
        assert_eq!(Message::empty_ack(7).encode(), vec![0x60, 0x00, 0x00, 0x07]);
        assert_eq!(Message::reset(7).encode(), vec![0x70, 0x00, 0x00, 0x07]);
    }
}
