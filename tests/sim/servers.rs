//! The simulated Bootstrap-Server and DM servers, scripted on top of [`Peer`].

use std::collections::{HashMap, VecDeque};

use lwm2m_bootstrap::coap::{content_format as cf, Code, Message, MessageType};

use super::net::Addr;
use super::peer::{Peer, PeerEvent, EXCHANGE_LIFETIME_MS};
use super::rng::SimRng;
use crate::common::{dm_security, instance, res_bool, res_int, res_str};

/// The registration procedure's parameters (/1/x/17..20).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryExpect {
    pub count: u32,
    pub timer_s: u64,
    pub seq_delay_s: u64,
    pub seq_count: u32,
}

impl RetryExpect {
    pub fn random(rng: &mut SimRng) -> RetryExpect {
        RetryExpect {
            count: rng.range(1, 4) as u32,
            timer_s: rng.range(1, 30),
            seq_delay_s: rng.range(10, 300),
            seq_count: rng.range(1, 3) as u32,
        }
    }
}

/// What one bootstrap session provisions: LwM2M Server SSID 1 at `uri`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BsConfig {
    pub uri: &'static str,
    pub lifetime_s: u64,
    /// Written into /1/0/17..20, or absent (the client's defaults apply).
    pub retry: Option<RetryExpect>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BsOp {
    DeleteAll,
    Discover,
    WriteSecurity,
    WriteServer,
    ReadServer,
    Finish,
}

impl BsOp {
    fn expected(self) -> Code {
        match self {
            BsOp::DeleteAll => Code::DELETED,
            BsOp::Discover | BsOp::ReadServer => Code::CONTENT,
            BsOp::WriteSecurity | BsOp::WriteServer | BsOp::Finish => Code::CHANGED,
        }
    }
}

struct BsSession {
    addr: Addr,
    config: BsConfig,
    ops: VecDeque<BsOp>,
    current: Option<(u64, BsOp)>,
}

pub struct BootstrapServer {
    pub peer: Peer,
    rng: SimRng,
    session: Option<BsSession>,
    next_tag: u64,
    /// URIs the sessions provision, in turn.
    pub uris: Vec<&'static str>,
    uri_turn: usize,
    /// Reject this many Bootstrap-Requests (with `reject_code`) before accepting.
    pub reject_next: u32,
    pub reject_code: Code,
    /// The configuration of the latest session opened for each client address.
    pub configs: HashMap<Addr, BsConfig>,
    /// Sessions whose Finish was answered 2.04: (time, address).
    pub finished: Vec<(u64, Addr)>,
    /// A 1.0 server-initiated bootstrap to start at this time to this address.
    pub push_at: Option<(u64, Addr)>,
    pub pushes: u32,
    pub requests: u32,
    pub anomalies: Vec<String>,
}

impl BootstrapServer {
    pub fn new(mut rng: SimRng) -> BootstrapServer {
        BootstrapServer {
            peer: Peer::new(rng.fork()),
            rng,
            session: None,
            next_tag: 1,
            uris: vec![crate::common::DM_URI],
            uri_turn: 0,
            reject_next: 0,
            reject_code: Code::SERVICE_UNAVAILABLE,
            configs: HashMap::new(),
            finished: Vec::new(),
            push_at: None,
            pushes: 0,
            requests: 0,
            anomalies: Vec::new(),
        }
    }

    fn new_config(&mut self) -> BsConfig {
        let uri = self.uris[self.uri_turn % self.uris.len()];
        self.uri_turn += 1;
        BsConfig {
            uri,
            lifetime_s: self.rng.pick(&[60, 120, 300, 900, 3_600]),
            retry: self.rng.chance(700).then(|| RetryExpect::random(&mut self.rng)),
        }
    }

    fn start_session(&mut self, now: u64, addr: Addr) {
        if let Some(old) = self.session.take() {
            if let Some((tag, _)) = old.current {
                self.peer.cancel(tag);
            }
        }
        let config = self.new_config();
        self.configs.insert(addr, config.clone());
        let config_retry = config.retry;
        let mut ops = VecDeque::new();
        // Without /1/x/17..20 in its Write, the old values must go: Delete / first.
        if config_retry.is_none() || self.rng.chance(800) {
            ops.push_back(BsOp::DeleteAll);
        }
        if self.rng.chance(300) {
            ops.push_back(BsOp::Discover);
        }
        if self.rng.chance(500) {
            ops.extend([BsOp::WriteSecurity, BsOp::WriteServer]);
        } else {
            ops.extend([BsOp::WriteServer, BsOp::WriteSecurity]);
        }
        if self.rng.chance(300) {
            ops.push_back(BsOp::ReadServer);
        }
        ops.push_back(BsOp::Finish);
        self.session = Some(BsSession { addr, config, ops, current: None });
        self.next_op(now);
    }

    fn next_op(&mut self, now: u64) {
        let Some(s) = self.session.as_mut() else { return };
        let Some(op) = s.ops.pop_front() else {
            self.session = None;
            return;
        };
        let req = |code: Code, path: &[&str]| {
            let mut m = Message::new(MessageType::Confirmable, code);
            m.set_uri_path(path);
            m
        };
        let msg = match op {
            BsOp::DeleteAll => req(Code::DELETE, &[]),
            BsOp::Discover => {
                let mut m = req(Code::GET, &[]);
                m.set_accept(cf::LINK_FORMAT);
                m
            }
            BsOp::WriteSecurity => {
                let mut m = req(Code::PUT, &["0"]);
                m.set_content_format(cf::TLV);
                m.payload = dm_security(1, s.config.uri, 1);
                m
            }
            BsOp::WriteServer => {
                let mut m = req(Code::PUT, &["1"]);
                m.set_content_format(cf::TLV);
                let c = &s.config;
                let mut res = vec![
                    res_int(0, 1),
                    res_int(1, c.lifetime_s as i64),
                    res_bool(6, false),
                    res_str(7, "U"),
                ];
                if let Some(r) = c.retry {
                    res.push(res_int(17, r.count.into()));
                    res.push(res_int(18, r.timer_s as i64));
                    res.push(res_int(19, r.seq_delay_s as i64));
                    res.push(res_int(20, r.seq_count.into()));
                }
                m.payload = instance(0, &res);
                m
            }
            BsOp::ReadServer => {
                let mut m = req(Code::GET, &["1"]);
                m.set_accept(cf::TLV);
                m
            }
            BsOp::Finish => req(Code::POST, &["bs"]),
        };
        let tag = self.next_tag;
        self.next_tag += 1;
        s.current = Some((tag, op));
        let addr = s.addr;
        self.peer.send_request(now, addr, msg, tag);
    }

    pub fn next_timeout(&self) -> Option<u64> {
        let push = self.push_at.map(|(t, _)| t);
        [self.peer.next_timeout(), push].into_iter().flatten().min()
    }

    pub fn handle_timeout(&mut self, now: u64) {
        if let Some((at, addr)) = self.push_at {
            if at <= now {
                self.push_at = None;
                if self.session.is_none() {
                    self.pushes += 1;
                    self.start_session(now, addr);
                }
            }
        }
        let events = self.peer.handle_timeout(now);
        self.on_events(now, events);
    }

    pub fn handle(&mut self, now: u64, from: Addr, data: &[u8]) {
        let events = self.peer.handle(now, from, data);
        self.on_events(now, events);
    }

    fn on_events(&mut self, now: u64, events: Vec<PeerEvent>) {
        for event in events {
            match event {
                PeerEvent::Request { from, msg } => self.on_request(now, from, msg),
                PeerEvent::Response { tag, msg } => self.on_response(now, tag, msg),
                PeerEvent::Failed { tag } => {
                    if self.session.as_ref().and_then(|s| s.current).map(|c| c.0) == Some(tag) {
                        self.session = None; // abandoned; the client's Finish timer ends it
                    }
                }
            }
        }
    }

    fn on_request(&mut self, now: u64, from: Addr, msg: Message) {
        let path = msg.uri_path().unwrap_or_default();
        let query = msg.uri_query().unwrap_or_default();
        if msg.code != Code::POST
            || path.last() != Some(&"bs")
            || !query.iter().any(|q| q.starts_with("ep="))
        {
            self.anomalies.push(format!("BS got an unexpected request {} {path:?}", msg.code));
            let resp = Message::response_to(&msg, Code::BAD_REQUEST);
            return self.peer.respond(now, from, &msg, resp);
        }
        self.requests += 1;
        let running_here = self.session.as_ref().is_some_and(|s| s.addr == from);
        if !running_here && self.reject_next > 0 {
            self.reject_next -= 1;
            let resp = Message::response_to(&msg, self.reject_code);
            return self.peer.respond(now, from, &msg, resp);
        }
        if self.rng.chance(300) {
            self.peer.ack_empty(now, from, &msg);
            self.peer.separate(now, from, &msg, Code::CHANGED);
        } else {
            let resp = Message::response_to(&msg, Code::CHANGED);
            self.peer.respond(now, from, &msg, resp);
        }
        if !running_here {
            self.start_session(now, from);
        }
    }

    fn on_response(&mut self, now: u64, tag: u64, msg: Message) {
        let Some(s) = self.session.as_mut() else { return };
        let Some((current, op)) = s.current.filter(|c| c.0 == tag) else { return };
        let _ = current;
        if msg.code != op.expected() {
            self.anomalies.push(format!(
                "BS {op:?} answered {} (expected {})",
                msg.code,
                op.expected()
            ));
            self.session = None;
            return;
        }
        if op == BsOp::Finish {
            self.finished.push((now, s.addr));
        }
        self.next_op(now);
    }
}

// ----- DM servers --------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmMode {
    Normal,
    /// Answers Register only after the client gave up on it (or never).
    Slow,
}

#[derive(Clone, Debug)]
pub struct DmReg {
    pub id: u32,
    pub endpoint_name: String,
    pub addr: Addr,
    pub lifetime_s: u64,
    pub last: u64,
    pub server_iid: Option<u16>,
}

pub struct DmServer {
    pub peer: Peer,
    pub mode: DmMode,
    rng: SimRng,
    pub regs: Vec<DmReg>,
    next_id: u32,
    next_tag: u64,
    delayed: Vec<(u64, Addr, Message, bool)>,
    pub registers: u32,
    pub updates: u32,
    pub expired: u32,
    pub triggers_sent: u32,
    pub trigger_codes: Vec<Code>,
    pub anomalies: Vec<String>,
}

fn query_value<'a>(q: &[&'a str], key: &str) -> Option<&'a str> {
    q.iter().find_map(|s| s.strip_prefix(key)?.strip_prefix('='))
}

impl DmServer {
    pub fn new(mut rng: SimRng, mode: DmMode) -> DmServer {
        DmServer {
            peer: Peer::new(rng.fork()),
            mode,
            rng,
            regs: Vec::new(),
            next_id: 1,
            next_tag: 1,
            delayed: Vec::new(),
            registers: 0,
            updates: 0,
            expired: 0,
            triggers_sent: 0,
            trigger_codes: Vec::new(),
            anomalies: Vec::new(),
        }
    }

    pub fn registration(&self, endpoint_name: &str) -> Option<&DmReg> {
        self.regs.iter().find(|r| r.endpoint_name == endpoint_name)
    }

    /// The server restarts and forgets every registration (the next Update gets 4.04).
    pub fn forget(&mut self) {
        self.regs.clear();
    }

    /// Executes /1/x/9 on the registered client `endpoint_name`; false when it is not registered.
    pub fn trigger_bootstrap(&mut self, now: u64, endpoint_name: &str) -> bool {
        let Some(reg) = self.registration(endpoint_name) else { return false };
        let iid = reg.server_iid.unwrap_or(0).to_string();
        let addr = reg.addr;
        let mut m = Message::new(MessageType::Confirmable, Code::POST);
        m.set_uri_path(&["1", &iid, "9"]);
        self.next_tag += 1;
        self.triggers_sent += 1;
        self.peer.send_request(now, addr, m, self.next_tag);
        true
    }

    pub fn next_timeout(&self) -> Option<u64> {
        let delayed = self.delayed.iter().map(|d| d.0).min();
        [self.peer.next_timeout(), delayed].into_iter().flatten().min()
    }

    pub fn handle_timeout(&mut self, now: u64) {
        let mut due = Vec::new();
        self.delayed.retain(|d| {
            if d.0 <= now {
                due.push(d.clone());
                false
            } else {
                true
            }
        });
        for (_, to, req, piggy) in due {
            if piggy {
                let mut resp = Message::response_to(&req, Code::CREATED);
                resp.set_location_path(&["rd", "late"]);
                self.peer.respond(now, to, &req, resp);
            } else {
                self.peer.separate(now, to, &req, Code::CREATED);
            }
        }
        let events = self.peer.handle_timeout(now);
        self.on_events(now, events);
    }

    pub fn handle(&mut self, now: u64, from: Addr, data: &[u8]) {
        let events = self.peer.handle(now, from, data);
        self.on_events(now, events);
    }

    fn on_events(&mut self, now: u64, events: Vec<PeerEvent>) {
        for event in events {
            match event {
                PeerEvent::Request { from, msg } => self.on_request(now, from, msg),
                PeerEvent::Response { msg, .. } => {
                    if ![Code::CHANGED, Code::SERVICE_UNAVAILABLE].contains(&msg.code) {
                        self.anomalies.push(format!("/1/x/9 answered {}", msg.code));
                    }
                    self.trigger_codes.push(msg.code);
                }
                PeerEvent::Failed { .. } => {}
            }
        }
    }

    fn on_request(&mut self, now: u64, from: Addr, msg: Message) {
        let path: Vec<String> =
            msg.uri_path().unwrap_or_default().iter().map(|s| s.to_string()).collect();
        let query: Vec<String> =
            msg.uri_query().unwrap_or_default().iter().map(|s| s.to_string()).collect();
        let q: Vec<&str> = query.iter().map(String::as_str).collect();
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        if self.mode == DmMode::Slow {
            match self.rng.range(0, 2) {
                0 => {} // silent
                1 => {
                    self.peer.ack_empty(now, from, &msg);
                    // The client waits EXCHANGE_LIFETIME after the (maybe retransmitted)
                    // empty ACK reached it: later than that.
                    let at = now + EXCHANGE_LIFETIME_MS + 60_000 + self.rng.range(30_000, 120_000);
                    self.delayed.push((at, from, msg, false));
                }
                _ => {
                    let at = now + 93_000 + self.rng.range(30_000, 90_000);
                    self.delayed.push((at, from, msg, true));
                }
            }
            return;
        }
        let code = match (msg.code, p.as_slice()) {
            (Code::POST, ["rd"]) => {
                let Some(ep) = query_value(&q, "ep") else {
                    self.anomalies.push("Register without ep".into());
                    return self.answer(now, from, &msg, Code::BAD_REQUEST, None);
                };
                let lifetime_s =
                    query_value(&q, "lt").and_then(|v| v.parse().ok()).unwrap_or(86_400);
                let links = String::from_utf8_lossy(&msg.payload).to_string();
                let server_iid = links
                    .split(',')
                    .find_map(|l| l.trim().strip_prefix("</1/")?.split('>').next()?.parse().ok());
                self.regs.retain(|r| r.endpoint_name != ep);
                let id = self.next_id;
                self.next_id += 1;
                self.registers += 1;
                self.regs.push(DmReg {
                    id,
                    endpoint_name: ep.to_string(),
                    addr: from,
                    lifetime_s,
                    last: now,
                    server_iid,
                });
                return self.answer(now, from, &msg, Code::CREATED, Some(id));
            }
            (Code::POST, ["rd", id]) => {
                match self.regs.iter().position(|r| r.id.to_string() == *id) {
                    Some(i) if now > self.regs[i].last + self.regs[i].lifetime_s * 1000 => {
                        self.expired += 1;
                        self.regs.remove(i);
                        Code::NOT_FOUND
                    }
                    Some(i) => {
                        let r = &mut self.regs[i];
                        r.last = now;
                        r.addr = from;
                        if let Some(lt) = query_value(&q, "lt").and_then(|v| v.parse().ok()) {
                            r.lifetime_s = lt;
                        }
                        self.updates += 1;
                        Code::CHANGED
                    }
                    None => Code::NOT_FOUND,
                }
            }
            (Code::DELETE, ["rd", id]) => {
                let before = self.regs.len();
                self.regs.retain(|r| r.id.to_string() != *id);
                if self.regs.len() < before {
                    Code::DELETED
                } else {
                    Code::NOT_FOUND
                }
            }
            _ => {
                self.anomalies.push(format!("DM got {} {path:?}", msg.code));
                Code::BAD_REQUEST
            }
        };
        self.answer(now, from, &msg, code, None)
    }

    fn answer(&mut self, now: u64, to: Addr, req: &Message, code: Code, location: Option<u32>) {
        let mut resp = Message::response_to(req, code);
        if let Some(id) = location {
            resp.set_location_path(&["rd", &id.to_string()]);
        }
        self.peer.respond(now, to, req, resp);
    }
}
