//! A deterministic harness: one `Client` driven with a virtual clock, and scripted
//! Bootstrap and DM servers that exchange real encoded CoAP datagrams with it.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};

use lwm2m_bootstrap::client::{
    BootstrapAccountConfig, Client, Config, ConnId, Event, SecurityConfig, ServerAccountConfig,
};
use lwm2m_bootstrap::coap::{content_format as cf, Code, Message, MessageType};
use lwm2m_bootstrap::model::Value;

pub const BS_URI: &str = "coap://127.0.0.1:5783";
pub const DM_URI: &str = "coap://127.0.0.1:5683";

/// The client, its clock, and everything it handed out.
pub struct Harness {
    pub client: Client,
    pub now: u64,
    /// Open connections: id → URI.
    pub conns: BTreeMap<ConnId, String>,
    /// Datagrams sent by the client, decoded, in order, with their raw bytes.
    pub outbox: VecDeque<(ConnId, Message, Vec<u8>)>,
    /// Every event, in order.
    pub events: Vec<Event>,
    /// The outcome the firmware reports for each storage write, in order (`false`: the write
    /// failed); once exhausted every write succeeds.
    pub storage_results: VecDeque<bool>,
    /// Storage writes handed out so far.
    pub storage_writes: usize,
    /// Report storage outcomes at all (`false`: a firmware that never calls
    /// `storage_write_done` / `storage_write_failed`).
    pub report_storage: bool,
    next_mid: u16,
}

impl Harness {
    pub fn new(config: Config) -> Harness {
        Harness {
            client: Client::new(config),
            now: 1_000,
            conns: BTreeMap::new(),
            outbox: VecDeque::new(),
            events: Vec::new(),
            storage_results: VecDeque::new(),
            storage_writes: 0,
            report_storage: true,
            next_mid: 0x4000,
        }
    }

    /// A client with only a factory Bootstrap-Server account (ETS configuration C.13, NoSec).
    pub fn with_bootstrap_account() -> Harness {
        let mut h = Harness::new(Config::new("urn:dev:test-1"));
        h.client
            .provision_bootstrap_account(&BootstrapAccountConfig {
                security: SecurityConfig::nosec(BS_URI),
                hold_off_s: 0,
                account_timeout_s: 0,
            })
            .unwrap();
        h
    }

    /// A client with `config` and a factory Bootstrap-Server account.
    pub fn with_bootstrap(config: Config, hold_off_s: u64, account_timeout_s: u64) -> Harness {
        let mut h = Harness::new(config);
        h.client
            .provision_bootstrap_account(&BootstrapAccountConfig {
                security: SecurityConfig::nosec(BS_URI),
                hold_off_s,
                account_timeout_s,
            })
            .unwrap();
        h
    }

    /// Sets resources of the Server instance of `ssid` in the (stopped) client's
    /// configuration, as a factory image would hold them.
    pub fn set_server_resources(&mut self, ssid: u16, resources: &[(u16, Value)]) {
        let mut model = self.client.configuration().clone();
        let iid = model.server_for_ssid(ssid).unwrap().instance_id;
        let instance = model.instance_mut(1, iid).unwrap();
        for (rid, value) in resources {
            instance.set(*rid, value.clone());
        }
        self.client.load_configuration(model).unwrap();
    }

    /// Advances deadline by deadline until `pred` holds (panics after `limit` ms).
    pub fn run_until(&mut self, limit: u64, pred: impl Fn(&Harness) -> bool) {
        let end = self.now + limit;
        while !pred(self) {
            let next = self.client.poll_timeout().expect("nothing scheduled");
            assert!(next <= end, "condition not met within {limit} ms (now {})", self.now);
            self.now = self.now.max(next);
            self.client.handle_timeout(self.now);
            self.pump();
        }
    }

    /// Answers a request the client sent with `code` (piggy-backed ACK).
    pub fn reply(&mut self, conn: ConnId, req: &Message, code: Code) {
        let mut ack = Message::response_to(req, code);
        ack.message_type = MessageType::Acknowledgement;
        self.deliver(conn, &ack);
    }

    pub fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| pred(e)).count()
    }

    pub fn provision_server(&mut self, ssid: u16, uri: &str, lifetime_s: u64) {
        self.client
            .provision_server_account(&ServerAccountConfig {
                ssid,
                security: SecurityConfig::nosec(uri),
                lifetime_s,
                binding: "U".into(),
            })
            .unwrap();
    }

    /// Drains events and datagrams until both queues are empty.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(ev) = self.client.poll_event() {
                progressed = true;
                match &ev {
                    Event::Connect { conn, uri } | Event::ConnectSecure { conn, uri, .. } => {
                        self.conns.insert(*conn, uri.clone());
                    }
                    Event::Disconnect { conn } => {
                        self.conns.remove(conn);
                    }
                    Event::StorageWrite(_) if self.report_storage => {
                        self.storage_writes += 1;
                        if self.storage_results.pop_front().unwrap_or(true) {
                            self.client.storage_write_done(self.now);
                        } else {
                            self.client.storage_write_failed(self.now);
                        }
                    }
                    Event::StorageWrite(_) => self.storage_writes += 1,
                    _ => {}
                }
                self.events.push(ev);
            }
            while let Some(t) = self.client.poll_transmit() {
                progressed = true;
                assert!(
                    self.conns.contains_key(&t.conn)
                        || self
                            .events
                            .iter()
                            .any(|e| matches!(e, Event::Disconnect{conn} if *conn == t.conn)),
                    "datagram for a connection never announced"
                );
                let msg = Message::decode(&t.data).expect("client sent a malformed datagram");
                self.outbox.push_back((t.conn, msg, t.data));
            }
            if !progressed {
                return;
            }
        }
    }

    pub fn start(&mut self) {
        self.client.start(self.now).unwrap();
        self.pump();
    }

    /// Advances the virtual clock to `until`, firing every deadline on the way.
    pub fn advance_to(&mut self, until: u64) {
        while let Some(deadline) = self.client.poll_timeout() {
            if deadline > until {
                break;
            }
            self.now = self.now.max(deadline);
            self.client.handle_timeout(self.now);
            self.pump();
        }
        self.now = until;
        self.client.handle_timeout(self.now);
        self.pump();
    }

    pub fn advance(&mut self, ms: u64) {
        self.advance_to(self.now + ms);
    }

    /// Delivers a message from a server on `conn`.
    pub fn deliver(&mut self, conn: ConnId, msg: &Message) {
        self.deliver_raw(conn, &msg.encode());
    }

    pub fn deliver_raw(&mut self, conn: ConnId, bytes: &[u8]) {
        self.client.handle_datagram(self.now, conn, bytes).unwrap();
        self.pump();
    }

    /// The next datagram the client sent.
    pub fn next_sent(&mut self) -> (ConnId, Message) {
        let (conn, msg, _) = self.outbox.pop_front().expect("the client sent nothing");
        (conn, msg)
    }

    pub fn assert_nothing_sent(&self) {
        assert!(self.outbox.is_empty(), "unexpected datagrams: {:?}", self.outbox);
    }

    /// Sends a request from a server and returns the client's response to it.
    pub fn request(&mut self, conn: ConnId, req: Message) -> Message {
        self.deliver(conn, &req);
        let (c, resp) = self.next_sent();
        assert_eq!(c, conn);
        assert_eq!(resp.message_type, MessageType::Acknowledgement);
        assert_eq!(resp.message_id, req.message_id);
        assert_eq!(resp.token, req.token);
        resp
    }

    /// A new CON request from a server.
    pub fn server_request(&mut self, code: Code, path: &str) -> Message {
        let mut msg = Message::new(MessageType::Confirmable, code);
        self.next_mid = self.next_mid.wrapping_add(1);
        msg.message_id = self.next_mid;
        msg.set_token(&self.next_mid.to_be_bytes());
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        msg.set_uri_path(&segments);
        msg
    }

    pub fn write(&mut self, conn: ConnId, path: &str, tlv: Vec<u8>) -> Message {
        let mut req = self.server_request(Code::PUT, path);
        req.set_content_format(cf::TLV);
        req.payload = tlv;
        self.request(conn, req)
    }

    pub fn finish(&mut self, conn: ConnId) -> Message {
        let req = self.server_request(Code::POST, "/bs");
        self.request(conn, req)
    }

    pub fn get(&mut self, conn: ConnId, path: &str) -> Message {
        let req = self.server_request(Code::GET, path);
        self.request(conn, req)
    }

    pub fn discover(&mut self, conn: ConnId, path: &str) -> Message {
        let mut req = self.server_request(Code::GET, path);
        req.set_accept(cf::LINK_FORMAT);
        self.request(conn, req)
    }

    /// Runs the client up to its Bootstrap-Request, answers 2.04, and returns the BS
    /// connection.
    pub fn accept_bootstrap_request(&mut self) -> ConnId {
        let (conn, req) = self.next_sent();
        assert_eq!(self.conns.get(&conn).map(String::as_str), Some(BS_URI));
        assert_eq!(req.code, Code::POST);
        assert_eq!(req.uri_path().unwrap(), ["bs"]);
        let mut ack = Message::response_to(&req, Code::CHANGED);
        ack.message_type = MessageType::Acknowledgement;
        self.deliver(conn, &ack);
        conn
    }

    /// Answers the client's next datagram (a Register) with 2.01 and `location`.
    pub fn accept_register(&mut self, location: &[&str]) -> (ConnId, Message) {
        let (conn, req) = self.next_sent();
        assert_eq!(req.code, Code::POST);
        let mut ack = Message::response_to(&req, Code::CREATED);
        ack.set_location_path(location);
        self.deliver(conn, &ack);
        (conn, req)
    }

    pub fn has_event(&self, pred: impl Fn(&Event) -> bool) -> bool {
        self.events.iter().any(pred)
    }
}

// ----- OMA-TLV built by hand (independent of the crate's encoder) ----------------------------

/// One TLV with an 8- or 16-bit id and the shortest length encoding.
pub fn tlv(kind: u8, id: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut t = kind << 6;
    if id > 255 {
        t |= 0x20;
    }
    let len = value.len();
    let len_bytes: Vec<u8> = if len < 8 {
        t |= len as u8;
        vec![]
    } else if len < 0x100 {
        t |= 0x08;
        vec![len as u8]
    } else if len < 0x10000 {
        t |= 0x10;
        (len as u16).to_be_bytes().to_vec()
    } else {
        t |= 0x18;
        (len as u32).to_be_bytes()[1..].to_vec()
    };
    out.push(t);
    if id > 255 {
        out.extend_from_slice(&id.to_be_bytes());
    } else {
        out.push(id as u8);
    }
    out.extend(len_bytes);
    out.extend_from_slice(value);
    out
}

pub fn res_str(id: u16, s: &str) -> Vec<u8> {
    tlv(3, id, s.as_bytes())
}

pub fn res_int(id: u16, v: i64) -> Vec<u8> {
    let bytes = if let Ok(b) = i8::try_from(v) {
        b.to_be_bytes().to_vec()
    } else if let Ok(s) = i16::try_from(v) {
        s.to_be_bytes().to_vec()
    } else if let Ok(i) = i32::try_from(v) {
        i.to_be_bytes().to_vec()
    } else {
        v.to_be_bytes().to_vec()
    };
    tlv(3, id, &bytes)
}

pub fn res_bool(id: u16, v: bool) -> Vec<u8> {
    tlv(3, id, &[v as u8])
}

pub fn res_opaque(id: u16, v: &[u8]) -> Vec<u8> {
    tlv(3, id, v)
}

pub fn instance(id: u16, resources: &[Vec<u8>]) -> Vec<u8> {
    tlv(0, id, &resources.concat())
}

/// A NoSec LwM2M Server Security instance (ETS C.1 with NoSec).
pub fn dm_security(iid: u16, uri: &str, ssid: i64) -> Vec<u8> {
    instance(
        iid,
        &[
            res_str(0, uri),
            res_bool(1, false),
            res_int(2, 3),
            res_opaque(3, b""),
            res_opaque(4, b""),
            res_opaque(5, b""),
            res_int(10, ssid),
        ],
    )
}

/// A Server instance (ETS C.1: lifetime, notification storing false, binding "U").
pub fn dm_server(iid: u16, ssid: i64, lifetime: i64) -> Vec<u8> {
    instance(iid, &[res_int(0, ssid), res_int(1, lifetime), res_bool(6, false), res_str(7, "U")])
}

/// Parses a link-format payload into (target, attributes) pairs, with a tiny independent parser.
pub fn links(payload: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(payload).unwrap();
    let mut out = Vec::new();
    let mut depth_quote = false;
    let mut current = String::new();
    for ch in text.chars() {
        if ch == '"' {
            depth_quote = !depth_quote;
        }
        if ch == ',' && !depth_quote {
            out.push(current.clone());
            current.clear();
        } else {
            current.push(ch);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.into_iter()
        .map(|l| {
            let (target, attrs) = l
                .split_once(';')
                .map(|(t, a)| (t.to_string(), a.to_string()))
                .unwrap_or((l.clone(), String::new()));
            (target.trim_start_matches('<').trim_end_matches('>').to_string(), attrs)
        })
        .collect()
}
