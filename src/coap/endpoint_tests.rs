//! Tests of the per-peer endpoint.

use super::*;
use crate::coap::opt;
use alloc::vec;

const MID: u16 = 0x4242;

fn endpoint() -> Endpoint {
    Endpoint::new(TransmissionParams::default(), 1)
}

fn sent(ep: &mut Endpoint) -> Vec<Message> {
    core::iter::from_fn(|| ep.poll_transmit()).map(|b| Message::decode(&b).unwrap()).collect()
}

fn events(ep: &mut Endpoint) -> Vec<EndpointEvent> {
    core::iter::from_fn(|| ep.poll_event()).collect()
}

fn get(path: &[&str]) -> Message {
    let mut m = Message::new(MessageType::Confirmable, Code::GET);
    m.set_uri_path(path);
    m
}

/// A request from the peer.
fn peer_request(kind: MessageType, code: Code, mid: u16, token: &[u8], path: &[&str]) -> Message {
    let mut m = Message::new(kind, code);
    m.message_id = mid;
    m.set_token(token);
    m.set_uri_path(path);
    m
}

/// Sends a GET and returns its id and the message as sent.
fn send_get(ep: &mut Endpoint, now: u64) -> (RequestId, Message) {
    let id = ep.send_request(now, get(&["bs"]));
    let out = sent(ep);
    assert_eq!(out.len(), 1);
    (id, out.into_iter().next().unwrap())
}

fn answer(ep: &mut Endpoint, now: u64, request: &Message, kind: MessageType, code: Code) {
    let mut r = Message::new(kind, code);
    r.message_id = if kind == MessageType::Acknowledgement { request.message_id } else { 0x9999 };
    r.token = request.token.clone();
    ep.handle_datagram(now, &r.encode());
}

/// Drives timeouts until the request fails; returns transmission times and the failure time.
fn run_to_failure(ep: &mut Endpoint) -> (Vec<u64>, u64) {
    let mut times = vec![0];
    sent(ep);
    loop {
        let t = ep.poll_timeout().expect("a deadline");
        ep.handle_timeout(t);
        if !sent(ep).is_empty() {
            times.push(t);
        }
        if let Some(EndpointEvent::Failed { reason, .. }) = ep.poll_event() {
            assert_eq!(reason, FailureReason::Timeout);
            return (times, t);
        }
    }
}

#[test]
fn retransmission_timing_defaults() {
    for seed in [0, 1, 2, 99, u64::MAX] {
        let mut ep = Endpoint::new(TransmissionParams::default(), seed);
        let first = ep.send_request(0, get(&["bs"]));
        let (times, failed) = run_to_failure(&mut ep);
        assert_eq!(times.len(), 5, "4 retransmissions: {times:?}");
        let t = times[1];
        assert!((2000..=3000).contains(&t), "initial timeout {t}");
        assert_eq!(times, vec![0, t, 3 * t, 7 * t, 15 * t]);
        assert_eq!(failed, 31 * t);
        assert!(failed <= ep.params().max_transmit_wait_ms());
        assert!(!ep.has_outstanding());
        assert_eq!(ep.poll_timeout(), None);
        assert_ne!(first, ep.send_request(0, get(&[])));
    }
}

#[test]
fn retransmission_timing_custom() {
    let params = TransmissionParams {
        ack_timeout_ms: 500,
        ack_random_factor_permille: 1000,
        max_retransmit: 2,
        ..TransmissionParams::default()
    };
    let mut ep = Endpoint::new(params, 5);
    ep.send_request(0, get(&["bs"]));
    let (times, failed) = run_to_failure(&mut ep);
    assert_eq!(times, vec![0, 500, 1500]);
    assert_eq!(failed, 3500);
}

#[test]
fn retransmissions_are_identical_and_timeouts_early_do_nothing() {
    let mut ep = endpoint();
    let (_, first) = send_get(&mut ep, 0);
    ep.handle_timeout(1999);
    assert!(sent(&mut ep).is_empty());
    ep.handle_timeout(3000);
    assert_eq!(sent(&mut ep), vec![first]);
}

#[test]
fn send_request_fills_header() {
    let mut ep = endpoint();
    let (_, a) = send_get(&mut ep, 0);
    let (_, b) = send_get(&mut ep, 0);
    assert_eq!(a.message_type, MessageType::Confirmable);
    assert_eq!(a.token.len(), 4);
    assert_ne!(a.token, b.token);
    assert_eq!(b.message_id, a.message_id.wrapping_add(1));
}

#[test]
fn piggybacked_response() {
    let mut ep = endpoint();
    let (id, req) = send_get(&mut ep, 0);
    answer(&mut ep, 100, &req, MessageType::Acknowledgement, Code::CONTENT);
    let ev = events(&mut ep);
    assert!(matches!(&ev[..], [EndpointEvent::Response { id: i, response }]
        if *i == id && response.code == Code::CONTENT));
    assert_eq!(ep.poll_timeout(), None);
    // A duplicate ACK is now unmatched and ignored.
    answer(&mut ep, 200, &req, MessageType::Acknowledgement, Code::CONTENT);
    assert!(events(&mut ep).is_empty() && sent(&mut ep).is_empty());
}

#[test]
fn piggybacked_with_wrong_token_is_ignored() {
    let mut ep = endpoint();
    let (_, mut req) = send_get(&mut ep, 0);
    req.set_token(&[0xde, 0xad]);
    answer(&mut ep, 100, &req, MessageType::Acknowledgement, Code::CONTENT);
    assert!(events(&mut ep).is_empty());
    assert!(ep.poll_timeout().unwrap() <= 3000);
}

#[test]
fn empty_ack_then_separate_con_response() {
    let mut ep = endpoint();
    let (id, req) = send_get(&mut ep, 0);
    ep.handle_datagram(100, &Message::empty_ack(req.message_id).encode());
    assert_eq!(ep.poll_timeout(), Some(100 + 247_000));
    ep.handle_timeout(50_000);
    assert!(sent(&mut ep).is_empty(), "no retransmission after the empty ACK");
    answer(&mut ep, 60_000, &req, MessageType::Confirmable, Code::CHANGED);
    assert_eq!(sent(&mut ep), vec![Message::empty_ack(0x9999)]);
    let ev = events(&mut ep);
    assert!(matches!(&ev[..], [EndpointEvent::Response { id: i, .. }] if *i == id));
    // The retransmitted separate response is ACKed again, without a second event.
    answer(&mut ep, 61_000, &req, MessageType::Confirmable, Code::CHANGED);
    assert_eq!(sent(&mut ep), vec![Message::empty_ack(0x9999)]);
    assert!(events(&mut ep).is_empty());
}

#[test]
fn separate_non_response() {
    let mut ep = endpoint();
    let (id, req) = send_get(&mut ep, 0);
    ep.handle_datagram(10, &Message::empty_ack(req.message_id).encode());
    answer(&mut ep, 20, &req, MessageType::NonConfirmable, Code::CONTENT);
    assert!(sent(&mut ep).is_empty());
    assert!(matches!(&events(&mut ep)[..], [EndpointEvent::Response { id: i, .. }] if *i == id));
}

#[test]
fn separate_response_before_ack_is_accepted() {
    let mut ep = endpoint();
    let (id, req) = send_get(&mut ep, 0);
    answer(&mut ep, 20, &req, MessageType::Confirmable, Code::CONTENT);
    assert_eq!(sent(&mut ep), vec![Message::empty_ack(0x9999)]);
    assert!(matches!(&events(&mut ep)[..], [EndpointEvent::Response { id: i, .. }] if *i == id));
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn empty_ack_then_no_response_times_out() {
    let mut ep = endpoint();
    let (id, req) = send_get(&mut ep, 0);
    ep.handle_datagram(1000, &Message::empty_ack(req.message_id).encode());
    ep.handle_timeout(1000 + 246_999);
    assert!(events(&mut ep).is_empty());
    ep.handle_timeout(1000 + 247_000);
    assert_eq!(events(&mut ep), vec![EndpointEvent::Failed { id, reason: FailureReason::Timeout }]);
}

#[test]
fn reset_fails_request() {
    let mut ep = endpoint();
    let (id, req) = send_get(&mut ep, 0);
    ep.handle_datagram(10, &Message::reset(req.message_id.wrapping_add(1)).encode());
    assert!(events(&mut ep).is_empty());
    ep.handle_datagram(10, &Message::reset(req.message_id).encode());
    assert_eq!(events(&mut ep), vec![EndpointEvent::Failed { id, reason: FailureReason::Reset }]);
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn peer_request_reusing_our_mid_and_token_is_a_request() {
    let mut ep = endpoint();
    let (id, ours) = send_get(&mut ep, 0);
    let mut theirs =
        peer_request(MessageType::Confirmable, Code::PUT, ours.message_id, &ours.token, &["0"]);
    theirs.payload = b"x".to_vec();
    ep.handle_datagram(50, &theirs.encode());
    let ev = events(&mut ep);
    assert_eq!(ev, vec![EndpointEvent::Request(theirs.clone())]);
    // Our request is still waiting for its ACK and is retransmitted.
    assert!(ep.has_outstanding());
    let deadline = ep.poll_timeout().unwrap();
    assert!((2000..=3000).contains(&deadline));
    ep.respond(60, &theirs, Message::new(MessageType::Acknowledgement, Code::CHANGED));
    let reply = sent(&mut ep);
    assert_eq!(reply[0].message_type, MessageType::Acknowledgement);
    assert_eq!(reply[0].code, Code::CHANGED);
    ep.handle_timeout(deadline);
    assert_eq!(sent(&mut ep), vec![ours.clone()]);
    // Its real ACK still completes it.
    answer(&mut ep, deadline + 1, &ours, MessageType::Acknowledgement, Code::CHANGED);
    assert!(matches!(&events(&mut ep)[..], [EndpointEvent::Response { id: i, .. }] if *i == id));
}

#[test]
fn duplicate_con_request_gets_cached_reply() {
    let mut ep = endpoint();
    let req = peer_request(MessageType::Confirmable, Code::DELETE, MID, &[1, 2], &["0"]);
    ep.handle_datagram(0, &req.encode());
    assert_eq!(events(&mut ep).len(), 1);
    // Duplicate before we responded: ignored.
    ep.handle_datagram(1, &req.encode());
    assert!(events(&mut ep).is_empty() && sent(&mut ep).is_empty());
    ep.respond(2, &req, Message::new(MessageType::Acknowledgement, Code::DELETED));
    let first = ep.poll_transmit().unwrap();
    ep.handle_datagram(3000, &req.encode());
    assert_eq!(ep.poll_transmit(), Some(first.clone()));
    assert!(events(&mut ep).is_empty());
    let reply = Message::decode(&first).unwrap();
    assert_eq!(reply.message_id, MID);
    assert_eq!(reply.token.as_slice(), &[1, 2]);
    // After EXCHANGE_LIFETIME the message ID is new again.
    ep.handle_datagram(247_002, &req.encode());
    assert_eq!(events(&mut ep).len(), 1);
}

#[test]
fn non_request_gets_non_response_with_fresh_mid() {
    let mut ep = endpoint();
    let req = peer_request(MessageType::NonConfirmable, Code::GET, MID, &[7], &["1"]);
    ep.handle_datagram(0, &req.encode());
    assert_eq!(events(&mut ep).len(), 1);
    ep.respond(0, &req, Message::new(MessageType::Acknowledgement, Code::CONTENT));
    let reply = sent(&mut ep);
    assert_eq!(reply[0].message_type, MessageType::NonConfirmable);
    assert_eq!(reply[0].token.as_slice(), &[7]);
    let (_, ours) = send_get(&mut ep, 0);
    assert_eq!(ours.message_id, reply[0].message_id.wrapping_add(1));
    // A duplicate within NON_LIFETIME is not a new request.
    ep.handle_datagram(144_999, &req.encode());
    assert!(events(&mut ep).is_empty());
}

#[test]
fn unmatched_messages() {
    let mut ep = endpoint();
    let (_, req) = send_get(&mut ep, 0);
    let mut stranger = req.clone();
    stranger.set_token(&[9, 9, 9]);
    // CON response for an unknown token: RST.
    answer(&mut ep, 1, &stranger, MessageType::Confirmable, Code::CONTENT);
    assert_eq!(sent(&mut ep), vec![Message::reset(0x9999)]);
    // NON response, ACK and RST for unknown exchanges: ignored.
    answer(&mut ep, 1, &stranger, MessageType::NonConfirmable, Code::CONTENT);
    ep.handle_datagram(1, &Message::empty_ack(req.message_id.wrapping_sub(1)).encode());
    ep.handle_datagram(1, &Message::reset(req.message_id.wrapping_sub(1)).encode());
    let mut non_empty = Message::new(MessageType::NonConfirmable, Code::EMPTY);
    non_empty.message_id = 5;
    ep.handle_datagram(1, &non_empty.encode());
    assert!(sent(&mut ep).is_empty() && events(&mut ep).is_empty());
    assert!(ep.has_outstanding());
}

#[test]
fn ping_and_malformed_messages() {
    let mut ep = endpoint();
    // CoAP ping: empty CON.
    let mut ping = Message::new(MessageType::Confirmable, Code::EMPTY);
    ping.message_id = 77;
    ep.handle_datagram(0, &ping.encode());
    assert_eq!(sent(&mut ep), vec![Message::reset(77)]);
    // Malformed CON (option nibble 15): RST.
    ep.handle_datagram(0, &[0x40, 0x01, 0x00, 0x05, 0xf0]);
    assert_eq!(sent(&mut ep), vec![Message::reset(5)]);
    // Malformed NON, version 2, too short: ignored.
    ep.handle_datagram(0, &[0x50, 0x01, 0x00, 0x05, 0xf0]);
    ep.handle_datagram(0, &[0x80, 0x01, 0x00, 0x05]);
    ep.handle_datagram(0, &[0x40, 0x01]);
    ep.handle_datagram(0, &[]);
    // A request code in an ACK, an unassigned class 3 code in NON: ignored.
    ep.handle_datagram(0, &[0x60, 0x01, 0x00, 0x06]);
    ep.handle_datagram(0, &[0x50, 0x60, 0x00, 0x06]);
    assert!(sent(&mut ep).is_empty() && events(&mut ep).is_empty());
    // A CON with a code we cannot process: RST.
    ep.handle_datagram(0, &[0x40, 0x60, 0x00, 0x08]);
    assert_eq!(sent(&mut ep), vec![Message::reset(8)]);
}

#[test]
fn cancel_stops_everything() {
    let mut ep = endpoint();
    let (id, req) = send_get(&mut ep, 0);
    ep.cancel(id);
    assert_eq!(ep.poll_timeout(), None);
    ep.handle_timeout(100_000);
    answer(&mut ep, 1, &req, MessageType::Acknowledgement, Code::CONTENT);
    assert!(sent(&mut ep).is_empty() && events(&mut ep).is_empty());
}

#[test]
fn our_non_request() {
    let mut ep = endpoint();
    let mut m = get(&["x"]);
    m.message_type = MessageType::NonConfirmable;
    let id = ep.send_request(0, m);
    let req = sent(&mut ep).remove(0);
    assert_eq!(req.message_type, MessageType::NonConfirmable);
    assert_eq!(ep.poll_timeout(), Some(247_000));
    ep.handle_timeout(10_000);
    assert!(sent(&mut ep).is_empty(), "NON is never retransmitted");
    answer(&mut ep, 20_000, &req, MessageType::NonConfirmable, Code::CONTENT);
    assert!(matches!(&events(&mut ep)[..], [EndpointEvent::Response { id: i, .. }] if *i == id));
}

#[test]
fn incoming_dedup_cache_is_bounded() {
    let mut ep = endpoint();
    for mid in 0..(crate::coap::DEDUP_CAPACITY as u16 + 1) {
        let req = peer_request(MessageType::Confirmable, Code::GET, mid, &[1], &["0"]);
        ep.handle_datagram(0, &req.encode());
        ep.respond(0, &req, Message::new(MessageType::Acknowledgement, Code::CONTENT));
    }
    assert_eq!(events(&mut ep).len(), crate::coap::DEDUP_CAPACITY + 1);
    sent(&mut ep);
    assert_eq!(ep.incoming.len(), crate::coap::DEDUP_CAPACITY);
    // mid 0 was evicted: processed again; mid 16 is still cached.
    let again = peer_request(MessageType::Confirmable, Code::GET, 0, &[1], &["0"]);
    ep.handle_datagram(1, &again.encode());
    assert_eq!(events(&mut ep).len(), 1);
    let cached = peer_request(MessageType::Confirmable, Code::GET, 16, &[1], &["0"]);
    ep.handle_datagram(1, &cached.encode());
    assert!(events(&mut ep).is_empty());
    assert_eq!(sent(&mut ep).len(), 1);
}

fn put_block(mid: u16, num: u32, more: bool, szx: u8, payload: &[u8]) -> Message {
    let mut m = peer_request(MessageType::Confirmable, Code::PUT, mid, &[mid as u8], &["0", "1"]);
    m.set_block1(BlockOption::new(num, more, szx));
    m.set_content_format(crate::coap::content_format::TLV);
    m.payload = payload.to_vec();
    m
}

fn single_reply(ep: &mut Endpoint) -> Message {
    let mut out = sent(ep);
    assert_eq!(out.len(), 1, "{out:?}");
    out.remove(0)
}

#[test]
fn block1_reassembly() {
    let mut ep = endpoint();
    let body: Vec<u8> = (0..2500u32).map(|i| i as u8).collect();
    for (i, chunk) in body.chunks(1024).enumerate() {
        let more = i < 2;
        ep.handle_datagram(i as u64, &put_block(10 + i as u16, i as u32, more, 6, chunk).encode());
        if more {
            let reply = single_reply(&mut ep);
            assert_eq!(reply.code, Code::CONTINUE);
            assert_eq!(reply.message_id, 10 + i as u16);
            assert_eq!(reply.block1(), Some(Ok(BlockOption::new(i as u32, true, 6))));
            assert!(events(&mut ep).is_empty());
        }
    }
    let ev = events(&mut ep);
    let [EndpointEvent::Request(req)] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!(req.payload, body);
    assert_eq!(req.block1(), None);
    assert_eq!(req.content_format(), Some(11542));
    assert_eq!(req.message_id, 12);
    ep.respond(3, req, Message::new(MessageType::Acknowledgement, Code::CHANGED));
    let reply = single_reply(&mut ep);
    assert_eq!(reply.code, Code::CHANGED);
    assert_eq!(reply.block1(), Some(Ok(BlockOption::new(2, false, 6))));
    // A duplicate of an intermediate block gets the cached 2.31, nothing is appended twice.
    ep.handle_datagram(4, &put_block(11, 1, true, 6, &body[1024..2048]).encode());
    assert_eq!(single_reply(&mut ep).code, Code::CONTINUE);
}

#[test]
fn block1_with_reduced_block_size() {
    let params = TransmissionParams { block_szx: 4, ..TransmissionParams::default() };
    let mut ep = Endpoint::new(params, 3);
    ep.handle_datagram(0, &put_block(1, 0, true, 6, &[1; 1024]).encode());
    let reply = single_reply(&mut ep);
    assert_eq!(reply.block1(), Some(Ok(BlockOption::new(0, true, 4))));
    // The client continues at byte 1024 with 256-byte blocks: num 4.
    ep.handle_datagram(1, &put_block(2, 4, false, 4, &[2; 10]).encode());
    let ev = events(&mut ep);
    let [EndpointEvent::Request(req)] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!(req.payload.len(), 1034);
}

#[test]
fn block1_out_of_order_or_interleaved() {
    let mut ep = endpoint();
    ep.handle_datagram(0, &put_block(1, 1, true, 6, &[0; 1024]).encode());
    assert_eq!(single_reply(&mut ep).code, Code::REQUEST_ENTITY_INCOMPLETE);
    ep.handle_datagram(0, &put_block(2, 0, true, 6, &[0; 1024]).encode());
    assert_eq!(single_reply(&mut ep).code, Code::CONTINUE);
    ep.handle_datagram(0, &put_block(3, 2, true, 6, &[0; 1024]).encode());
    assert_eq!(single_reply(&mut ep).code, Code::REQUEST_ENTITY_INCOMPLETE);
    // A block of a different request in the middle.
    ep.handle_datagram(0, &put_block(4, 0, true, 6, &[0; 1024]).encode());
    let mut other = put_block(5, 1, false, 6, &[0; 10]);
    other.set_uri_path(&["0", "2"]);
    ep.handle_datagram(0, &other.encode());
    let codes: Vec<Code> = sent(&mut ep).iter().map(|m| m.code).collect();
    assert_eq!(codes, vec![Code::CONTINUE, Code::REQUEST_ENTITY_INCOMPLETE]);
    assert!(events(&mut ep).is_empty());
}

#[test]
fn block1_too_large() {
    let params = TransmissionParams { max_reassembly: 2000, ..TransmissionParams::default() };
    let mut ep = Endpoint::new(params, 3);
    ep.handle_datagram(0, &put_block(1, 0, true, 6, &[0; 1024]).encode());
    assert_eq!(single_reply(&mut ep).code, Code::CONTINUE);
    ep.handle_datagram(0, &put_block(2, 1, true, 6, &[0; 1024]).encode());
    let reply = single_reply(&mut ep);
    assert_eq!(reply.code, Code::REQUEST_ENTITY_TOO_LARGE);
    assert_eq!(reply.uint_option(opt::SIZE1), Some(2000));
    assert!(events(&mut ep).is_empty());
}

#[test]
fn malformed_block_option_is_bad_request() {
    let mut ep = endpoint();
    let mut req = put_block(1, 0, true, 6, &[0; 16]);
    req.set_option(opt::BLOCK1, vec![0x0f]);
    ep.handle_datagram(0, &req.encode());
    assert_eq!(single_reply(&mut ep).code, Code::BAD_REQUEST);
    assert!(events(&mut ep).is_empty());
}

/// Fetches a large response block by block as a peer would; returns the body.
fn fetch_blocks(ep: &mut Endpoint, first: Message, szx: u8) -> Vec<u8> {
    let mut body = first.payload.clone();
    let mut block = first.block2().unwrap().unwrap();
    let mut mid = 100;
    while block.more {
        mid += 1;
        let mut req = peer_request(MessageType::Confirmable, Code::GET, mid, &[mid as u8], &["0"]);
        req.set_block2(BlockOption::new(block.num + 1, false, szx));
        ep.handle_datagram(0, &req.encode());
        assert!(events(ep).is_empty(), "follow-ups are served without an event");
        let reply = single_reply(ep);
        assert_eq!(reply.message_id, mid);
        assert_eq!(reply.code, Code::CONTENT);
        assert_eq!(reply.content_format(), Some(11542));
        block = reply.block2().unwrap().unwrap();
        body.extend_from_slice(&reply.payload);
    }
    body
}

fn large_response(len: usize) -> (Message, Vec<u8>) {
    let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let mut response = Message::new(MessageType::Acknowledgement, Code::CONTENT);
    response.set_content_format(crate::coap::content_format::TLV);
    response.payload = body.clone();
    (response, body)
}

#[test]
fn block2_serving_3000_bytes() {
    let mut ep = endpoint();
    let req = peer_request(MessageType::Confirmable, Code::GET, 100, &[1], &["0"]);
    ep.handle_datagram(0, &req.encode());
    assert_eq!(events(&mut ep).len(), 1);
    let (response, body) = large_response(3000);
    ep.respond(0, &req, response);
    let first = single_reply(&mut ep);
    assert_eq!(first.payload.len(), 1024);
    assert_eq!(first.block2(), Some(Ok(BlockOption::new(0, true, 6))));
    assert_eq!(first.uint_option(opt::SIZE2), Some(3000));
    assert_eq!(fetch_blocks(&mut ep, first, 6), body);
    // A block beyond the end: 4.02.
    let mut req = peer_request(MessageType::Confirmable, Code::GET, 200, &[2], &["0"]);
    req.set_block2(BlockOption::new(3, false, 6));
    ep.handle_datagram(0, &req.encode());
    assert_eq!(single_reply(&mut ep).code, Code::BAD_OPTION);
}

#[test]
fn block2_with_smaller_block_size_requested() {
    let mut ep = endpoint();
    let mut req = peer_request(MessageType::Confirmable, Code::GET, 100, &[1], &["0"]);
    req.set_block2(BlockOption::new(0, false, 2));
    ep.handle_datagram(0, &req.encode());
    assert_eq!(events(&mut ep).len(), 1);
    let (response, body) = large_response(200);
    ep.respond(0, &req, response);
    let first = single_reply(&mut ep);
    assert_eq!(first.payload.len(), 64);
    assert_eq!(fetch_blocks(&mut ep, first, 2), body);
}

#[test]
fn small_response_is_not_blocked() {
    let mut ep = endpoint();
    let req = peer_request(MessageType::Confirmable, Code::GET, 100, &[1], &["0"]);
    ep.handle_datagram(0, &req.encode());
    let (response, _) = large_response(1024);
    ep.respond(0, &req, response);
    let reply = single_reply(&mut ep);
    assert_eq!(reply.block2(), None);
    assert_eq!(reply.payload.len(), 1024);
}

#[test]
fn block2_follow_up_without_kept_body_is_a_request() {
    let mut ep = endpoint();
    let mut req = peer_request(MessageType::Confirmable, Code::GET, 100, &[1], &["0"]);
    req.set_block2(BlockOption::new(1, false, 6));
    ep.handle_datagram(0, &req.encode());
    let ev = events(&mut ep);
    assert_eq!(ev.len(), 1);
    let (response, body) = large_response(1500);
    ep.respond(0, &req, response);
    let reply = single_reply(&mut ep);
    assert_eq!(reply.block2(), Some(Ok(BlockOption::new(1, false, 6))));
    assert_eq!(reply.payload, body[1024..]);
}

#[test]
fn block2_fetch_for_our_request() {
    let mut ep = endpoint();
    let (id, req) = send_get(&mut ep, 0);
    let body: Vec<u8> = (0..2100u32).map(|i| i as u8).collect();
    let mut current = req;
    for (num, chunk) in body.chunks(1024).enumerate() {
        let mut r = Message::response_to(&current, Code::CONTENT);
        r.set_block2(BlockOption::new(num as u32, num < 2, 6));
        r.payload = chunk.to_vec();
        ep.handle_datagram(num as u64, &r.encode());
        if num < 2 {
            let next = single_reply(&mut ep);
            assert_eq!(next.block2(), Some(Ok(BlockOption::new(num as u32 + 1, false, 6))));
            assert_eq!(next.token, current.token);
            assert_ne!(next.message_id, current.message_id);
            assert_eq!(next.uri_path().unwrap(), vec!["bs"]);
            assert!(events(&mut ep).is_empty());
            current = next;
        }
    }
    let ev = events(&mut ep);
    let [EndpointEvent::Response { id: i, response }] = &ev[..] else { panic!("{ev:?}") };
    assert_eq!(*i, id);
    assert_eq!(response.payload, body);
    assert_eq!(response.block2(), None);
}
