//! The servers' own CoAP layer (RFC 7252 §4), written on `lwm2m_bootstrap::coap::Message`
//! only: CON requests and separate responses retransmitted after a random initial timeout in
//! [ACK_TIMEOUT, ACK_TIMEOUT × 1.5], doubling, MAX_RETRANSMIT times; incoming requests
//! deduplicated per (peer, message ID) for EXCHANGE_LIFETIME, answered again from the cache;
//! responses matched by message ID (piggy-backed) or token (separate).

use std::collections::HashMap;

use lwm2m_bootstrap::coap::{Code, Message, MessageType};

use super::net::Addr;
use super::rng::SimRng;

pub const ACK_TIMEOUT_MS: u64 = 2_000;
pub const MAX_RETRANSMIT: u8 = 4;
pub const EXCHANGE_LIFETIME_MS: u64 = 247_000;

/// What the application on top must handle.
#[derive(Debug)]
pub enum PeerEvent {
    Request {
        from: Addr,
        msg: Message,
    },
    Response {
        tag: u64,
        msg: Message,
    },
    /// No answer (retransmissions exhausted, no separate response) or RST.
    Failed {
        tag: u64,
    },
}

struct Outgoing {
    tag: u64,
    to: Addr,
    mid: u16,
    token: Vec<u8>,
    bytes: Vec<u8>,
    /// A request (expects a response) or a separate response (expects an ACK).
    is_request: bool,
    retransmits: u8,
    timeout: u64,
    deadline: u64,
    /// An empty ACK came: waiting for the separate response.
    acked: bool,
}

struct Cached {
    /// The response sent (`None`: not answered yet, or answered by an empty ACK first).
    response: Option<Vec<u8>>,
    expires: u64,
}

pub struct Peer {
    rng: SimRng,
    next_mid: u16,
    out: Vec<Outgoing>,
    dedup: HashMap<(Addr, u16), Cached>,
    /// Datagrams to send.
    pub tx: Vec<(Addr, Vec<u8>)>,
}

impl Peer {
    pub fn new(mut rng: SimRng) -> Peer {
        let next_mid = rng.next_u64() as u16;
        Peer { rng, next_mid, out: Vec::new(), dedup: HashMap::new(), tx: Vec::new() }
    }

    fn mid(&mut self) -> u16 {
        self.next_mid = self.next_mid.wrapping_add(1);
        self.next_mid
    }

    fn transmit_con(&mut self, now: u64, to: Addr, msg: Message, tag: u64, is_request: bool) {
        let bytes = msg.encode();
        let timeout = self.rng.range(ACK_TIMEOUT_MS, ACK_TIMEOUT_MS * 3 / 2);
        self.tx.push((to, bytes.clone()));
        self.out.push(Outgoing {
            tag,
            to,
            mid: msg.message_id,
            token: msg.token.to_vec(),
            bytes,
            is_request,
            retransmits: 0,
            timeout,
            deadline: now + timeout,
            acked: false,
        });
    }

    /// Sends a CON request; its outcome comes back as an event with `tag`.
    pub fn send_request(&mut self, now: u64, to: Addr, mut msg: Message, tag: u64) {
        msg.message_type = MessageType::Confirmable;
        msg.message_id = self.mid();
        let token = self.rng.next_u64().to_be_bytes();
        msg.set_token(&token[..4]);
        self.transmit_con(now, to, msg, tag, true);
    }

    /// Answers `req` piggy-backed (or NON for a NON request) and caches the answer.
    pub fn respond(&mut self, now: u64, to: Addr, req: &Message, resp: Message) {
        let bytes = resp.encode();
        self.dedup.insert(
            (to, req.message_id),
            Cached { response: Some(bytes.clone()), expires: now + EXCHANGE_LIFETIME_MS },
        );
        self.tx.push((to, bytes));
    }

    /// Answers `req` with an empty ACK now; the response follows with [`Peer::separate`].
    pub fn ack_empty(&mut self, now: u64, to: Addr, req: &Message) {
        let ack = Message::empty_ack(req.message_id);
        let bytes = ack.encode();
        self.dedup.insert(
            (to, req.message_id),
            Cached { response: Some(bytes.clone()), expires: now + EXCHANGE_LIFETIME_MS },
        );
        self.tx.push((to, bytes));
    }

    /// A separate CON response to `req` (after an empty ACK, or none).
    pub fn separate(&mut self, now: u64, to: Addr, req: &Message, code: Code) -> Message {
        let mut resp = Message::new(MessageType::Confirmable, code);
        resp.token = req.token.clone();
        resp.message_id = self.mid();
        let copy = resp.clone();
        self.transmit_con(now, to, resp, 0, false);
        copy
    }

    /// Stops every exchange with `tag` (an abandoned session).
    pub fn cancel(&mut self, tag: u64) {
        self.out.retain(|o| o.tag != tag || !o.is_request);
    }

    pub fn handle(&mut self, now: u64, from: Addr, bytes: &[u8]) -> Vec<PeerEvent> {
        let Ok(msg) = Message::decode(bytes) else { return Vec::new() };
        let mut events = Vec::new();
        match msg.message_type {
            MessageType::Acknowledgement | MessageType::Reset => {
                let Some(i) = self
                    .out
                    .iter()
                    .position(|o| o.to == from && o.mid == msg.message_id && !o.acked)
                else {
                    return events;
                };
                if msg.message_type == MessageType::Reset {
                    let o = self.out.remove(i);
                    if o.is_request {
                        events.push(PeerEvent::Failed { tag: o.tag });
                    }
                } else if !self.out[i].is_request {
                    self.out.remove(i);
                } else if msg.code == Code::EMPTY {
                    self.out[i].acked = true;
                    self.out[i].deadline = now + EXCHANGE_LIFETIME_MS;
                } else {
                    let o = self.out.remove(i);
                    events.push(PeerEvent::Response { tag: o.tag, msg });
                }
            }
            MessageType::Confirmable | MessageType::NonConfirmable => {
                if msg.code == Code::EMPTY {
                    // CoAP ping.
                    if msg.message_type == MessageType::Confirmable {
                        self.tx.push((from, Message::reset(msg.message_id).encode()));
                    }
                } else if msg.code.class() == 0 {
                    let key = (from, msg.message_id);
                    if let Some(c) = self.dedup.get(&key).filter(|c| c.expires > now) {
                        if let Some(resp) = &c.response {
                            self.tx.push((from, resp.clone()));
                        }
                        return events;
                    }
                    if self.dedup.len() > 512 {
                        self.dedup.retain(|_, c| c.expires > now);
                    }
                    self.dedup.insert(
                        key,
                        Cached { response: None, expires: now + EXCHANGE_LIFETIME_MS },
                    );
                    events.push(PeerEvent::Request { from, msg });
                } else {
                    // A separate response to one of our requests.
                    if msg.message_type == MessageType::Confirmable {
                        self.tx.push((from, Message::empty_ack(msg.message_id).encode()));
                    }
                    if let Some(i) = self.out.iter().position(|o| {
                        o.to == from && o.is_request && o.token == msg.token.as_slice()
                    }) {
                        let o = self.out.remove(i);
                        events.push(PeerEvent::Response { tag: o.tag, msg });
                    }
                }
            }
        }
        events
    }

    pub fn next_timeout(&self) -> Option<u64> {
        self.out.iter().map(|o| o.deadline).min()
    }

    pub fn handle_timeout(&mut self, now: u64) -> Vec<PeerEvent> {
        let mut events = Vec::new();
        let mut i = 0;
        while i < self.out.len() {
            let o = &mut self.out[i];
            if o.deadline > now {
                i += 1;
                continue;
            }
            if !o.acked && o.retransmits < MAX_RETRANSMIT {
                o.retransmits += 1;
                o.timeout *= 2;
                o.deadline = now + o.timeout;
                let (to, bytes) = (o.to, o.bytes.clone());
                self.tx.push((to, bytes));
                i += 1;
            } else {
                // The last timeout ran out, or no separate response came: give up.
                let o = self.out.remove(i);
                if o.is_request {
                    events.push(PeerEvent::Failed { tag: o.tag });
                }
            }
        }
        events
    }
}
