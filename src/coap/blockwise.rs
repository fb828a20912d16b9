//! Block-wise transfers on the server side (RFC 7959): Block1 reassembly of incoming
//! requests and Block2 slicing of our large responses.

use super::block::BlockOption;
use super::code::Code;
use super::message::Message;
use super::opt;
use alloc::vec::Vec;

/// Identifies a block-wise transfer: method, Uri-Path and Uri-Query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RequestKey {
    code: Code,
    path: Vec<Vec<u8>>,
    query: Vec<Vec<u8>>,
}

impl RequestKey {
    /// The key of `request`.
    pub fn of(request: &Message) -> RequestKey {
        RequestKey {
            code: request.code,
            path: request.options(opt::URI_PATH).map(<[u8]>::to_vec).collect(),
            query: request.options(opt::URI_QUERY).map(<[u8]>::to_vec).collect(),
        }
    }
}

/// A Block1 request body being reassembled.
#[derive(Clone, Debug)]
pub(super) struct Reassembly {
    key: RequestKey,
    body: Vec<u8>,
    expires: u64,
}

/// What to do with one Block1 block.
#[derive(Debug)]
pub(super) enum Block1Outcome {
    /// Answer with this response (2.31 Continue, 4.08, 4.13) and emit nothing.
    Reply(Message),
    /// The body is complete: emit this request; its response must echo the option.
    Complete(Message, BlockOption),
}

/// Limits for [`accept_block1`].
pub(super) struct Block1Limits {
    /// Our preferred SZX.
    pub szx: u8,
    /// The largest body accepted.
    pub max_body: usize,
    /// When an in-progress reassembly is dropped if no further block arrives.
    pub expires: u64,
}

/// Processes one block of a Block1 request (RFC 7959 §2.3), updating `state`.
pub(super) fn accept_block1(
    state: &mut Option<Reassembly>,
    now: u64,
    limits: &Block1Limits,
    mut request: Message,
    block: BlockOption,
) -> Block1Outcome {
    if state.as_ref().is_some_and(|s| s.expires <= now) {
        *state = None;
    }
    let key = RequestKey::of(&request);
    let announced = request.uint_option(opt::SIZE1).and_then(|s| usize::try_from(s).ok());
    if announced.is_some_and(|s| s > limits.max_body) {
        return too_large(state, &request, limits.max_body);
    }
    let mut body = match take_matching(state, &key, block) {
        Some(body) => body,
        None => return Block1Outcome::Reply(reply(&request, Code::REQUEST_ENTITY_INCOMPLETE)),
    };
    body.extend_from_slice(&request.payload);
    if body.len() > limits.max_body {
        return too_large(state, &request, limits.max_body);
    }
    if block.more {
        let echo = BlockOption::new(block.num, true, block.szx.min(limits.szx));
        *state = Some(Reassembly { key, body, expires: limits.expires });
        let mut cont = reply(&request, Code::CONTINUE);
        cont.set_block1(echo);
        return Block1Outcome::Reply(cont);
    }
    request.payload = body;
    request.remove_option(opt::BLOCK1);
    Block1Outcome::Complete(request, BlockOption::new(block.num, false, block.szx))
}

/// The body so far if `block` continues the transfer in `state` (or starts one); the
/// state is consumed either way.
fn take_matching(
    state: &mut Option<Reassembly>,
    key: &RequestKey,
    block: BlockOption,
) -> Option<Vec<u8>> {
    if block.num == 0 {
        *state = None;
        return Some(Vec::new());
    }
    let current = state.take()?;
    (current.key == *key && block.offset() == Some(current.body.len())).then_some(current.body)
}

fn too_large(state: &mut Option<Reassembly>, request: &Message, max: usize) -> Block1Outcome {
    *state = None;
    let mut response = reply(request, Code::REQUEST_ENTITY_TOO_LARGE);
    response.set_uint_option(opt::SIZE1, u32::try_from(max).unwrap_or(u32::MAX));
    Block1Outcome::Reply(response)
}

fn reply(request: &Message, code: Code) -> Message {
    Message::response_to(request, code)
}

/// A large response body kept to serve Block2 follow-up requests.
#[derive(Clone, Debug)]
pub(super) struct Block2Body {
    /// The request the body answers.
    pub key: RequestKey,
    /// The response without payload, Block2 or Size2.
    pub template: Message,
    /// The whole body.
    pub body: Vec<u8>,
    /// When the body is dropped.
    pub expires: u64,
}

/// Puts block `block` of `body` into `response` with Block2 and Size2; `false` if the block
/// starts beyond the end of the body.
pub(super) fn cut_block(response: &mut Message, body: &[u8], block: BlockOption) -> bool {
    let Some(start) = block.offset().filter(|s| *s < body.len() || *s == 0) else {
        return false;
    };
    let end = start.saturating_add(block.size()).min(body.len());
    response.payload = body.get(start..end).map(<[u8]>::to_vec).unwrap_or_default();
    response.set_block2(BlockOption::new(block.num, end < body.len(), block.szx));
    let total = u32::try_from(body.len()).unwrap_or(u32::MAX);
    response.set_uint_option(opt::SIZE2, total);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coap::code::MessageType;
    use alloc::vec;

    fn put_block(num: u32, more: bool, szx: u8, payload: &[u8]) -> Message {
        let mut m = Message::new(MessageType::Confirmable, Code::PUT);
        m.set_uri_path(&["0", "1"]);
        m.set_block1(BlockOption::new(num, more, szx));
        m.payload = payload.to_vec();
        m
    }

    fn limits() -> Block1Limits {
        Block1Limits { szx: 6, max_body: 100, expires: 1000 }
    }

    #[test]
    fn reassembles_in_order() {
        let mut st = None;
        let out = accept_block1(
            &mut st,
            0,
            &limits(),
            put_block(0, true, 1, &[1; 32]),
            BlockOption::new(0, true, 1),
        );
        assert!(matches!(out, Block1Outcome::Reply(ref r) if r.code == Code::CONTINUE));
        let out = accept_block1(
            &mut st,
            0,
            &limits(),
            put_block(1, false, 1, &[2; 5]),
            BlockOption::new(1, false, 1),
        );
        let Block1Outcome::Complete(req, echo) = out else { panic!("not complete") };
        assert_eq!(req.payload.len(), 37);
        assert_eq!(req.block1(), None);
        assert_eq!(echo, BlockOption::new(1, false, 1));
        assert!(st.is_none());
    }

    #[test]
    fn out_of_order_is_incomplete() {
        let mut st = None;
        let out = accept_block1(
            &mut st,
            0,
            &limits(),
            put_block(2, true, 1, &[1; 32]),
            BlockOption::new(2, true, 1),
        );
        assert!(
            matches!(out, Block1Outcome::Reply(ref r) if r.code == Code::REQUEST_ENTITY_INCOMPLETE)
        );
    }

    #[test]
    fn expired_state_is_dropped() {
        let mut st = None;
        let _ = accept_block1(
            &mut st,
            0,
            &limits(),
            put_block(0, true, 1, &[1; 32]),
            BlockOption::new(0, true, 1),
        );
        let out = accept_block1(
            &mut st,
            1000,
            &limits(),
            put_block(1, false, 1, &[1; 3]),
            BlockOption::new(1, false, 1),
        );
        assert!(
            matches!(out, Block1Outcome::Reply(ref r) if r.code == Code::REQUEST_ENTITY_INCOMPLETE)
        );
    }

    #[test]
    fn announced_size_too_large() {
        let mut st = None;
        let mut m = put_block(0, true, 1, &[1; 32]);
        m.set_uint_option(opt::SIZE1, 101);
        let Block1Outcome::Reply(r) =
            accept_block1(&mut st, 0, &limits(), m, BlockOption::new(0, true, 1))
        else {
            panic!()
        };
        assert_eq!(r.code, Code::REQUEST_ENTITY_TOO_LARGE);
        assert_eq!(r.uint_option(opt::SIZE1), Some(100));
    }

    #[test]
    fn cuts_blocks() {
        let body: Vec<u8> = (0..100u8).collect();
        let mut r = Message::new(MessageType::Acknowledgement, Code::CONTENT);
        assert!(cut_block(&mut r, &body, BlockOption::new(1, false, 1)));
        assert_eq!(r.payload, (32..64u8).collect::<Vec<_>>());
        assert_eq!(r.block2(), Some(Ok(BlockOption::new(1, true, 1))));
        assert_eq!(r.uint_option(opt::SIZE2), Some(100));
        assert!(cut_block(&mut r, &body, BlockOption::new(3, false, 1)));
        assert_eq!(r.payload, vec![96, 97, 98, 99]);
        assert_eq!(r.block2(), Some(Ok(BlockOption::new(3, false, 1))));
        assert!(!cut_block(&mut r, &body, BlockOption::new(4, false, 1)));
        assert!(cut_block(&mut r, &[], BlockOption::new(0, false, 1)));
    }
}
