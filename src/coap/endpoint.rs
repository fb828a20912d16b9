//! The per-peer CoAP reliability layer (RFC 7252 §4, §5.3; RFC 7959), sans-IO.
//!
//! One [`Endpoint`] per remote peer. Inputs: [`Endpoint::handle_datagram`],
//! [`Endpoint::handle_timeout`]; commands: [`Endpoint::send_request`],
//! [`Endpoint::respond`], [`Endpoint::cancel`]; outputs are drained with
//! [`Endpoint::poll_transmit`], [`Endpoint::poll_event`] and [`Endpoint::poll_timeout`].
//!
//! Duplicate detection is per direction: incoming requests are deduplicated by message ID
//! in an incoming cache; our own requests are matched only by incoming ACK/RST (message ID)
//! and responses (token). A peer request that happens to reuse the message ID and token of
//! one of our outstanding requests is therefore a new request, not an ACK.

use super::block::BlockOption;
use super::blockwise::{self, Block1Limits, Block1Outcome, Block2Body, Reassembly, RequestKey};
use super::code::{Code, MessageType};
use super::dedup::DedupCache;
use super::message::{Message, Token};
use super::params::TransmissionParams;
use super::rng::Rng;
use crate::model::VecMap;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Identifies one of our requests in [`EndpointEvent`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestId(pub u32);

/// Why one of our requests failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureReason {
    /// Retransmissions exhausted, or no separate response within EXCHANGE_LIFETIME.
    Timeout,
    /// The peer answered with RST.
    Reset,
}

/// Something the caller must act on, drained with [`Endpoint::poll_event`].
#[derive(Clone, Debug, PartialEq)]
pub enum EndpointEvent {
    /// A new (non-duplicate, fully reassembled) request from the peer. The caller answers it
    /// with [`Endpoint::respond`].
    Request(Message),
    /// The final response to one of our requests (piggy-backed or separate; a Block2 body
    /// is fetched and assembled first).
    Response {
        /// The request answered.
        id: RequestId,
        /// The response; for an assembled Block2 body, the last block's options minus
        /// Block2 with the whole body as payload.
        response: Message,
    },
    /// Our request got no response, or the peer answered RST.
    Failed {
        /// The request that failed.
        id: RequestId,
        /// Timeout or Reset.
        reason: FailureReason,
    },
}

/// Where one of our requests stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// CON sent; `retransmits` done so far, current timeout `timeout` ms.
    AwaitingAck { retransmits: u8, timeout: u64 },
    /// Empty ACK received, or NON sent: waiting for the response.
    AwaitingResponse,
}

/// One of our outstanding requests.
#[derive(Clone, Debug)]
struct Outgoing {
    /// The request as last sent (message ID, token and Block2 included).
    request: Message,
    /// Its encoding, for retransmission.
    bytes: Vec<u8>,
    phase: Phase,
    /// Retransmission or give-up time.
    deadline: u64,
    /// The Block2 body received so far.
    body: Vec<u8>,
}

/// The CoAP endpoint for one peer.
#[derive(Clone, Debug)]
pub struct Endpoint {
    params: TransmissionParams,
    rng: Rng,
    next_mid: u16,
    next_id: u32,
    outgoing: VecMap<RequestId, Outgoing>,
    incoming: DedupCache,
    responses_seen: DedupCache,
    reassembly: Option<Reassembly>,
    block2: Option<Block2Body>,
    transmits: VecDeque<Vec<u8>>,
    events: VecDeque<EndpointEvent>,
}

impl Endpoint {
    /// An endpoint whose initial message ID, tokens and jitter derive from `seed`.
    pub fn new(params: TransmissionParams, seed: u64) -> Endpoint {
        let mut rng = Rng::new(seed);
        let next_mid = (rng.next_u32() >> 16) as u16;
        Endpoint {
            params,
            rng,
            next_mid,
            next_id: 1,
            outgoing: VecMap::new(),
            incoming: DedupCache::default(),
            responses_seen: DedupCache::default(),
            reassembly: None,
            block2: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The transmission parameters.
    pub fn params(&self) -> &TransmissionParams {
        &self.params
    }

    /// Allocates the next message ID (sequential from a random start).
    pub fn next_message_id(&mut self) -> u16 {
        let mid = self.next_mid;
        self.next_mid = mid.wrapping_add(1);
        mid
    }

    /// Whether any of our requests is still waiting for its response.
    pub fn has_outstanding(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// Sends `request` with a fresh message ID and 4-byte token, as CON unless the caller
    /// set NON. A CON is retransmitted after a random initial timeout in
    /// [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR], doubling, MAX_RETRANSMIT times, and
    /// fails with [`FailureReason::Timeout`] at the end of the last timeout. A NON fails if
    /// no response arrives within EXCHANGE_LIFETIME.
    pub fn send_request(&mut self, now: u64, mut request: Message) -> RequestId {
        let id = self.allocate_id();
        if request.message_type != MessageType::NonConfirmable {
            request.message_type = MessageType::Confirmable;
        }
        request.token = self.fresh_token();
        self.transmit_request(now, id, request, Vec::new());
        id
    }

    /// Forgets request `id`: no more retransmissions and no event for it.
    pub fn cancel(&mut self, id: RequestId) {
        self.outgoing.remove(&id);
    }

    /// Answers `request` (as delivered by [`EndpointEvent::Request`]) with `response`, whose
    /// type, message ID and token are filled in: a piggy-backed ACK for a CON request, a NON
    /// with a fresh message ID for a NON request. Echoes the Block1 option of a reassembled
    /// request; a payload larger than the block size (ours, or the smaller one the request's
    /// Block2 asks for) is served block-wise with Block2 and Size2. The encoded reply is
    /// cached for duplicates of the request.
    pub fn respond(&mut self, now: u64, request: &Message, mut response: Message) {
        let echo = self.incoming.get_mut(now, request.message_id).and_then(|e| e.block1_echo);
        if let Some(echo) = echo {
            response.set_block1(echo);
        }
        if response.block2().is_none() {
            response = self.apply_block2(now, request, response);
        }
        self.send_reply(now, request, response);
    }

    /// Processes one datagram from the peer.
    pub fn handle_datagram(&mut self, now: u64, bytes: &[u8]) {
        let message = match Message::decode(bytes) {
            Ok(message) => message,
            Err(_) => {
                if let Some((MessageType::Confirmable, mid)) = Message::peek_header(bytes) {
                    self.transmit(Message::reset(mid));
                }
                return;
            }
        };
        let (kind, code) = (message.message_type, message.code);
        match kind {
            _ if code.is_empty() => self.on_empty(now, &message),
            MessageType::Confirmable | MessageType::NonConfirmable if code.is_request() => {
                self.on_request(now, message)
            }
            MessageType::Acknowledgement if code.is_response() => self.on_piggybacked(now, message),
            MessageType::Confirmable | MessageType::NonConfirmable if code.is_response() => {
                self.on_separate(now, message)
            }
            MessageType::Confirmable => self.transmit(Message::reset(message.message_id)),
            _ => {}
        }
    }

    /// Retransmits and gives up on requests whose deadline is at or before `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        let due: Vec<RequestId> =
            self.outgoing.iter().filter(|(_, o)| o.deadline <= now).map(|(id, _)| *id).collect();
        for id in due {
            self.on_deadline(now, id);
        }
        self.incoming.expire(now);
        self.responses_seen.expire(now);
    }

    /// The next datagram to send to the peer.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmits.pop_front()
    }

    /// The next event for the caller.
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        self.events.pop_front()
    }

    /// The earliest retransmission or give-up deadline; caches expire lazily.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.outgoing.values().map(|o| o.deadline).min()
    }

    fn allocate_id(&mut self) -> RequestId {
        loop {
            let id = RequestId(self.next_id);
            self.next_id = self.next_id.wrapping_add(1);
            if !self.outgoing.contains_key(&id) {
                return id;
            }
        }
    }

    fn fresh_token(&mut self) -> Token {
        let mut bytes = [0u8; 4];
        for _ in 0..8 {
            self.rng.fill(&mut bytes);
            if !self.outgoing.values().any(|o| o.request.token == bytes) {
                break;
            }
        }
        Token::from_slice(&bytes).unwrap_or_default()
    }

    fn transmit(&mut self, message: Message) {
        self.transmits.push_back(message.encode());
    }

    /// Sends `request` (new message ID) for exchange `id` and schedules its deadline.
    fn transmit_request(&mut self, now: u64, id: RequestId, mut request: Message, body: Vec<u8>) {
        request.message_id = self.next_message_id();
        let bytes = request.encode();
        self.transmits.push_back(bytes.clone());
        let (phase, deadline) = if request.message_type == MessageType::Confirmable {
            let p = &self.params;
            let timeout = self.rng.range(p.ack_timeout_ms, p.max_initial_timeout_ms());
            let phase = Phase::AwaitingAck { retransmits: 0, timeout };
            (phase, now.saturating_add(timeout))
        } else {
            let deadline = now.saturating_add(self.params.exchange_lifetime_ms());
            (Phase::AwaitingResponse, deadline)
        };
        let outgoing = Outgoing { request, bytes, phase, deadline, body };
        self.outgoing.insert(id, outgoing);
    }

    fn on_deadline(&mut self, now: u64, id: RequestId) {
        let Some(mut out) = self.outgoing.remove(&id) else {
            return;
        };
        match out.phase {
            Phase::AwaitingAck { retransmits, timeout }
                if retransmits < self.params.max_retransmit =>
            {
                self.transmits.push_back(out.bytes.clone());
                let timeout = timeout.saturating_mul(2);
                out.phase = Phase::AwaitingAck { retransmits: retransmits + 1, timeout };
                out.deadline = now.saturating_add(timeout);
                self.outgoing.insert(id, out);
            }
            _ => self.fail(id, FailureReason::Timeout),
        }
    }

    fn fail(&mut self, id: RequestId, reason: FailureReason) {
        self.outgoing.remove(&id);
        self.events.push_back(EndpointEvent::Failed { id, reason });
    }

    fn find_by_mid(&self, mid: u16) -> Option<RequestId> {
        self.outgoing.iter().find(|(_, o)| o.request.message_id == mid).map(|(id, _)| *id)
    }

    fn on_empty(&mut self, now: u64, message: &Message) {
        let mid = message.message_id;
        match message.message_type {
            MessageType::Confirmable => self.transmit(Message::reset(mid)),
            MessageType::Acknowledgement => {
                let lifetime = self.params.exchange_lifetime_ms();
                let id = self.find_by_mid(mid);
                if let Some(out) = id.and_then(|id| self.outgoing.get_mut(&id)) {
                    if matches!(out.phase, Phase::AwaitingAck { .. }) {
                        out.phase = Phase::AwaitingResponse;
                        out.deadline = now.saturating_add(lifetime);
                    }
                }
            }
            MessageType::Reset => {
                if let Some(id) = self.find_by_mid(mid) {
                    self.fail(id, FailureReason::Reset);
                }
            }
            MessageType::NonConfirmable => {}
        }
    }

    fn on_piggybacked(&mut self, now: u64, message: Message) {
        let matched = self.outgoing.iter().find(|(_, o)| {
            o.request.message_id == message.message_id
                && matches!(o.phase, Phase::AwaitingAck { .. })
                && o.request.token == message.token
        });
        if let Some((id, _)) = matched {
            let id = *id;
            self.on_response(now, id, message);
        }
    }

    fn on_separate(&mut self, now: u64, message: Message) {
        let confirmable = message.message_type == MessageType::Confirmable;
        let mid = message.message_id;
        if self.responses_seen.get_mut(now, mid).is_some() {
            if confirmable {
                self.transmit(Message::empty_ack(mid));
            }
            return;
        }
        let matched = self.outgoing.iter().find(|(_, o)| o.request.token == message.token);
        let Some(id) = matched.map(|(id, _)| *id) else {
            if confirmable {
                self.transmit(Message::reset(mid));
            }
            return;
        };
        if confirmable {
            self.transmit(Message::empty_ack(mid));
        }
        let expires = now.saturating_add(self.params.exchange_lifetime_ms());
        self.responses_seen.insert(now, mid, expires);
        self.on_response(now, id, message);
    }

    /// A response matched to exchange `id`: fetch the next Block2 block or deliver.
    fn on_response(&mut self, now: u64, id: RequestId, mut response: Message) {
        let Some(mut out) = self.outgoing.remove(&id) else {
            return;
        };
        let block = response.block2().and_then(Result::ok);
        let continues = block.filter(|b| b.offset() == Some(out.body.len()));
        if let Some(block) = continues.filter(|_| response.code.is_success()) {
            let total = out.body.len().saturating_add(response.payload.len());
            if block.more && total <= self.params.max_reassembly {
                out.body.extend_from_slice(&response.payload);
                let mut next = out.request;
                next.set_block2(BlockOption::new(block.num.saturating_add(1), false, block.szx));
                self.transmit_request(now, id, next, out.body);
                return;
            }
            if !block.more && !out.body.is_empty() {
                out.body.extend_from_slice(&response.payload);
                response.payload = out.body;
                response.remove_option(super::opt::BLOCK2);
            }
        }
        self.events.push_back(EndpointEvent::Response { id, response });
    }

    fn on_request(&mut self, now: u64, request: Message) {
        let mid = request.message_id;
        if let Some(entry) = self.incoming.get_mut(now, mid) {
            if let Some(reply) = entry.reply.clone() {
                self.transmits.push_back(reply);
            }
            return;
        }
        let lifetime = match request.message_type {
            MessageType::Confirmable => self.params.exchange_lifetime_ms(),
            _ => self.params.non_lifetime_ms(),
        };
        self.incoming.insert(now, mid, now.saturating_add(lifetime));
        let (block1, block2) = (request.block1(), request.block2());
        if matches!(block1, Some(Err(_))) || matches!(block2, Some(Err(_))) {
            let response = Message::response_to(&request, Code::BAD_REQUEST);
            return self.send_reply(now, &request, response);
        }
        if self.serve_block2(now, &request) {
            return;
        }
        match block1.and_then(Result::ok) {
            Some(block) => self.on_block1(now, request, block),
            None => self.events.push_back(EndpointEvent::Request(request)),
        }
    }

    fn on_block1(&mut self, now: u64, request: Message, block: BlockOption) {
        let limits = Block1Limits {
            szx: self.params.szx(),
            max_body: self.params.max_reassembly,
            expires: now.saturating_add(self.params.exchange_lifetime_ms()),
        };
        let original = request.clone();
        match blockwise::accept_block1(&mut self.reassembly, now, &limits, request, block) {
            Block1Outcome::Reply(response) => self.send_reply(now, &original, response),
            Block1Outcome::Complete(request, echo) => {
                if let Some(entry) = self.incoming.get_mut(now, request.message_id) {
                    entry.block1_echo = Some(echo);
                }
                self.events.push_back(EndpointEvent::Request(request));
            }
        }
    }

    /// Serves a Block2 follow-up (num > 0) from a kept body; `false` if there is none.
    fn serve_block2(&mut self, now: u64, request: &Message) -> bool {
        let Some(Ok(block)) = request.block2() else {
            return false;
        };
        if self.block2.as_ref().is_some_and(|b| b.expires <= now) {
            self.block2 = None;
        }
        let Some(kept) = self.block2.as_ref() else {
            return false;
        };
        if block.num == 0 || kept.key != RequestKey::of(request) {
            return false;
        }
        let block = BlockOption::new(block.num, false, block.szx.min(self.params.szx()));
        let mut response = kept.template.clone();
        if !blockwise::cut_block(&mut response, &kept.body, block) {
            response = Message::response_to(request, Code::BAD_OPTION);
        }
        self.send_reply(now, request, response);
        true
    }

    /// Cuts a large (or explicitly requested) block out of `response` and keeps the body.
    fn apply_block2(&mut self, now: u64, request: &Message, mut response: Message) -> Message {
        let asked = request.block2().and_then(Result::ok);
        let szx = asked.map_or(self.params.szx(), |b| b.szx.min(self.params.szx()));
        let block = BlockOption::new(asked.map_or(0, |b| b.num), false, szx);
        if response.payload.len() <= block.size() && block.num == 0 {
            return response;
        }
        let body = core::mem::take(&mut response.payload);
        let template = response.clone();
        if !blockwise::cut_block(&mut response, &body, block) {
            return Message::response_to(request, Code::BAD_OPTION);
        }
        self.block2 = Some(Block2Body {
            key: RequestKey::of(request),
            template,
            body,
            expires: now.saturating_add(self.params.exchange_lifetime_ms()),
        });
        response
    }

    /// Fills type, message ID and token from `request`, caches and sends the reply.
    fn send_reply(&mut self, now: u64, request: &Message, mut response: Message) {
        response.token = request.token.clone();
        if request.message_type == MessageType::Confirmable {
            response.message_type = MessageType::Acknowledgement;
            response.message_id = request.message_id;
        } else {
            response.message_type = MessageType::NonConfirmable;
            response.message_id = self.next_message_id();
        }
        let bytes = response.encode();
        if let Some(entry) = self.incoming.get_mut(now, request.message_id) {
            entry.reply = Some(bytes.clone());
        }
        self.transmits.push_back(bytes);
    }
}

#[cfg(test)]
#[path = "endpoint_tests.rs"]
mod tests;
