//! `cargo bench --bench bootstrap` (or `bash tests/bench.sh`, which adds the size figures).
//!
//! Memory, wire and CPU figures of one complete client-initiated bootstrap + register (NoSec),
//! scripted like `tests/bootstrap_scenarios.rs` int-0: Bootstrap-Request → 2.04, Discover `/`,
//! Write `/0`, Write `/1`, Finish → Register → 2.01.
//!
//! Method: one *recording* run drives a `Client` interactively against scripted Bootstrap and
//! DM servers (server messages built with `lwm2m_bootstrap::coap::Message`, TLV by the small
//! encoder below) and checks every step. The engine is deterministic (fixed seed, virtual
//! clock), so that run yields a transcript of every datagram in both directions. Every
//! measured run then *replays* the servers' datagrams from the transcript into a fresh
//! `Client` and checks that the client sends byte-identical datagrams and the same events and
//! ends `Registered` — so the measured window contains only client work (the harness
//! allocates nothing there), and a broken engine fails loudly instead of printing figures.
//!
//! Output: `ROW|name|value|unit|method` lines on stdout. Any failed check panics (non-zero
//! exit). Without `--bench` (that is, under `cargo test --all-targets`) it does nothing: the
//! bench is not part of the test suite.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use lwm2m_bootstrap::client::{
    BootstrapAccountConfig, Client, Config, ConnId, Event, SecurityConfig, State,
};
use lwm2m_bootstrap::coap::{content_format as cf, Code, Message, MessageType};

// ----- counting allocator ----------------------------------------------------------------------

/// Wraps the system allocator and counts requested bytes (`Layout::size`, without the
/// allocator's own overhead), the high-water mark, allocations and reallocations.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static REALLOCS: AtomicUsize = AtomicUsize::new(0);

fn grow(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            ALLOCS.fetch_add(1, Relaxed);
            grow(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            ALLOCS.fetch_add(1, Relaxed);
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            REALLOCS.fetch_add(1, Relaxed);
            if new_size >= layout.size() {
                grow(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Clone, Copy, Debug)]
struct Heap {
    current: usize,
    allocs: usize,
    reallocs: usize,
}

fn heap() -> Heap {
    Heap {
        current: CURRENT.load(Relaxed),
        allocs: ALLOCS.load(Relaxed),
        reallocs: REALLOCS.load(Relaxed),
    }
}

fn reset_peak() {
    PEAK.store(CURRENT.load(Relaxed), Relaxed);
}

// ----- the scripted servers ----------------------------------------------------------------------

const ENDPOINT: &str = "urn:dev:test-1";
const BS_URI: &str = "coap://127.0.0.1:5783";
const DM_URI: &str = "coap://127.0.0.1:5683";
const START_MS: u64 = 1_000;
/// Virtual time between two server datagrams.
const STEP_MS: u64 = 10;

fn tlv(kind: u8, id: u16, value: &[u8]) -> Vec<u8> {
    let mut t = kind << 6;
    let mut out = Vec::new();
    if id > 255 {
        t |= 0x20;
    }
    let len = value.len();
    let len_bytes: &[u8] = &(len as u32).to_be_bytes();
    let len_bytes = if len < 8 {
        t |= len as u8;
        &len_bytes[4..]
    } else if len < 0x100 {
        t |= 0x08;
        &len_bytes[3..]
    } else if len < 0x1_0000 {
        t |= 0x10;
        &len_bytes[2..]
    } else {
        t |= 0x18;
        &len_bytes[1..]
    };
    out.push(t);
    if id > 255 {
        out.extend_from_slice(&id.to_be_bytes());
    } else {
        out.push(id as u8);
    }
    out.extend_from_slice(len_bytes);
    out.extend_from_slice(value);
    out
}

fn res(id: u16, value: &[u8]) -> Vec<u8> {
    tlv(3, id, value)
}

fn res_int(id: u16, v: i64) -> Vec<u8> {
    let b = v.to_be_bytes();
    let n = if i8::try_from(v).is_ok() {
        1
    } else if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    };
    res(id, &b[8 - n..])
}

/// ETS C.1 with NoSec: Security instance `iid` for `uri`, Short Server ID `ssid`.
fn dm_security(iid: u16, uri: &str, ssid: i64) -> Vec<u8> {
    let resources = [
        res(0, uri.as_bytes()),
        res(1, &[0]),
        res_int(2, 3),
        res(3, b""),
        res(4, b""),
        res(5, b""),
        res_int(10, ssid),
    ];
    tlv(0, iid, &resources.concat())
}

/// ETS C.1: Server instance `iid` (ssid, lifetime, notification storing false, binding U).
fn dm_server(iid: u16, ssid: i64, lifetime: i64) -> Vec<u8> {
    let resources = [res_int(0, ssid), res_int(1, lifetime), res(6, &[0]), res(7, b"U")];
    tlv(0, iid, &resources.concat())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    ClientToServer,
    ServerToClient,
}

/// One datagram of the transcript.
#[derive(Debug)]
struct Datagram {
    dir: Dir,
    conn: ConnId,
    what: &'static str,
    bytes: Vec<u8>,
}

/// Everything the recording run saw, in order.
struct Transcript {
    datagrams: Vec<Datagram>,
    events: Vec<Event>,
}

/// The interactive, fully checked run that produces the transcript.
struct Recorder {
    client: Client,
    now: u64,
    conns: Vec<(ConnId, String)>,
    sent: VecDeque<(ConnId, Message)>,
    out: Transcript,
    next_mid: u16,
}

fn provisioned_client() -> Client {
    let mut client = Client::new(Config::new(ENDPOINT));
    client
        .provision_bootstrap_account(&BootstrapAccountConfig {
            security: SecurityConfig::nosec(BS_URI),
            hold_off_s: 0,
            account_timeout_s: 0,
        })
        .expect("provisioning the Bootstrap-Server account");
    client
}

impl Recorder {
    fn pump(&mut self, client_what: &'static str) {
        loop {
            let mut progressed = false;
            while let Some(ev) = self.client.poll_event() {
                progressed = true;
                match &ev {
                    Event::Connect { conn, uri } => self.conns.push((*conn, uri.clone())),
                    Event::Disconnect { conn } => self.conns.retain(|(c, _)| c != conn),
                    _ => {}
                }
                self.out.events.push(ev);
            }
            while let Some(t) = self.client.poll_transmit() {
                progressed = true;
                let msg = Message::decode(&t.data).expect("the client sent a malformed datagram");
                self.sent.push_back((t.conn, msg));
                self.out.datagrams.push(Datagram {
                    dir: Dir::ClientToServer,
                    conn: t.conn,
                    what: client_what,
                    bytes: t.data,
                });
            }
            if !progressed {
                return;
            }
        }
    }

    fn uri(&self, conn: ConnId) -> Option<&str> {
        self.conns.iter().find(|(c, _)| *c == conn).map(|(_, u)| u.as_str())
    }

    fn next_sent(&mut self) -> (ConnId, Message) {
        self.sent.pop_front().expect("the client sent nothing")
    }

    /// Delivers a server datagram; `reply_what` labels what the client sends in reaction.
    fn deliver(&mut self, conn: ConnId, msg: &Message, what: &'static str, reply: &'static str) {
        self.now += STEP_MS;
        let bytes = msg.encode();
        self.client.handle_datagram(self.now, conn, &bytes).expect("handle_datagram");
        self.out.datagrams.push(Datagram { dir: Dir::ServerToClient, conn, what, bytes });
        self.pump(reply);
    }

    /// A CON request from the Bootstrap-Server; returns the client's piggy-backed response.
    fn request(&mut self, conn: ConnId, mut req: Message, what: &'static str) -> Message {
        self.next_mid = self.next_mid.wrapping_add(1);
        req.message_id = self.next_mid;
        req.set_token(&self.next_mid.to_be_bytes());
        let reply = match what {
            "Discover /" => "2.05 to Discover",
            "Write /0" => "2.04 to Write /0",
            "Write /1" => "2.04 to Write /1",
            "Finish" => "2.04 to Finish",
            _ => "response",
        };
        self.deliver(conn, &req, what, reply);
        let (c, resp) = self.next_sent();
        assert_eq!(c, conn, "{what}: response on another connection");
        assert_eq!(resp.message_type, MessageType::Acknowledgement, "{what}: not piggy-backed");
        assert_eq!((resp.message_id, &resp.token), (req.message_id, &req.token), "{what}");
        resp
    }
}

fn server_request(code: Code, path: &str) -> Message {
    let mut msg = Message::new(MessageType::Confirmable, code);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    msg.set_uri_path(&segments);
    msg
}

fn write_request(path: &str, tlv: Vec<u8>) -> Message {
    let mut req = server_request(Code::PUT, path);
    req.set_content_format(cf::TLV);
    req.payload = tlv;
    req
}

/// The checked interactive run: Bootstrap-Request → 2.04, Discover /, Write /0, Write /1,
/// Finish, Register → 2.01.
fn record() -> Transcript {
    let mut r = Recorder {
        client: provisioned_client(),
        now: START_MS,
        conns: Vec::new(),
        sent: VecDeque::new(),
        out: Transcript { datagrams: Vec::new(), events: Vec::new() },
        next_mid: 0x4000,
    };
    r.client.start(r.now).expect("start");
    r.pump("Bootstrap-Request");
    assert_eq!(r.client.state(), State::Bootstrapping);
    let (bs, req) = r.next_sent();
    assert_eq!(r.uri(bs), Some(BS_URI));
    assert_eq!((req.message_type, req.code), (MessageType::Confirmable, Code::POST));
    assert_eq!(req.uri_path().unwrap(), ["bs"]);
    assert_eq!(req.uri_query().unwrap(), [&format!("ep={ENDPOINT}")[..], "pct=11542"]);
    r.deliver(bs, &Message::response_to(&req, Code::CHANGED), "2.04 to Bootstrap-Request", "-");
    assert!(r.sent.is_empty(), "nothing to send after the 2.04");

    let mut discover = server_request(Code::GET, "/");
    discover.set_accept(cf::LINK_FORMAT);
    let resp = r.request(bs, discover, "Discover /");
    assert_eq!((resp.code, resp.content_format()), (Code::CONTENT, Some(cf::LINK_FORMAT)));
    let links = String::from_utf8(resp.payload).expect("link-format is UTF-8");
    assert!(links.starts_with("</>;lwm2m=1.1,"), "{links}");
    assert!(links.contains("</0/0>") && links.contains("</3/0>"), "{links}");

    let resp = r.request(bs, write_request("/0", dm_security(1, DM_URI, 1)), "Write /0");
    assert_eq!(resp.code, Code::CHANGED, "Write /0");
    let resp = r.request(bs, write_request("/1", dm_server(0, 1, 86400)), "Write /1");
    assert_eq!(resp.code, Code::CHANGED, "Write /1");

    // Finish: the client answers 2.04, commits, closes the BS connection and registers.
    r.next_mid = r.next_mid.wrapping_add(1);
    let mut finish = server_request(Code::POST, "/bs");
    finish.message_id = r.next_mid;
    finish.set_token(&r.next_mid.to_be_bytes());
    r.now += STEP_MS;
    let bytes = finish.encode();
    r.client.handle_datagram(r.now, bs, &bytes).expect("handle_datagram");
    r.out.datagrams.push(Datagram { dir: Dir::ServerToClient, conn: bs, what: "Finish", bytes });
    // The Finish response and the Register come out of the same pump; label them apart.
    r.pump("2.04 to Finish");
    let (c, resp) = r.next_sent();
    assert_eq!((c, resp.code, resp.message_id), (bs, Code::CHANGED, finish.message_id));
    let (dm, reg) = r.next_sent();
    let last = r.out.datagrams.last_mut().expect("transcript");
    assert_eq!(last.dir, Dir::ClientToServer);
    last.what = "Register";
    assert!(r.uri(bs).is_none(), "the bootstrap connection is closed after Finish");
    assert_eq!(r.uri(dm), Some(DM_URI));
    assert_eq!((reg.message_type, reg.code), (MessageType::Confirmable, Code::POST));
    assert_eq!(reg.uri_path().unwrap(), ["rd"]);
    assert_eq!(
        reg.uri_query().unwrap(),
        [&format!("ep={ENDPOINT}")[..], "lt=86400", "lwm2m=1.1", "b=U"]
    );
    assert!(r.sent.is_empty(), "only the Finish response and the Register");

    let mut created = Message::response_to(&reg, Code::CREATED);
    created.set_location_path(&["rd", "5a3f"]);
    r.deliver(dm, &created, "2.01 to Register", "-");
    assert!(r.sent.is_empty(), "nothing to send after the 2.01");
    assert_eq!(r.client.state(), State::Registered);
    let events = &r.out.events;
    for expected in [
        Event::BootstrapStarted,
        Event::BootstrapFinished { accounts: 1 },
        Event::ConfigurationChanged,
        Event::Registered { ssid: 1, location: "/rd/5a3f".into() },
    ] {
        assert!(events.contains(&expected), "missing {expected:?} in {events:?}");
    }
    assert!(r.client.poll_timeout().is_some_and(|t| t > r.now), "an Update deadline is armed");
    r.out
}

// ----- the measured replay ---------------------------------------------------------------------

/// Drains events and datagrams, checking each against the transcript; allocation-free
/// apart from what the client does (outputs are dropped at once, as the C ABI does after
/// calling `send`/`event`).
fn drain(client: &mut Client, t: &Transcript, dgram: &mut usize, event: &mut usize) {
    loop {
        let mut progressed = false;
        while let Some(ev) = client.poll_event() {
            progressed = true;
            assert!(t.events.get(*event) == Some(&ev), "replay: event {} differs", *event);
            *event += 1;
        }
        while let Some(tx) = client.poll_transmit() {
            progressed = true;
            let d = t.datagrams.get(*dgram);
            let same = d.is_some_and(|d| {
                d.dir == Dir::ClientToServer && d.conn == tx.conn && d.bytes == tx.data
            });
            assert!(same, "replay: datagram {} differs from the recording", *dgram);
            *dgram += 1;
        }
        if !progressed {
            return;
        }
    }
}

/// Runs from `start()` to `Registered` on a provisioned client, replaying the transcript.
#[inline(never)]
fn replay_into(client: &mut Client, t: &Transcript) {
    let (mut dgram, mut event) = (0, 0);
    let mut now = START_MS;
    client.start(now).expect("start");
    drain(client, t, &mut dgram, &mut event);
    while let Some(d) = t.datagrams.get(dgram) {
        assert_eq!(d.dir, Dir::ServerToClient, "replay: the client did not send datagram {dgram}");
        now += STEP_MS;
        client.handle_datagram(now, d.conn, &d.bytes).expect("handle_datagram");
        dgram += 1;
        drain(client, t, &mut dgram, &mut event);
    }
    assert_eq!(event, t.events.len(), "replay: missing events");
    assert_eq!(client.state(), State::Registered, "replay: not registered");
}

/// One complete lifecycle, as timed: new, provision, bootstrap + register, drop.
#[inline(never)]
fn lwbs_bench_measured_run(t: &Transcript) {
    let mut client = provisioned_client();
    replay_into(&mut client, t);
    drop(black_box(client));
}

// ----- output ----------------------------------------------------------------------------------

fn row(name: &str, value: impl std::fmt::Display, unit: &str, method: &str) {
    println!("ROW|{name}|{value}|{unit}|{method}");
}

fn micros(d: Duration, runs: u32) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e6 / f64::from(runs))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        eprintln!("bootstrap bench: skipped (run `cargo bench --bench bootstrap` or `bash tests/bench.sh`)");
        return;
    }
    let transcript = record();

    // `--callgrind N`: only N measured runs, for `valgrind --tool=callgrind
    // --toggle-collect='*lwbs_bench_measured_run*'` (tests/bench.sh divides by N).
    if let Some(i) = args.iter().position(|a| a == "--callgrind") {
        let n: u32 = args.get(i + 1).and_then(|s| s.parse().ok()).expect("--callgrind N");
        for _ in 0..n {
            lwbs_bench_measured_run(&transcript);
        }
        return;
    }

    // 3. The client struct and its heap right after construction / provisioning.
    row(
        "size_of::<Client>()",
        std::mem::size_of::<Client>(),
        "bytes",
        "`std::mem::size_of::<lwm2m_bootstrap::client::Client>()` (inline part only, no heap)",
    );
    let base = heap();
    let client = Client::new(Config::new(ENDPOINT));
    let after_new = heap();
    drop(client);
    assert_eq!(heap().current, base.current, "Client::new leaked");
    row(
        "client heap after `Client::new`",
        format!("{} ({} allocs)", after_new.current - base.current, after_new.allocs - base.allocs),
        "bytes",
        "counting `#[global_allocator]` (requested sizes, no malloc overhead): `Client::new(Config::new(\"urn:dev:test-1\"))`, endpoint + default object list /3/0",
    );

    // 4. Heap over one complete client-initiated bootstrap + register.
    let base = heap();
    let mut client = provisioned_client();
    let provisioned = heap();
    reset_peak();
    let before_start = heap();
    replay_into(&mut client, &transcript);
    let peak = PEAK.load(Relaxed);
    let registered = heap();
    drop(client);
    assert_eq!(heap().current, base.current, "the client leaked heap after drop");
    row(
        "client heap after new + provision NoSec BS account",
        format!(
            "{} ({} allocs)",
            provisioned.current - base.current,
            provisioned.allocs - base.allocs
        ),
        "bytes",
        "counting allocator: what `lwbs_client_new` + `lwbs_client_provision_bootstrap_server` hold, minus the C wrapper (Rust API)",
    );
    row(
        "heap high-water mark, bootstrap + register",
        peak - base.current,
        "bytes",
        "counting allocator, peak reset just before `start()`; client-owned heap (incl. the provisioned state) at its highest until Registered; outputs freed as soon as polled",
    );
    row(
        "heap allocations, bootstrap + register",
        format!(
            "{} (+{} reallocs)",
            registered.allocs - before_start.allocs,
            registered.reallocs - before_start.reallocs
        ),
        "count",
        "counting allocator: alloc/alloc_zeroed calls from `start()` until Registered (realloc calls apart); the replay harness allocates nothing",
    );
    row(
        "heap held by the registered idle client",
        registered.current - base.current,
        "bytes",
        "counting allocator: live client heap after Registered, every event and datagram drained; back to 0 after drop (checked)",
    );

    // 5. The wire.
    let flow: Vec<String> = transcript
        .datagrams
        .iter()
        .map(|d| {
            let arrow = if d.dir == Dir::ClientToServer { "→" } else { "←" };
            format!("{arrow}{} {}", d.what, d.bytes.len())
        })
        .collect();
    let flow = flow.join(", ");
    for (dir, name) in
        [(Dir::ClientToServer, "client → servers"), (Dir::ServerToClient, "servers → client")]
    {
        let (n, bytes) = transcript
            .datagrams
            .iter()
            .filter(|d| d.dir == dir)
            .fold((0, 0), |(n, b), d| (n + 1, b + d.bytes.len()));
        let method = if dir == Dir::ClientToServer {
            format!("CoAP datagram bytes (UDP payload, no UDP/IP headers) of the recorded NoSec exchange: {flow}")
        } else {
            "same exchange; server messages built with `coap::Message`, TLV by a hand-written encoder (ETS C.1 /0/1 + /1/0)".to_string()
        };
        row(
            &format!("wire {name}"),
            format!("{n} datagrams, {bytes} bytes"),
            "datagrams, bytes",
            &method,
        );
    }

    // 6. CPU time.
    const BATCHES: u32 = 5;
    const RUNS: u32 = 2_000;
    for _ in 0..200 {
        lwbs_bench_measured_run(&transcript);
    }
    let mut total = Duration::ZERO;
    let mut best = Duration::MAX;
    for _ in 0..BATCHES {
        let t0 = Instant::now();
        for _ in 0..RUNS {
            lwbs_bench_measured_run(black_box(&transcript));
        }
        let dt = t0.elapsed();
        total += dt;
        best = best.min(dt);
    }
    row(
        "time per bootstrap + register (mean)",
        micros(total, BATCHES * RUNS),
        "µs",
        &format!("`Instant`, release profile, one thread: {} runs (after 200 warm-up) of fresh `Client::new` + provision + replayed exchange (incl. the byte-for-byte checks) + drop, total / runs", BATCHES * RUNS),
    );
    row(
        "time per bootstrap + register (min of 5 batches)",
        micros(best, RUNS),
        "µs",
        &format!("fastest of {BATCHES} batches of {RUNS} runs, batch time / {RUNS}"),
    );
}
