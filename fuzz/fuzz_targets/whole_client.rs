//! The whole client, sans-IO: datagrams from a "Bootstrap-Server" and a "DM server" (built
//! from fuzzer choices so that tokens and message IDs match, or raw), answers to the client's
//! own requests, time steps, storage completions and failures, transport errors, triggers,
//! stop/start and power cuts with a restart from the two storage slots. Invariants after
//! every step:
//! - no panic;
//! - /0 is never readable by a DM server (no 2.xx answer to a DM request on /0, no /0 link
//!   in Register, Update or a DM Discover);
//! - at most one Bootstrap-Server account in the committed configuration;
//! - the committed configuration is consistent after every accepted Finish, and a restart
//!   restores exactly the last configuration reported durable;
//! - live heap stays bounded.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use lwbs_fuzz::{live_bytes, CountingAlloc, Cursor};
use lwm2m_bootstrap::bootstrap::{validate, ValidationPolicy};
use lwm2m_bootstrap::client::{
    BootstrapAccountConfig, Client, Config, ConnId, Event, SecurityConfig, ServerAccountConfig,
};
use lwm2m_bootstrap::coap::{content_format as cf, Code, Message, MessageType};
use lwm2m_bootstrap::model::DataModel;
use lwm2m_bootstrap::persist::decode_image;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const BS_URI: &str = "coap://127.0.0.1:5783";
const DM_URI: &str = "coap://127.0.0.1:5683";
const HEAP_BOUND: usize = 1 << 20;

const SEGMENTS: [&str; 14] =
    ["0", "1", "2", "3", "5", "bs", "rd", "", "0", "1", "10", "65535", "x", "9"];
const FORMATS: [Option<u16>; 6] = [
    Some(cf::TLV),
    Some(cf::TLV),
    Some(cf::TEXT_PLAIN),
    Some(cf::OCTET_STREAM),
    Some(cf::LINK_FORMAT),
    None,
];

/// `LWBS_FUZZ_TRACE=1`: print every event (to triage a crash or check a seed).
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("LWBS_FUZZ_TRACE").is_some())
}

struct Sim {
    client: Client,
    now: u64,
    conns: BTreeMap<ConnId, String>,
    /// Message IDs of requests the DM server sent, with whether they target /0.
    dm_requests: BTreeMap<u16, bool>,
    /// The last request the client sent on each connection (to answer it).
    last_request: BTreeMap<ConnId, Message>,
    pending_write: Option<(u8, Vec<u8>)>,
    slots: [Option<Vec<u8>>; 2],
    durable: Option<DataModel>,
    next_mid: u16,
}

impl Sim {
    fn new(flags: u8) -> Sim {
        let mut config = Config::new("urn:dev:fuzz");
        config.seed = u64::from(flags);
        let mut client = Client::new(config);
        client
            .provision_bootstrap_account(&BootstrapAccountConfig {
                security: SecurityConfig::nosec(BS_URI),
                hold_off_s: u64::from(flags & 3),
                account_timeout_s: 0,
            })
            .unwrap();
        if flags & 4 != 0 {
            client
                .provision_server_account(&ServerAccountConfig {
                    ssid: 1,
                    security: SecurityConfig::nosec(DM_URI),
                    lifetime_s: 60,
                    binding: "U".into(),
                })
                .unwrap();
        }
        Sim {
            client,
            now: 1_000,
            conns: BTreeMap::new(),
            dm_requests: BTreeMap::new(),
            last_request: BTreeMap::new(),
            pending_write: None,
            slots: [None, None],
            durable: None,
            next_mid: 0x4000,
        }
    }

    fn conn_of(&self, uri: &str) -> Option<ConnId> {
        self.conns.iter().find(|(_, u)| u.as_str() == uri).map(|(c, _)| *c)
    }

    /// Drains events and datagrams, checking the invariants on what the client sends.
    fn pump(&mut self) {
        let policy = ValidationPolicy::default();
        loop {
            let mut progressed = false;
            while let Some(event) = self.client.poll_event() {
                progressed = true;
                if trace() {
                    eprintln!("t={} {event:?}", self.now);
                }
                match event {
                    Event::Connect { conn, uri } => {
                        self.conns.insert(conn, uri);
                    }
                    Event::Disconnect { conn } => {
                        self.conns.remove(&conn);
                        self.last_request.remove(&conn);
                    }
                    Event::StorageWrite(write) => {
                        self.pending_write = Some((write.slot, write.image.clone()));
                    }
                    Event::StorageFailed { .. } => {
                        // The client gave the pending write up (the Finish deadline passed
                        // without a report): the firmware abandons it, leaving the slot torn.
                        // (A firmware that completes it anyway is outside the contract:
                        // docs/persistence.md.)
                        if let Some((slot, image)) = self.pending_write.take() {
                            self.slots[usize::from(slot)] = Some(image[..image.len() / 2].to_vec());
                        }
                    }
                    Event::BootstrapFinished { .. } => {
                        let findings = validate(self.client.configuration(), &policy);
                        assert!(findings.is_empty(), "inconsistent after Finish: {findings:?}");
                    }
                    _ => {}
                }
            }
            while let Some(transmit) = self.client.poll_transmit() {
                progressed = true;
                let Ok(message) = Message::decode(&transmit.data) else {
                    panic!("the client sent an undecodable datagram {:02x?}", transmit.data);
                };
                let to_dm = self.conns.get(&transmit.conn).is_some_and(|u| u == DM_URI);
                if to_dm {
                    self.check_dm_datagram(&message);
                }
                if message.code.is_request() && message.message_type == MessageType::Confirmable {
                    self.last_request.insert(transmit.conn, message);
                }
            }
            if !progressed {
                break;
            }
        }
        let committed = self.client.configuration();
        let bootstrap_accounts = committed.security_accounts().filter(|a| a.is_bootstrap()).count();
        assert!(bootstrap_accounts <= 1, "{bootstrap_accounts} Bootstrap-Server accounts");
    }

    fn check_dm_datagram(&mut self, message: &Message) {
        let links = core::str::from_utf8(&message.payload).unwrap_or("");
        let security_link = links.contains("</0>") || links.contains("</0/");
        if message.code.is_request() {
            assert!(!security_link, "Security in a Register/Update payload: {links}");
            return;
        }
        if let Some(on_security) = self.dm_requests.get(&message.message_id) {
            let class = message.code.class();
            assert!(!(*on_security && class == 2), "a DM server read /0: {message:?}");
            assert!(!(class == 2 && security_link), "a DM Discover listed /0: {links}");
        }
    }

    fn request(&mut self, input: &mut Cursor<'_>) -> Message {
        let op = input.u8();
        let code = [Code::PUT, Code::PUT, Code::GET, Code::DELETE, Code::POST, Code::GET]
            [usize::from(op % 6)];
        let mut message = Message::new(MessageType::Confirmable, code);
        self.next_mid = self.next_mid.wrapping_add(1);
        message.message_id = self.next_mid;
        message.set_token(&self.next_mid.to_be_bytes());
        let depth = usize::from(op / 6 % 5);
        let segments: Vec<String> = (0..depth)
            .map(|_| match input.u8() {
                b if b < 240 => SEGMENTS[usize::from(b) % SEGMENTS.len()].to_string(),
                _ => input.u16().to_string(),
            })
            .collect();
        let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
        message.set_uri_path(&refs);
        if let Some(format) = FORMATS[usize::from(op / 30 % 6)] {
            message.set_content_format(format);
        }
        if op >= 200 {
            message.set_accept(if op & 1 == 0 { cf::LINK_FORMAT } else { cf::TLV });
        }
        message.payload = input.chunk().to_vec();
        message
    }

    fn deliver(&mut self, conn: ConnId, bytes: &[u8]) {
        let _ = self.client.handle_datagram(self.now, conn, bytes);
    }

    fn answer(&mut self, input: &mut Cursor<'_>) {
        let which = input.u8();
        let Some((&conn, request)) = self.last_request.iter().nth(usize::from(which % 2)) else {
            return;
        };
        let code = [
            Code::CHANGED,
            Code::CREATED,
            Code::CREATED,
            Code::BAD_REQUEST,
            Code::FORBIDDEN,
            Code::SERVICE_UNAVAILABLE,
            Code::NOT_FOUND,
            Code::DELETED,
        ][usize::from(which / 2 % 8)];
        let mut response = Message::response_to(request, code);
        if code == Code::CREATED && which & 0x10 == 0 {
            response.set_location_path(&["rd", "f"]);
        }
        if which >= 0xF0 {
            response = Message::new(MessageType::Reset, Code::EMPTY);
            response.message_id = request.message_id;
        }
        self.last_request.remove(&conn);
        self.deliver(conn, &response.encode());
    }

    fn advance(&mut self, ms: u64) {
        let until = self.now.saturating_add(ms);
        let mut rounds = 0;
        while let Some(deadline) = self.client.poll_timeout() {
            if deadline > until || rounds > 256 {
                break;
            }
            rounds += 1;
            self.now = self.now.max(deadline);
            self.client.handle_timeout(self.now);
            self.pump();
        }
        self.now = until;
        self.client.handle_timeout(self.now);
    }

    fn storage(&mut self, ok: bool) {
        let Some((slot, image)) = self.pending_write.take() else { return };
        if ok {
            self.durable = Some(decode_image(&image).expect("the client's image decodes").0);
            self.slots[usize::from(slot)] = Some(image);
            self.client.storage_write_done(self.now);
        } else {
            // A torn write: half of the image reached the slot.
            self.slots[usize::from(slot)] = Some(image[..image.len() / 2].to_vec());
            self.client.storage_write_failed(self.now);
        }
    }

    /// Power cut and restart from the two slots.
    fn restart(&mut self, flags: u8) {
        let slots = self.slots.clone();
        let durable = self.durable.clone();
        *self = Sim::new(flags);
        self.slots = slots;
        self.durable = durable;
        let views = [self.slots[0].as_deref(), self.slots[1].as_deref()];
        let report = self.client.restore(views).expect("restore while stopped");
        if let Some(durable) = &self.durable {
            assert!(report.used.is_some(), "the durable image was not found: {report:?}");
            assert_eq!(self.client.configuration(), durable, "restored != last durable");
        }
        let _ = self.client.start(self.now);
    }
}

fuzz_target!(|data: &[u8]| {
    let baseline = live_bytes();
    let mut input = Cursor::new(data);
    let flags = input.u8();
    let mut sim = Sim::new(flags);
    let _ = sim.client.start(sim.now);
    sim.pump();
    let mut steps = 0;
    while !input.is_empty() && steps < 96 {
        steps += 1;
        match input.u8() % 12 {
            0 | 1 => {
                if let Some(conn) = sim.conn_of(BS_URI) {
                    let request = sim.request(&mut input);
                    sim.deliver(conn, &request.encode());
                }
            }
            2 => {
                let conn = sim.conns.keys().next().copied();
                let raw = input.chunk();
                if let Some(conn) = conn {
                    sim.deliver(conn, raw);
                }
            }
            3 | 4 => {
                if let Some(conn) = sim.conn_of(DM_URI) {
                    let request = sim.request(&mut input);
                    let on_security = request.uri_path().is_ok_and(|p| p.first() == Some(&"0"));
                    sim.dm_requests.insert(request.message_id, on_security);
                    sim.deliver(conn, &request.encode());
                }
            }
            5 | 6 => sim.answer(&mut input),
            7 => {
                let ms = u64::from(input.u16()) * 20;
                sim.advance(ms);
            }
            8 => {
                let ok = input.u8() & 3 != 0;
                sim.storage(ok);
            }
            9 => {
                let pick = usize::from(input.u8());
                let conn = sim.conns.keys().nth(pick % sim.conns.len().max(1)).copied();
                if let Some(conn) = conn {
                    let _ = sim.client.handle_transport_error(sim.now, conn);
                }
            }
            10 => match input.u8() % 3 {
                0 => {
                    let _ = sim.client.trigger_bootstrap(sim.now);
                }
                1 => {
                    let _ = sim.client.stop(sim.now);
                }
                _ => {
                    let _ = sim.client.start(sim.now);
                }
            },
            _ => {
                let restart_flags = input.u8();
                sim.restart(restart_flags);
            }
        }
        sim.pump();
        let live = live_bytes().saturating_sub(baseline);
        assert!(live < HEAP_BOUND, "{live} bytes live after step {steps}");
    }
});
