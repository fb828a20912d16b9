//! The C ABI called from Rust exactly as C would call it: NULL and size checks, states, result
//! strings, re-entrancy, storage, the DM hook, and a whole client-initiated bootstrap and
//! registration against scripted Bootstrap and DM servers exchanging encoded CoAP datagrams.
#![allow(clippy::missing_safety_doc)]

mod common;
mod support;

use std::collections::VecDeque;
use std::ffi::{c_char, c_void, CStr, CString};
use std::mem::size_of;
use std::ptr::{null, null_mut};

use common::{dm_security, dm_server, BS_URI, DM_URI};
use lwm2m_bootstrap::coap::{Code, Message, MessageType};
use lwm2m_bootstrap::ffi::lwbs_result::*;
use lwm2m_bootstrap::ffi::*;
use lwm2m_bootstrap::persist::image::decode_image;

// ----- the firmware side: a recorder behind `userdata` ----------------------------------------

#[derive(Clone, Debug, PartialEq)]
struct RecEvent {
    kind: u32,
    ssid: u16,
    accounts: u32,
    reason: u32,
    location: Option<String>,
    detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct RecDmRequest {
    ssid: u16,
    method: u8,
    path: [u16; 4],
    content_format: u16,
    payload: Vec<u8>,
}

#[derive(Default)]
struct Recorder {
    /// Every callback in order: "open 1 coap://...", "send 1", "close 1", "save 1" (slot),
    /// "event 9".
    trace: Vec<String>,
    sent: VecDeque<(u32, Vec<u8>)>,
    events: Vec<RecEvent>,
    /// Every `save`: slot and image.
    saved: Vec<(u32, Vec<u8>)>,
    logs: Vec<(u32, String)>,
    dm_requests: Vec<RecDmRequest>,
    /// What `load` returns for slot 0 and 1; `load_rc` < 0 makes it fail; `load_asks` makes it
    /// ask for a bigger buffer first; `load_calls` records (slot, capacity).
    stored: [Option<Vec<u8>>; 2],
    load_rc: i32,
    load_asks: Option<usize>,
    load_calls: Vec<(u32, usize)>,
    save_rc: i32,
    entropy_rc: i32,
    /// The DM answer: code, content format, payload.
    dm_answer: (u8, u16, Vec<u8>),
    /// When set, the event callback calls back into this client and records the results.
    reenter: *mut lwbs_client,
    reentry_results: Vec<lwbs_result>,
    bs_objects: Vec<String>,
    bs_veto: i32,
    /// The smartcard behind `card_present` / `card_transmit` (None: no card).
    card: Option<support::uicc::SimCard>,
    /// `card_transmit` answers with this (negative) value instead of the card.
    card_rc: i32,
    /// What `open` returns (0 = opened).
    open_rc: i32,
}

unsafe fn rec<'a>(userdata: *mut c_void) -> &'a mut Recorder {
    unsafe { &mut *userdata.cast::<Recorder>() }
}

unsafe extern "C" fn on_open(userdata: *mut c_void, conn: lwbs_conn, uri: *const c_char) -> i32 {
    let uri = unsafe { CStr::from_ptr(uri) }.to_str().unwrap().to_string();
    let r = unsafe { rec(userdata) };
    r.trace.push(format!("open {conn} {uri}"));
    r.open_rc
}

unsafe extern "C" fn on_card_present(userdata: *mut c_void) -> i32 {
    i32::from(unsafe { rec(userdata) }.card.is_some())
}

unsafe extern "C" fn on_card_transmit(
    userdata: *mut c_void,
    apdu: *const u8,
    len: usize,
    response: *mut u8,
    capacity: usize,
    response_len: *mut usize,
) -> i32 {
    let r = unsafe { rec(userdata) };
    assert!(capacity >= 258);
    let apdu = unsafe { std::slice::from_raw_parts(apdu, len) };
    r.trace.push("apdu".into());
    let (Some(card), 0) = (r.card.as_mut(), r.card_rc) else { return r.card_rc.min(-1) };
    let answer = card.transmit(apdu);
    unsafe {
        std::ptr::copy_nonoverlapping(answer.as_ptr(), response, answer.len());
        *response_len = answer.len();
    }
    0
}

unsafe extern "C" fn on_close(userdata: *mut c_void, conn: lwbs_conn) {
    unsafe { rec(userdata) }.trace.push(format!("close {conn}"));
}

unsafe extern "C" fn on_send(
    userdata: *mut c_void,
    conn: lwbs_conn,
    data: *const u8,
    len: usize,
) -> i32 {
    let r = unsafe { rec(userdata) };
    r.trace.push(format!("send {conn}"));
    r.sent.push_back((conn, unsafe { std::slice::from_raw_parts(data, len) }.to_vec()));
    0
}

unsafe extern "C" fn on_load(
    userdata: *mut c_void,
    slot: u32,
    buf: *mut u8,
    capacity: usize,
    out_len: *mut usize,
) -> i32 {
    let r = unsafe { rec(userdata) };
    r.load_calls.push((slot, capacity));
    if r.load_rc != 0 {
        return r.load_rc;
    }
    let Some(image) = &r.stored[slot as usize] else {
        unsafe { *out_len = 0 };
        return 0;
    };
    let needed = r.load_asks.unwrap_or(0).max(image.len());
    if capacity < needed {
        unsafe { *out_len = needed };
        return 1;
    }
    unsafe { std::ptr::copy_nonoverlapping(image.as_ptr(), buf, image.len()) };
    unsafe { *out_len = image.len() };
    0
}

unsafe extern "C" fn on_save(userdata: *mut c_void, slot: u32, data: *const u8, len: usize) -> i32 {
    let r = unsafe { rec(userdata) };
    r.trace.push(format!("save {slot}"));
    r.saved.push((slot, unsafe { std::slice::from_raw_parts(data, len) }.to_vec()));
    r.save_rc
}

unsafe extern "C" fn on_log(userdata: *mut c_void, level: u32, message: *const c_char) {
    let text = unsafe { CStr::from_ptr(message) }.to_str().unwrap().to_string();
    unsafe { rec(userdata) }.logs.push((level, text));
}

unsafe fn opt_string(ptr: *const c_char) -> Option<String> {
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_string())
}

unsafe extern "C" fn on_event(userdata: *mut c_void, event: *const lwbs_event) {
    let r = unsafe { rec(userdata) };
    let e = unsafe { &*event };
    r.trace.push(format!("event {}", e.kind));
    r.events.push(RecEvent {
        kind: e.kind,
        ssid: e.ssid,
        accounts: e.accounts,
        reason: e.reason,
        location: unsafe { opt_string(e.location) },
        detail: unsafe { opt_string(e.detail) },
    });
    if !r.reenter.is_null() {
        let client = r.reenter;
        let mut state = 77u32;
        let mut deadline = 77u64;
        let results = unsafe {
            [
                lwbs_client_start(client, 0),
                lwbs_client_stop(client, 0),
                lwbs_client_tick(client, 0, &mut deadline),
                lwbs_client_state(client, &mut state),
                lwbs_client_recv(client, 1, null(), 0, 0),
            ]
        };
        r.reentry_results.extend(results);
        assert_eq!((state, deadline), (77, 77), "no output on LWBS_ERR_BUSY");
        // A free from inside a callback is ignored: the client stays usable.
        unsafe { lwbs_client_free(client) };
    }
}

unsafe extern "C" fn on_entropy(userdata: *mut c_void, buf: *mut u8, len: usize) -> i32 {
    unsafe { std::ptr::write_bytes(buf, 0xA5, len) };
    unsafe { rec(userdata) }.entropy_rc
}

unsafe extern "C" fn on_dm_request(
    userdata: *mut c_void,
    request: *const lwbs_dm_request,
    response: *mut lwbs_dm_response,
) -> i32 {
    let r = unsafe { rec(userdata) };
    let q = unsafe { &*request };
    let payload = if q.payload_len == 0 {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(q.payload, q.payload_len) }.to_vec()
    };
    r.dm_requests.push(RecDmRequest {
        ssid: q.ssid,
        method: q.method,
        path: [q.path.object, q.path.instance, q.path.resource, q.path.resource_instance],
        content_format: q.content_format,
        payload,
    });
    let resp = unsafe { &mut *response };
    let (code, format, body) = &r.dm_answer;
    assert!(resp.payload_capacity >= body.len());
    unsafe { std::ptr::copy_nonoverlapping(body.as_ptr(), resp.payload, body.len()) };
    resp.code = *code;
    resp.content_format = *format;
    resp.payload_len = body.len();
    0
}

unsafe extern "C" fn on_bs_begin(userdata: *mut c_void) {
    unsafe { rec(userdata) }.bs_objects.push("begin".into());
}

unsafe fn path_text(path: *const lwbs_path) -> String {
    let p = unsafe { &*path };
    let text: String = [p.object, p.instance, p.resource, p.resource_instance]
        .iter()
        .take_while(|&&i| i != u16::MAX)
        .map(|i| format!("/{i}"))
        .collect();
    if text.is_empty() {
        "/".into()
    } else {
        text
    }
}

unsafe extern "C" fn on_bs_write(
    userdata: *mut c_void,
    path: *const lwbs_path,
    content_format: u16,
    _data: *const u8,
    len: usize,
) -> u8 {
    let text = format!("write {} {content_format} {len}", unsafe { path_text(path) });
    unsafe { rec(userdata) }.bs_objects.push(text);
    0x44
}

unsafe extern "C" fn on_bs_delete(userdata: *mut c_void, path: *const lwbs_path) -> u8 {
    let text = format!("delete {}", unsafe { path_text(path) });
    unsafe { rec(userdata) }.bs_objects.push(text);
    0x42
}

unsafe extern "C" fn on_bs_validate(userdata: *mut c_void) -> i32 {
    let r = unsafe { rec(userdata) };
    r.bs_objects.push("validate".into());
    r.bs_veto
}

unsafe extern "C" fn on_bs_end(userdata: *mut c_void, commit: bool) {
    unsafe { rec(userdata) }.bs_objects.push(format!("end {commit}"));
}

fn platform(recorder: *mut Recorder) -> lwbs_platform {
    lwbs_platform {
        struct_size: size_of::<lwbs_platform>() as u32,
        userdata: recorder.cast(),
        open: Some(on_open),
        close: Some(on_close),
        send: Some(on_send),
        load: Some(on_load),
        save: Some(on_save),
        log: Some(on_log),
        event: Some(on_event),
        entropy: Some(on_entropy),
        dm_request: Some(on_dm_request),
        bootstrap_begin: None,
        bootstrap_write: None,
        bootstrap_delete: None,
        bootstrap_validate: None,
        bootstrap_end: None,
        card_present: None,
        card_transmit: None,
        secure_modes: 0,
        open_secure: None,
        load_sessions: None,
        save_sessions: None,
    }
}

fn config(endpoint: &CStr) -> lwbs_config {
    let mut c = std::mem::MaybeUninit::<lwbs_config>::uninit();
    unsafe { lwbs_config_init(c.as_mut_ptr()) };
    let mut c = unsafe { c.assume_init() };
    c.endpoint = endpoint.as_ptr();
    c
}

fn account(uri: &CStr) -> lwbs_account {
    let mut a = std::mem::MaybeUninit::<lwbs_account>::uninit();
    unsafe { lwbs_account_init(a.as_mut_ptr()) };
    let mut a = unsafe { a.assume_init() };
    a.uri = uri.as_ptr();
    a
}

/// `a` with an identity, a server key and a secret key (static test bytes).
fn with_keys(a: lwbs_account) -> lwbs_account {
    static IDENTITY: &[u8] = b"lwbs-identity";
    static KEY: &[u8] = b"0123456789abcdef";
    lwbs_account {
        identity: IDENTITY.as_ptr(),
        identity_len: IDENTITY.len(),
        server_key: KEY.as_ptr(),
        server_key_len: KEY.len(),
        secret_key: KEY.as_ptr(),
        secret_key_len: KEY.len(),
        ..a
    }
}

fn cstring(s: &str) -> CString {
    CString::new(s).unwrap()
}

// ----- a client under test, its recorder, its clock, and a scripted server side --------------

struct Sim {
    client: *mut lwbs_client,
    recorder: *mut Recorder,
    now: u64,
    mid: u16,
}

impl Sim {
    /// A client with every callback set, `recorder` prepared by the test.
    fn with(recorder: Recorder, adjust: impl FnOnce(&mut lwbs_platform)) -> Sim {
        let recorder = Box::into_raw(Box::new(recorder));
        let mut p = platform(recorder);
        adjust(&mut p);
        let endpoint = cstring("urn:dev:ffi");
        let c = config(&endpoint);
        let mut client = null_mut();
        assert_eq!(unsafe { lwbs_client_new(&c, &p, &mut client) }, LWBS_OK);
        assert!(!client.is_null());
        Sim { client, recorder, now: 1_000, mid: 0x7000 }
    }

    fn new() -> Sim {
        Sim::with(Recorder::default(), |_| {})
    }

    /// The recorder; only between calls into the library (the callbacks reach it through
    /// `userdata`, so it lives behind a raw pointer, not inside `Sim`).
    #[allow(clippy::mut_from_ref)]
    fn rec(&self) -> &mut Recorder {
        unsafe { &mut *self.recorder }
    }

    fn provision_bootstrap(&self) {
        let uri = cstring(BS_URI);
        let a = account(&uri);
        assert_eq!(unsafe { lwbs_client_provision_bootstrap_server(self.client, &a) }, LWBS_OK);
    }

    fn provision_server(&self, ssid: u16) -> lwbs_result {
        let uri = cstring(DM_URI);
        let mut a = account(&uri);
        a.ssid = ssid;
        unsafe { lwbs_client_provision_server(self.client, &a) }
    }

    fn state(&self) -> u32 {
        let mut s = u32::MAX;
        assert_eq!(unsafe { lwbs_client_state(self.client, &mut s) }, LWBS_OK);
        s
    }

    fn server_count(&self) -> usize {
        let mut n = usize::MAX;
        assert_eq!(unsafe { lwbs_client_server_count(self.client, &mut n) }, LWBS_OK);
        n
    }

    fn start(&mut self) {
        assert_eq!(unsafe { lwbs_client_start(self.client, self.now) }, LWBS_OK);
    }

    fn next_sent(&mut self) -> (u32, Message) {
        let (conn, bytes) = self.rec().sent.pop_front().expect("the client sent nothing");
        (conn, Message::decode(&bytes).expect("the client sent a malformed datagram"))
    }

    fn deliver(&mut self, conn: u32, msg: &Message) -> lwbs_result {
        let bytes = msg.encode();
        unsafe { lwbs_client_recv(self.client, conn, bytes.as_ptr(), bytes.len(), self.now) }
    }

    /// Answers the client's request `req` on `conn` with a piggybacked `code`.
    fn answer(&mut self, conn: u32, req: &Message, code: Code, location: &[&str]) {
        let mut ack = Message::response_to(req, code);
        ack.message_type = MessageType::Acknowledgement;
        if !location.is_empty() {
            ack.set_location_path(location);
        }
        assert_eq!(self.deliver(conn, &ack), LWBS_OK);
    }

    /// A server's CON request; returns the client's piggybacked response.
    fn request(&mut self, conn: u32, code: Code, path: &str, tlv: Option<Vec<u8>>) -> Message {
        let mut req = Message::new(MessageType::Confirmable, code);
        self.mid = self.mid.wrapping_add(1);
        req.message_id = self.mid;
        req.set_token(&self.mid.to_be_bytes());
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        req.set_uri_path(&segments);
        if let Some(body) = tlv {
            req.set_content_format(lwm2m_bootstrap::coap::content_format::TLV);
            req.payload = body;
        }
        assert_eq!(self.deliver(conn, &req), LWBS_OK);
        let (c, resp) = self.next_sent();
        assert_eq!(
            (c, resp.message_type, resp.message_id),
            (conn, MessageType::Acknowledgement, req.message_id)
        );
        resp
    }

    fn events_of(&self, kind: lwbs_event_kind) -> Vec<RecEvent> {
        self.rec().events.iter().filter(|e| e.kind == kind as u32).cloned().collect()
    }

    /// The bootstrap conversation of ETS LwM2M-1.1-int-0 up to (and including) Finish.
    fn bootstrap(&mut self) -> u32 {
        let (bs, req) = self.next_sent();
        assert_eq!(req.code, Code::POST);
        assert_eq!(req.uri_path().unwrap(), ["bs"]);
        assert_eq!(req.uri_query().unwrap(), ["ep=urn:dev:ffi", "pct=11542"]);
        self.answer(bs, &req, Code::CHANGED, &[]);
        let resp = self.request(bs, Code::PUT, "/0", Some(dm_security(1, DM_URI, 1)));
        assert_eq!(resp.code, Code::CHANGED);
        let resp = self.request(bs, Code::PUT, "/1", Some(dm_server(0, 1, 86400)));
        assert_eq!(resp.code, Code::CHANGED);
        let resp = self.request(bs, Code::POST, "/bs", None);
        assert_eq!(resp.code, Code::CHANGED);
        bs
    }

    /// Answers the pending Register with 2.01 and /rd/1; returns the DM connection.
    fn register(&mut self) -> u32 {
        let (dm, reg) = self.next_sent();
        assert_eq!(reg.code, Code::POST);
        assert_eq!(reg.uri_path().unwrap(), ["rd"]);
        self.answer(dm, &reg, Code::CREATED, &["rd", "1"]);
        dm
    }

    fn location(&self, ssid: u16) -> Result<String, lwbs_result> {
        let mut buf = [0 as c_char; 64];
        let mut len = 0usize;
        let r = unsafe {
            lwbs_client_registration_location(self.client, ssid, buf.as_mut_ptr(), 64, &mut len)
        };
        if r != LWBS_OK {
            return Err(r);
        }
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string();
        assert_eq!(text.len(), len);
        Ok(text)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        unsafe { lwbs_client_free(self.client) };
        drop(unsafe { Box::from_raw(self.recorder) });
    }
}

// ----- the whole flow ----------------------------------------------------------------------------

/// The index of the last datagram sent on connection 1 (the bootstrap connection).
fn last_bs_send_of(trace: &[String]) -> usize {
    trace.iter().rposition(|t| t == "send 1").unwrap()
}

#[test]
fn client_initiated_bootstrap_then_register_through_the_c_api() {
    let mut sim = Sim::new();
    sim.provision_bootstrap();
    let mut has_bs = false;
    assert_eq!(unsafe { lwbs_client_has_bootstrap_server(sim.client, &mut has_bs) }, LWBS_OK);
    assert!(has_bs);
    assert_eq!(sim.server_count(), 0);
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_IDLE as u32);

    sim.start();
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_BOOTSTRAPPING as u32);
    assert_eq!(sim.rec().trace[..2], ["event 1".to_string(), format!("open 1 {BS_URI}")]);
    let bs = sim.bootstrap();
    assert_eq!(bs, 1);

    // Finish: save, then the events, then the BS connection closes and Register goes out.
    let finished = sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_FINISHED);
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].accounts, 1);
    let trace = sim.rec().trace.clone();
    let pos =
        |s: &str| trace.iter().position(|t| t == s).unwrap_or_else(|| panic!("{s}: {trace:?}"));
    assert!(pos("save 1") < pos("event 9"), "save() precedes CONFIGURATION_CHANGED: {trace:?}");
    assert!(pos("save 1") < last_bs_send_of(&trace), "the image is saved before Finish is acked");
    let last_bs_send = last_bs_send_of(&trace);
    assert!(last_bs_send < pos("close 1"), "the Finish response precedes the close");
    assert!(pos("event 2") < pos(&format!("open 2 {DM_URI}")), "FINISHED, then Register");
    assert_eq!(sim.rec().saved.len(), 1);
    let (slot, image) = &sim.rec().saved[0];
    let (model, generation) = decode_image(image).expect("save() got a valid image");
    assert_eq!((*slot, generation), (1, 1), "generation 1 goes to slot 1");
    assert_eq!(model.server_account_pairs().count(), 1);
    assert!(model.bootstrap_account().is_some());

    let dm = sim.register();
    assert_eq!(dm, 2);
    let kinds: Vec<u32> = sim.rec().events.iter().map(|e| e.kind).collect();
    use lwbs_event_kind::*;
    let expected = [
        LWBS_EVENT_BOOTSTRAP_STARTED,
        LWBS_EVENT_BOOTSTRAP_FINISHED,
        LWBS_EVENT_CONFIGURATION_CHANGED,
        LWBS_EVENT_REGISTERED,
    ];
    assert_eq!(kinds, expected.map(|k| k as u32));
    let registered = sim.events_of(LWBS_EVENT_REGISTERED);
    assert_eq!(registered.len(), 1);
    assert_eq!((registered[0].ssid, registered[0].location.as_deref()), (1, Some("/rd/1")));
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_REGISTERED as u32);
    assert_eq!(sim.location(1), Ok("/rd/1".into()));
    assert_eq!(sim.location(2), Err(LWBS_ERR_NOT_FOUND));

    // Getters over the committed configuration.
    assert_eq!(sim.server_count(), 1);
    let mut ssid = 0u16;
    assert_eq!(unsafe { lwbs_client_server_ssid(sim.client, 0, &mut ssid) }, LWBS_OK);
    assert_eq!(ssid, 1);
    assert_eq!(unsafe { lwbs_client_server_ssid(sim.client, 1, &mut ssid) }, LWBS_ERR_NOT_FOUND);
    let mut lifetime = 0u32;
    assert_eq!(unsafe { lwbs_client_server_lifetime(sim.client, 1, &mut lifetime) }, LWBS_OK);
    assert_eq!(lifetime, 86400);
    assert_eq!(
        unsafe { lwbs_client_server_lifetime(sim.client, 9, &mut lifetime) },
        LWBS_ERR_NOT_FOUND
    );

    // The next deadline is the Update, lifetime minus MAX_TRANSMIT_WAIT (93 s) from Register.
    let mut deadline = 0u64;
    assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
    assert_eq!(deadline, sim.now + 86_400_000 - 93_000);
    sim.now = deadline;
    assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
    let (c, update) = sim.next_sent();
    assert_eq!((c, update.code, update.uri_path().unwrap()), (dm, Code::POST, vec!["rd", "1"]));
    sim.answer(dm, &update, Code::CHANGED, &[]);
    assert_eq!(sim.events_of(lwbs_event_kind::LWBS_EVENT_UPDATED)[0].ssid, 1);

    // Stop: De-register, then STOPPED and the connection closed.
    assert_eq!(unsafe { lwbs_client_stop(sim.client, sim.now) }, LWBS_OK);
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_STOPPING as u32);
    let (_, dereg) = sim.next_sent();
    assert_eq!(dereg.code, Code::DELETE);
    sim.answer(dm, &dereg, Code::DELETED, &[]);
    assert_eq!(sim.events_of(lwbs_event_kind::LWBS_EVENT_DEREGISTERED)[0].ssid, 1);
    assert_eq!(sim.events_of(lwbs_event_kind::LWBS_EVENT_STOPPED).len(), 1);
    assert_eq!(sim.rec().trace.last().map(String::as_str), Some("close 2"));
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_IDLE as u32);
    let mut deadline = 0u64;
    assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
    assert_eq!(deadline, u64::MAX, "nothing pending once stopped");

    // A second client restores the saved image and registers without bootstrapping.
    let image = sim.rec().saved[0].1.clone();
    let mut second =
        Sim::with(Recorder { stored: [None, Some(image)], ..Recorder::default() }, |_| {});
    assert_eq!(second.server_count(), 1);
    assert_eq!(second.rec().load_calls, [(0, 4096), (1, 4096)], "both slots are read");
    assert!(second.rec().events.is_empty(), "nothing ignored");
    second.start();
    assert_eq!(second.state(), lwbs_state::LWBS_STATE_REGISTERING as u32);
    assert_eq!(second.rec().trace[0], format!("open 1 {DM_URI}"));
    second.register();
    assert_eq!(second.state(), lwbs_state::LWBS_STATE_REGISTERED as u32);
    assert!(second.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_STARTED).is_empty());
    assert_eq!(second.events_of(lwbs_event_kind::LWBS_EVENT_REGISTERED)[0].ssid, 1);
}

// ----- NULL ------------------------------------------------------------------------------------

#[test]
fn null_for_every_pointer_argument_is_refused_and_outputs_stay_untouched() {
    let sim = Sim::new();
    let c = sim.client;
    let recorder = sim.recorder;
    let endpoint = cstring("ep");
    let cfg = config(&endpoint);
    let p = platform(recorder);
    let sentinel = 0x10 as *mut lwbs_client;
    let mut out = sentinel;
    unsafe {
        assert_eq!(lwbs_client_new(null(), &p, &mut out), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_new(&cfg, null(), &mut out), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_new(&cfg, &p, null_mut()), LWBS_ERR_NULL);
        let no_endpoint = lwbs_config { endpoint: null(), ..cfg };
        assert_eq!(lwbs_client_new(&no_endpoint, &p, &mut out), LWBS_ERR_NULL);
        assert_eq!(out, sentinel);

        let uri = cstring(BS_URI);
        let a = account(&uri);
        assert_eq!(lwbs_client_provision_bootstrap_server(null_mut(), &a), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_provision_bootstrap_server(c, null()), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_provision_server(null_mut(), &a), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_provision_server(c, null()), LWBS_ERR_NULL);
        let no_uri = lwbs_account { uri: null(), ..a };
        assert_eq!(lwbs_client_provision_bootstrap_server(c, &no_uri), LWBS_ERR_NULL);
        let dangling_key = lwbs_account { secret_key: null(), secret_key_len: 16, ..a };
        assert_eq!(lwbs_client_provision_bootstrap_server(c, &dangling_key), LWBS_ERR_NULL);
        let dangling_identity = lwbs_account { identity: null(), identity_len: 1, ..a };
        assert_eq!(lwbs_client_provision_bootstrap_server(c, &dangling_identity), LWBS_ERR_NULL);
        let dangling_server_key = lwbs_account { server_key: null(), server_key_len: 1, ..a };
        assert_eq!(lwbs_client_provision_bootstrap_server(c, &dangling_server_key), LWBS_ERR_NULL);
        let mut has = false;
        assert_eq!(lwbs_client_has_bootstrap_server(c, &mut has), LWBS_OK);
        assert!(!has, "nothing was provisioned by the refused calls");

        assert_eq!(lwbs_client_start(null_mut(), 0), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_stop(null_mut(), 0), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_trigger_bootstrap(null_mut(), 0), LWBS_ERR_NULL);
        let byte = [0u8];
        assert_eq!(lwbs_client_recv(null_mut(), 1, byte.as_ptr(), 1, 0), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_recv(c, 1, null(), 5, 0), LWBS_ERR_NULL);
        // (NULL, 0) is an empty buffer: the connection check answers.
        assert_eq!(lwbs_client_recv(c, 1, null(), 0, 0), LWBS_ERR_UNKNOWN_CONNECTION);

        let mut deadline = 42u64;
        assert_eq!(lwbs_client_tick(null_mut(), 0, &mut deadline), LWBS_ERR_NULL);
        assert_eq!(deadline, 42);
        assert_eq!(lwbs_client_tick(c, 0, null_mut()), LWBS_OK, "next_deadline_ms is optional");

        let mut u = 42u32;
        assert_eq!(lwbs_client_state(null(), &mut u), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_state(c, null_mut()), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_server_lifetime(null(), 1, &mut u), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_server_lifetime(c, 1, null_mut()), LWBS_ERR_NULL);
        assert_eq!(u, 42);
        let mut n = 42usize;
        assert_eq!(lwbs_client_server_count(null(), &mut n), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_server_count(c, null_mut()), LWBS_ERR_NULL);
        assert_eq!(n, 42);
        let mut ssid = 42u16;
        assert_eq!(lwbs_client_server_ssid(null(), 0, &mut ssid), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_server_ssid(c, 0, null_mut()), LWBS_ERR_NULL);
        assert_eq!(ssid, 42);
        let mut has = true;
        assert_eq!(lwbs_client_has_bootstrap_server(null(), &mut has), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_has_bootstrap_server(c, null_mut()), LWBS_ERR_NULL);
        assert!(has);
        let mut buf = [7 as c_char; 8];
        let mut len = 42usize;
        for f in [lwbs_client_server_uri, lwbs_client_registration_location] {
            assert_eq!(f(null(), 1, buf.as_mut_ptr(), 8, &mut len), LWBS_ERR_NULL);
            assert_eq!(f(c, 1, buf.as_mut_ptr(), 8, null_mut()), LWBS_ERR_NULL);
            assert_eq!(len, 42);
            assert_eq!(buf, [7; 8]);
        }

        // NULL handles and structs for the void functions are no-ops.
        lwbs_client_free(null_mut());
        lwbs_config_init(null_mut());
        lwbs_account_init(null_mut());
    }
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_IDLE as u32, "the client is intact");
}

// ----- struct_size and argument values ---------------------------------------------------------

#[test]
fn struct_size_smaller_is_refused_and_larger_is_accepted() {
    #[repr(C)]
    struct Larger<T> {
        known: T,
        future: [u64; 4],
    }
    let recorder = Box::into_raw(Box::<Recorder>::default());
    let endpoint = cstring("ep");
    let mut out = null_mut();
    unsafe {
        // Fields were appended since 0.1: the smallest accepted size is now the 0.1 layout's (an
        // older caller), no longer this header's.
        let config_v0_1 = std::mem::offset_of!(lwbs_config, bootstrap_backoff_base_s) as u32;
        let platform_v0_1 = std::mem::offset_of!(lwbs_platform, bootstrap_begin) as u32;
        let small = lwbs_config { struct_size: config_v0_1 - 1, ..config(&endpoint) };
        assert_eq!(
            lwbs_client_new(&small, &platform(recorder), &mut out),
            LWBS_ERR_INVALID_ARGUMENT
        );
        let small_platform = lwbs_platform { struct_size: platform_v0_1 - 4, ..platform(recorder) };
        assert_eq!(
            lwbs_client_new(&config(&endpoint), &small_platform, &mut out),
            LWBS_ERR_INVALID_ARGUMENT
        );
        let zero = lwbs_config { struct_size: 0, ..config(&endpoint) };
        assert_eq!(
            lwbs_client_new(&zero, &platform(recorder), &mut out),
            LWBS_ERR_INVALID_ARGUMENT
        );
        assert!(out.is_null());

        let big_config = Larger { known: config(&endpoint), future: [u64::MAX; 4] };
        let big_platform = Larger { known: platform(recorder), future: [u64::MAX; 4] };
        let mut big_config = big_config;
        let mut big_platform = big_platform;
        big_config.known.struct_size = size_of::<Larger<lwbs_config>>() as u32;
        big_platform.known.struct_size = size_of::<Larger<lwbs_platform>>() as u32;
        assert_eq!(lwbs_client_new(&big_config.known, &big_platform.known, &mut out), LWBS_OK);
        assert!(!out.is_null());

        let uri = cstring(BS_URI);
        let small_account = lwbs_account { struct_size: 8, ..account(&uri) };
        assert_eq!(
            lwbs_client_provision_bootstrap_server(out, &small_account),
            LWBS_ERR_INVALID_ARGUMENT
        );
        let mut big_account = Larger { known: account(&uri), future: [1; 4] };
        big_account.known.struct_size = size_of::<Larger<lwbs_account>>() as u32;
        assert_eq!(lwbs_client_provision_bootstrap_server(out, &big_account.known), LWBS_OK);
        let mut has = false;
        assert_eq!(lwbs_client_has_bootstrap_server(out, &mut has), LWBS_OK);
        assert!(has);
        lwbs_client_free(out);
        drop(Box::from_raw(recorder));
    }
}

#[test]
fn init_functions_fill_size_and_defaults() {
    let endpoint = cstring("ep");
    let c = config(&endpoint);
    assert_eq!(c.struct_size as usize, size_of::<lwbs_config>());
    assert_eq!(
        (c.lwm2m_version, c.ack_timeout_ms, c.max_retransmit, c.require_server_account),
        (0, 0, u32::MAX, 0)
    );
    let uri = cstring(BS_URI);
    let a = account(&uri);
    assert_eq!(a.struct_size as usize, size_of::<lwbs_account>());
    assert_eq!(a.security_mode, lwbs_security_mode::LWBS_SECURITY_NOSEC as u32);
    assert_eq!((a.ssid, a.lifetime_s, a.hold_off_s, a.account_timeout_s), (0, 0, 0, 0));
    assert!(a.binding.is_null() && a.identity.is_null() && a.secret_key.is_null());
    assert_eq!((a.identity_len, a.server_key_len, a.secret_key_len), (0, 0, 0));
}

#[test]
fn invalid_config_values_and_platforms_are_refused() {
    let recorder = Box::into_raw(Box::<Recorder>::default());
    let endpoint = cstring("ep");
    let p = platform(recorder);
    let mut out = null_mut();
    let bad_utf8: &[u8] = b"ep\xff\0";
    let empty = cstring("");
    let cases = [
        lwbs_config { endpoint: bad_utf8.as_ptr().cast(), ..config(&endpoint) },
        lwbs_config { endpoint: empty.as_ptr(), ..config(&endpoint) },
        lwbs_config { lwm2m_version: 12, ..config(&endpoint) },
        lwbs_config { max_retransmit: 256, ..config(&endpoint) },
        lwbs_config { require_server_account: 3, ..config(&endpoint) },
    ];
    unsafe {
        for bad in cases {
            assert_eq!(lwbs_client_new(&bad, &p, &mut out), LWBS_ERR_INVALID_ARGUMENT, "{bad:?}");
        }
        for valid in [
            lwbs_config { lwm2m_version: 10, max_retransmit: 0, ..config(&endpoint) },
            lwbs_config { lwm2m_version: 11, require_server_account: 2, ..config(&endpoint) },
        ] {
            assert_eq!(lwbs_client_new(&valid, &p, &mut out), LWBS_OK);
            lwbs_client_free(out);
            out = null_mut();
        }
        for missing in [
            lwbs_platform { open: None, ..p },
            lwbs_platform { close: None, ..p },
            lwbs_platform { send: None, ..p },
        ] {
            assert_eq!(lwbs_client_new(&config(&endpoint), &missing, &mut out), LWBS_ERR_PLATFORM);
        }
        (*recorder).entropy_rc = -1;
        assert_eq!(lwbs_client_new(&config(&endpoint), &p, &mut out), LWBS_ERR_PLATFORM);
        assert!(out.is_null());
        // Only the transport is required.
        let minimal = lwbs_platform {
            load: None,
            save: None,
            log: None,
            event: None,
            entropy: None,
            dm_request: None,
            ..p
        };
        assert_eq!(lwbs_client_new(&config(&endpoint), &minimal, &mut out), LWBS_OK);
        lwbs_client_free(out);
        drop(Box::from_raw(recorder));
    }
}

#[test]
fn invalid_accounts_are_refused() {
    let sim = Sim::new();
    let coap = cstring(DM_URI);
    let coaps = cstring("coaps://127.0.0.1:5684");
    let http = cstring("http://127.0.0.1");
    let bad_utf8: &[u8] = b"coap://\xff\0";
    let bad_binding: &[u8] = b"\xfe\0";
    unsafe {
        let invalid_argument = [
            lwbs_account { security_mode: 4, ssid: 1, ..account(&coap) },
            lwbs_account { uri: bad_utf8.as_ptr().cast(), ssid: 1, ..account(&coap) },
            lwbs_account { binding: bad_binding.as_ptr().cast(), ssid: 1, ..account(&coap) },
        ];
        for a in invalid_argument {
            assert_eq!(lwbs_client_provision_server(sim.client, &a), LWBS_ERR_INVALID_ARGUMENT);
        }
        let psk = lwbs_security_mode::LWBS_SECURITY_PSK as u32;
        let invalid_account = [
            lwbs_account { ssid: 0, ..account(&coap) },
            lwbs_account { ssid: 65535, ..account(&coap) },
            lwbs_account { ssid: 1, ..account(&http) },
            lwbs_account { ssid: 1, security_mode: psk, ..account(&coap) },
            lwbs_account { ssid: 1, ..account(&coaps) },
            // PSK over coaps, but without an identity and a key.
            lwbs_account { ssid: 1, security_mode: psk, ..account(&coaps) },
            // RPK: no raw public keys in Mbed TLS 2.28, in no build.
            lwbs_account { ssid: 1, security_mode: 1, ..with_keys(account(&coaps)) },
        ];
        for a in invalid_account {
            assert_eq!(lwbs_client_provision_server(sim.client, &a), LWBS_ERR_INVALID_ACCOUNT);
        }
        // A complete PSK account: accepted exactly when the library has DTLS.
        let complete = lwbs_account { ssid: 9, security_mode: psk, ..with_keys(account(&coaps)) };
        let expected = if cfg!(feature = "dtls") { LWBS_OK } else { LWBS_ERR_INVALID_ACCOUNT };
        assert_eq!(lwbs_client_provision_server(sim.client, &complete), expected);
    }
    let psk_accounts = usize::from(cfg!(feature = "dtls"));
    assert_eq!(sim.server_count(), psk_accounts);
    assert_eq!(sim.provision_server(7), LWBS_OK);
    assert_eq!(sim.server_count(), 1 + psk_accounts);
}

// ----- reasons (docs/errors.md) -----------------------------------------------------------------

/// `lwbs_client_last_error` as a String.
fn last_error(client: *const lwbs_client) -> String {
    let mut len = usize::MAX;
    let first = unsafe { lwbs_client_last_error(client, null_mut(), 0, &mut len) };
    assert_eq!(first, LWBS_ERR_BUFFER_TOO_SMALL, "no room for the NUL");
    let mut buf = vec![0 as c_char; len + 1];
    let r = unsafe { lwbs_client_last_error(client, buf.as_mut_ptr(), len + 1, &mut len) };
    assert_eq!(r, LWBS_OK);
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string()
}

/// `lwbs_config_check` of `c`: its result and reason.
fn config_check(c: &lwbs_config) -> (lwbs_result, String) {
    let mut buf = [0 as c_char; 512];
    let mut len = usize::MAX;
    let r = unsafe { lwbs_config_check(c, buf.as_mut_ptr(), buf.len(), &mut len) };
    let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string();
    assert_eq!(text.len(), len);
    (r, text)
}

#[test]
fn every_invalid_account_names_its_reason() {
    let sim = Sim::new();
    let psk = lwbs_security_mode::LWBS_SECURITY_PSK as u32;
    let long_id = [b'i'; 129];
    /// URI, mode, PSK identity, ssid, the result, the end of the reason.
    type Case<'a> = (String, u32, Option<&'a [u8]>, u16, lwbs_result, &'a str);
    let cases: Vec<Case> = vec![
        (
            "http://127.0.0.1".into(),
            3,
            None,
            1,
            LWBS_ERR_INVALID_ACCOUNT,
            "account http://127.0.0.1: unknown URI scheme (coap:// or coaps:// expected)",
        ),
        (
            "coap://:5683".into(),
            3,
            None,
            1,
            LWBS_ERR_INVALID_ACCOUNT,
            "account coap://:5683: missing or malformed host in the URI",
        ),
        (
            "coap://h:99999".into(),
            3,
            None,
            1,
            LWBS_ERR_INVALID_ACCOUNT,
            "account coap://h:99999: bad port in the URI (1..65535)",
        ),
        (
            "coaps://h".into(),
            3,
            None,
            1,
            LWBS_ERR_INVALID_ACCOUNT,
            "account coaps://h: coaps:// URI with Security Mode NoSec: coaps needs PSK or \
          certificate credentials",
        ),
        (
            "coap://h".into(),
            psk,
            None,
            1,
            LWBS_ERR_INVALID_ACCOUNT,
            "account coap://h: Security Mode PSK needs a coaps:// URI, not coap://",
        ),
        (
            "coap://h".into(),
            3,
            None,
            0,
            LWBS_ERR_INVALID_ACCOUNT,
            "account coap://h: Short Server ID 0 outside 1..65534",
        ),
        (
            format!("coap://{}", "h".repeat(256)),
            3,
            None,
            1,
            LWBS_ERR_INVALID_ARGUMENT,
            "URI host of 256 bytes exceeds the 255-byte Uri-Host option",
        ),
        (
            format!("coap://h/{}", "p".repeat(256)),
            3,
            None,
            1,
            LWBS_ERR_INVALID_ARGUMENT,
            "URI path segment of 256 bytes exceeds the 255-byte Uri-Path option",
        ),
        (
            "coaps://h".into(),
            psk,
            Some(&long_id),
            1,
            LWBS_ERR_INVALID_ARGUMENT,
            "PSK identity of 129 bytes is longer than 128 bytes",
        ),
    ];
    for (uri, mode, identity, ssid, code, reason) in cases {
        let uri = cstring(&uri);
        let key = [7u8; 16];
        let mut a = lwbs_account { security_mode: mode, ssid, ..account(&uri) };
        if let Some(id) = identity {
            a = lwbs_account {
                identity: id.as_ptr(),
                identity_len: id.len(),
                secret_key: key.as_ptr(),
                secret_key_len: key.len(),
                ..a
            };
        }
        assert_eq!(unsafe { lwbs_client_provision_server(sim.client, &a) }, code, "{reason}");
        let detail = last_error(sim.client);
        assert!(detail.ends_with(reason), "{detail:?} should end with {reason:?}");
        let logged = format!("lwbs_client_provision_server: {detail}");
        assert_eq!(sim.rec().logs.last(), Some(&(2, logged)), "logged at WARNING");
    }
    // PSK without a key names the bounds; a PSK account over coaps is accepted with DTLS.
    let coaps = cstring("coaps://h");
    let bare = lwbs_account { security_mode: psk, ssid: 1, ..account(&coaps) };
    let expected = if cfg!(feature = "dtls") { "PSK credentials missing" } else { "needs DTLS" };
    assert_ne!(unsafe { lwbs_client_provision_server(sim.client, &bare) }, LWBS_OK);
    assert!(last_error(sim.client).contains(expected), "{}", last_error(sim.client));
    // A binding longer than its b= option: refused as an argument.
    let coap = cstring("coap://h");
    let binding = cstring(&"U".repeat(254));
    let a = lwbs_account { ssid: 1, binding: binding.as_ptr(), ..account(&coap) };
    assert_eq!(unsafe { lwbs_client_provision_server(sim.client, &a) }, LWBS_ERR_INVALID_ARGUMENT);
    assert!(last_error(sim.client)
        .ends_with("binding of 254 bytes exceeds the 255-byte Uri-Query option (b=)"));
    // An unknown mode is an argument error with its value; the next good call clears it all.
    let a = lwbs_account { security_mode: 9, ssid: 1, ..account(&coap) };
    assert_eq!(unsafe { lwbs_client_provision_server(sim.client, &a) }, LWBS_ERR_INVALID_ARGUMENT);
    assert_eq!(last_error(sim.client), "security_mode 9: 0..3");
    assert_eq!(sim.provision_server(3), LWBS_OK);
    assert_eq!(last_error(sim.client), "");
    assert_eq!(sim.server_count(), 1, "only the valid account");
    assert_eq!(unsafe { lwbs_client_last_error(null(), null_mut(), 0, null_mut()) }, LWBS_ERR_NULL);
}

#[test]
fn endpoint_name_is_limited_by_the_ep_uri_query_option() {
    let recorder = Box::into_raw(Box::<Recorder>::default());
    let p = platform(recorder);
    let mut out = null_mut();
    // "ep=" + 252 bytes = 255, the largest Uri-Query option value (RFC 7252 §5.10).
    let fits = cstring(&"e".repeat(252));
    assert_eq!(config_check(&config(&fits)), (LWBS_OK, String::new()));
    assert_eq!(unsafe { lwbs_client_new(&config(&fits), &p, &mut out) }, LWBS_OK);
    unsafe { lwbs_client_free(out) };
    out = null_mut();
    for len in [253usize, 5000] {
        let name = cstring(&"e".repeat(len));
        let c = config(&name);
        assert_eq!(unsafe { lwbs_client_new(&c, &p, &mut out) }, LWBS_ERR_INVALID_ARGUMENT);
        assert!(out.is_null());
        let reason = format!(
            "Endpoint Client Name of {len} bytes is too long: ep=NAME must fit one 255-byte \
             Uri-Query option, so NAME is at most 252 bytes"
        );
        assert_eq!(config_check(&c), (LWBS_ERR_INVALID_ARGUMENT, reason.clone()));
        let logs = unsafe { &(*recorder).logs };
        assert_eq!(logs.last(), Some(&(1, format!("lwbs_client_new: {reason}"))));
    }
    // The other reasons, and the result-only form.
    let ep = cstring("ep");
    let v12 = lwbs_config { lwm2m_version: 12, ..config(&ep) };
    assert_eq!(
        config_check(&v12),
        (LWBS_ERR_INVALID_ARGUMENT, "lwm2m_version 12: 0, 10 or 11".into())
    );
    assert_eq!(
        unsafe { lwbs_config_check(&v12, null_mut(), 0, null_mut()) },
        LWBS_ERR_INVALID_ARGUMENT
    );
    assert_eq!(unsafe { lwbs_config_check(null(), null_mut(), 0, null_mut()) }, LWBS_ERR_NULL);
    let mut len = 0usize;
    assert_eq!(
        unsafe { lwbs_config_check(&v12, null_mut(), 0, &mut len) },
        LWBS_ERR_BUFFER_TOO_SMALL
    );
    assert_eq!(len, "lwm2m_version 12: 0, 10 or 11".len());
    drop(unsafe { Box::from_raw(recorder) });
}

#[test]
fn a_failed_open_fails_the_bootstrap_at_once_and_the_connection_is_forgotten() {
    let mut sim = Sim::with(Recorder { open_rc: -1, ..Recorder::default() }, |_| {});
    sim.provision_bootstrap();
    sim.start();
    let failed = sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_FAILED);
    assert_eq!(failed.len(), 1, "during lwbs_client_start, not after the retransmissions");
    assert_eq!(failed[0].reason, lwbs_bootstrap_failure::LWBS_BOOTSTRAP_FAILURE_TRANSPORT as u32);
    assert_eq!(
        failed[0].detail.as_deref(),
        Some("could not open a connection to the Bootstrap-Server (the platform's open failed)")
    );
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_FAILED as u32);
    let trace = &sim.rec().trace;
    assert!(trace.iter().any(|t| t.starts_with("open 1 ")), "{trace:?}");
    assert!(!trace.iter().any(|t| t.starts_with("send ") || t.starts_with("close ")), "{trace:?}");
    assert!(sim.rec().sent.is_empty());
    let logs = &sim.rec().logs;
    assert!(logs.iter().any(|(l, m)| *l == 1 && m.starts_with("open of connection 1 to coap://")));
    // A datagram for the forgotten connection is refused.
    assert_eq!(
        sim.deliver(1, &Message::new(MessageType::Confirmable, Code::GET)),
        LWBS_ERR_UNKNOWN_CONNECTION
    );
}

#[test]
fn a_dm_only_client_whose_server_fails_names_the_root_cause() {
    let mut sim = Sim::new();
    let uri = cstring(DM_URI);
    let a = lwbs_account { ssid: 4, ..account(&uri) };
    assert_eq!(unsafe { lwbs_client_provision_server(sim.client, &a) }, LWBS_OK);
    sim.start();
    // Every attempt fails at once with a transport error (ICMP refusal) until the procedure
    // gives up; the default 5 attempts with growing timers are walked with the clock.
    for _ in 0..64 {
        let Some((conn, _)) = sim.rec().sent.pop_front() else {
            let mut deadline = 0u64;
            assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
            if deadline == u64::MAX {
                break;
            }
            sim.now = sim.now.max(deadline);
            continue;
        };
        assert_eq!(unsafe { lwbs_client_conn_error(sim.client, conn, sim.now) }, LWBS_OK);
    }
    let failed = sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_FAILED);
    assert_eq!(failed.len(), 1, "{:?}", sim.rec().events);
    assert_eq!(failed[0].reason, lwbs_bootstrap_failure::LWBS_BOOTSTRAP_FAILURE_NO_ACCOUNT as u32);
    assert_eq!(failed[0].ssid, 4);
    assert_eq!(
        failed[0].detail.as_deref(),
        Some(
            "registration with ssid 4 failed: transport error; no Bootstrap-Server to fall back to"
        )
    );
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_FAILED as u32);
}

#[cfg(feature = "dtls")]
#[test]
fn dtls_without_entropy_warns_once_per_client() {
    let mut sim = Sim::with(Recorder::default(), |p| p.entropy = None);
    let coaps = cstring("coaps://127.0.0.1:5684");
    for ssid in [1u16, 2] {
        let a = lwbs_account { ssid, security_mode: 0, ..with_keys(account(&coaps)) };
        assert_eq!(unsafe { lwbs_client_provision_server(sim.client, &a) }, LWBS_OK);
    }
    sim.start();
    let opens = sim.rec().trace.iter().filter(|t| t.starts_with("open ")).count();
    assert_eq!(opens, 2, "two DTLS connections");
    let warnings: Vec<_> =
        sim.rec().logs.iter().filter(|(l, m)| *l == 2 && m.contains("fixed test seed")).collect();
    assert_eq!(warnings.len(), 1, "{:?}", sim.rec().logs);
    // With an entropy callback: no such warning.
    let mut with = Sim::new();
    let a = lwbs_account { ssid: 1, security_mode: 0, ..with_keys(account(&coaps)) };
    assert_eq!(unsafe { lwbs_client_provision_server(with.client, &a) }, LWBS_OK);
    with.start();
    assert!(!with.rec().logs.iter().any(|(_, m)| m.contains("fixed test seed")));
}

// ----- states --------------------------------------------------------------------------------

#[test]
fn calls_in_the_wrong_state_are_refused() {
    let mut sim = Sim::new();
    unsafe {
        assert_eq!(lwbs_client_stop(sim.client, 0), LWBS_ERR_INVALID_STATE, "stop when idle");
        assert_eq!(lwbs_client_trigger_bootstrap(sim.client, 0), LWBS_ERR_INVALID_STATE);
    }
    assert_eq!(sim.provision_server(1), LWBS_OK);
    sim.start();
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_REGISTERING as u32);
    unsafe {
        assert_eq!(lwbs_client_start(sim.client, 0), LWBS_ERR_INVALID_STATE, "start twice");
        assert_eq!(
            lwbs_client_trigger_bootstrap(sim.client, 0),
            LWBS_ERR_NO_BOOTSTRAP_ACCOUNT,
            "trigger without a Bootstrap-Server account"
        );
        assert_eq!(lwbs_client_recv(sim.client, 99, null(), 0, 0), LWBS_ERR_UNKNOWN_CONNECTION);
    }
    assert_eq!(sim.provision_server(2), LWBS_ERR_INVALID_STATE, "provision while started");
    let uri = cstring(BS_URI);
    let a = account(&uri);
    assert_eq!(
        unsafe { lwbs_client_provision_bootstrap_server(sim.client, &a) },
        LWBS_ERR_INVALID_STATE
    );
    assert_eq!(sim.server_count(), 1);
}

#[test]
fn trigger_while_bootstrapping_is_in_progress_and_start_without_accounts_fails() {
    let mut sim = Sim::new();
    sim.start();
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_FAILED as u32);
    let failed = sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_FAILED);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].reason, lwbs_bootstrap_failure::LWBS_BOOTSTRAP_FAILURE_NO_ACCOUNT as u32);
    assert_eq!(failed[0].detail.as_deref(), Some("no Bootstrap-Server account"));
    assert_eq!(unsafe { lwbs_client_stop(sim.client, 0) }, LWBS_OK);
    assert_eq!(sim.events_of(lwbs_event_kind::LWBS_EVENT_STOPPED).len(), 1);

    sim.provision_bootstrap();
    sim.start();
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_BOOTSTRAPPING as u32);
    assert_eq!(
        unsafe { lwbs_client_trigger_bootstrap(sim.client, 0) },
        LWBS_ERR_BOOTSTRAP_IN_PROGRESS
    );
    // Stopping cancels the bootstrap.
    assert_eq!(unsafe { lwbs_client_stop(sim.client, 0) }, LWBS_OK);
    let failed = sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_FAILED);
    assert_eq!(failed[1].reason, lwbs_bootstrap_failure::LWBS_BOOTSTRAP_FAILURE_CANCELLED as u32);
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_IDLE as u32);
}

// ----- result strings --------------------------------------------------------------------------

#[test]
fn every_result_has_a_static_message_and_unknown_values_are_named() {
    let text = |v: u32| unsafe { CStr::from_ptr(lwbs_result_str(v)) }.to_str().unwrap().to_string();
    let all: Vec<String> = (0..=14).map(text).collect();
    assert_eq!(all[0], "success");
    assert_eq!(all[LWBS_ERR_BUSY as usize], "called from inside one of this client's callbacks");
    assert_eq!(all[LWBS_ERR_PANIC as usize], "internal error: the client is poisoned");
    for (i, message) in all.iter().enumerate() {
        assert!(!message.is_empty() && message != "unknown result", "value {i}");
        assert_eq!(all.iter().filter(|m| *m == message).count(), 1, "{message} is not unique");
    }
    for unknown in [15, 1000, u32::MAX] {
        assert_eq!(text(unknown), "unknown result");
    }
    assert_eq!(lwbs_result_str(3), lwbs_result_str(3), "static, not allocated per call");
}

// ----- callbacks ---------------------------------------------------------------------------

#[test]
fn a_callback_calling_back_into_its_client_gets_busy() {
    let mut sim = Sim::new();
    sim.provision_bootstrap();
    sim.rec().reenter = sim.client;
    sim.start();
    let results = std::mem::take(&mut sim.rec().reentry_results);
    assert_eq!(results, [LWBS_ERR_BUSY; 5], "BOOTSTRAP_STARTED re-entered five times");
    sim.rec().reenter = null_mut();
    // The client survived the re-entrant calls and the ignored free.
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_BOOTSTRAPPING as u32);
    let bs = sim.bootstrap();
    assert_eq!(bs, 1);
    assert_eq!(sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_FINISHED)[0].accounts, 1);
}

#[test]
fn logs_and_events_never_carry_key_material() {
    let mut sim = Sim::new();
    sim.provision_bootstrap();
    let uri = cstring(DM_URI);
    let secret = b"TOPSECRETKEY";
    let a = lwbs_account {
        ssid: 3,
        secret_key: secret.as_ptr(),
        secret_key_len: secret.len(),
        identity: b"IDENTITY".as_ptr(),
        identity_len: 8,
        ..account(&uri)
    };
    assert_eq!(unsafe { lwbs_client_provision_server(sim.client, &a) }, LWBS_OK);
    sim.start();
    let (dm, reg) = sim.next_sent();
    sim.answer(dm, &reg, Code::CREATED, &["rd", "9"]);
    assert_eq!(sim.location(3), Ok("/rd/9".into()));
    let r = sim.rec();
    assert!(!r.logs.is_empty(), "the log callback is used");
    for (_, line) in &r.logs {
        assert!(!line.contains("TOPSECRET") && !line.contains("IDENTITY"), "{line}");
    }
    for e in &r.events {
        assert!(!format!("{e:?}").contains("TOPSECRET"));
    }
}

#[test]
fn string_getters_report_the_length_needed() {
    let sim = Sim::new();
    assert_eq!(sim.provision_server(1), LWBS_OK);
    let mut len = 0usize;
    unsafe {
        assert_eq!(
            lwbs_client_server_uri(sim.client, 1, null_mut(), 0, &mut len),
            LWBS_ERR_BUFFER_TOO_SMALL
        );
        assert_eq!(len, DM_URI.len());
        let mut exact = vec![9 as c_char; DM_URI.len()];
        assert_eq!(
            lwbs_client_server_uri(sim.client, 1, exact.as_mut_ptr(), exact.len(), &mut len),
            LWBS_ERR_BUFFER_TOO_SMALL,
            "no room for the NUL"
        );
        assert!(exact.iter().all(|&c| c == 9), "nothing written when too small");
        let mut buf = vec![9 as c_char; DM_URI.len() + 1];
        len = 0;
        assert_eq!(
            lwbs_client_server_uri(sim.client, 1, buf.as_mut_ptr(), buf.len(), &mut len),
            LWBS_OK
        );
        assert_eq!(len, DM_URI.len());
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), DM_URI);
        assert_eq!(
            lwbs_client_server_uri(sim.client, 2, buf.as_mut_ptr(), buf.len(), &mut len),
            LWBS_ERR_NOT_FOUND
        );
        assert_eq!(
            lwbs_client_registration_location(sim.client, 1, buf.as_mut_ptr(), buf.len(), &mut len),
            LWBS_ERR_NOT_FOUND,
            "not registered"
        );
    }
}

// ----- storage ---------------------------------------------------------------------------------

/// The image saved after a bootstrap: generation 1, for slot 1.
fn saved_image() -> Vec<u8> {
    let mut sim = Sim::new();
    sim.provision_bootstrap();
    sim.start();
    sim.bootstrap();
    let (slot, image) = sim.rec().saved[0].clone();
    assert_eq!(slot, 1);
    image
}

fn in_slot_1(image: Vec<u8>) -> Recorder {
    Recorder { stored: [None, Some(image)], ..Recorder::default() }
}

#[test]
fn load_may_ask_for_a_bigger_buffer_once() {
    let recorder = Recorder { load_asks: Some(10_000), ..in_slot_1(saved_image()) };
    let sim = Sim::with(recorder, |_| {});
    assert_eq!(sim.rec().load_calls, [(0, 4096), (1, 4096), (1, 10_000)]);
    assert_eq!(sim.server_count(), 1);
}

#[test]
fn a_corrupt_or_unreadable_image_is_logged_and_ignored() {
    let mut corrupt = saved_image();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xFF;
    let sim = Sim::with(in_slot_1(corrupt), |_| {});
    assert_eq!(sim.server_count(), 0, "a corrupt image is never trusted");
    let warned = sim.rec().logs.iter().any(|(level, l)| {
        *level == 2 && l == "storage slot 1: corrupt image (CRC-32 mismatch): ignored"
    });
    assert!(warned, "{:?}", sim.rec().logs);
    let ignored = sim.events_of(lwbs_event_kind::LWBS_EVENT_STORAGE_IGNORED);
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0].kind, 12);
    assert_eq!(ignored[0].detail.as_deref(), Some("slot 1: corrupt image (CRC-32 mismatch)"));

    let failing = Recorder { load_rc: -5, ..in_slot_1(saved_image()) };
    let sim = Sim::with(failing, |_| {});
    assert_eq!(sim.server_count(), 0);
    let failed: Vec<&String> =
        sim.rec().logs.iter().map(|(_, l)| l).filter(|l| l.contains("load failed")).collect();
    assert_eq!(
        failed,
        [
            "storage slot 0: load failed: treated as empty",
            "storage slot 1: load failed: treated as empty"
        ]
    );
    assert!(sim.rec().events.is_empty(), "an unreadable slot is logged, not an ignored image");

    let greedy = Recorder { load_asks: Some(usize::MAX), ..in_slot_1(saved_image()) };
    let sim = Sim::with(greedy, |_| {});
    assert_eq!(sim.server_count(), 0);
    assert_eq!(sim.rec().load_calls, [(0, 4096), (1, 4096)], "an absurd size is not allocated");
}

#[test]
fn slots_alternate_and_the_newest_valid_image_wins() {
    // Bootstrap twice: generation 1 goes to slot 1, generation 2 (lifetime 600) to slot 0.
    let mut sim = Sim::new();
    sim.provision_bootstrap();
    sim.start();
    sim.bootstrap();
    sim.register();
    assert_eq!(unsafe { lwbs_client_trigger_bootstrap(sim.client, sim.now) }, LWBS_OK);
    let (bs, req) = sim.next_sent();
    sim.answer(bs, &req, Code::CHANGED, &[]);
    assert_eq!(sim.request(bs, Code::PUT, "/1/0", Some(dm_server(0, 1, 600))).code, Code::CHANGED);
    let mut finish = Message::new(MessageType::Confirmable, Code::POST);
    finish.message_id = 0x7777;
    finish.set_uri_path(&["bs"]);
    assert_eq!(sim.deliver(bs, &finish), LWBS_OK);
    // Server 1's security is untouched: its session and registration are kept, and the new
    // lifetime goes out as an Update on that session beside the Finish response.
    let sent: Vec<(u32, Message)> = (0..2).map(|_| sim.next_sent()).collect();
    assert!(sent.iter().any(|(c, m)| *c == bs && m.code == Code::CHANGED));
    let update = sent.iter().find(|(c, _)| *c != bs).expect("an Update");
    assert_eq!((update.1.code, update.1.uri_path().unwrap()), (Code::POST, vec!["rd", "1"]));
    let saved = sim.rec().saved.clone();
    assert_eq!(saved.iter().map(|(slot, _)| *slot).collect::<Vec<_>>(), [1, 0]);
    assert_eq!(decode_image(&saved[1].1).unwrap().1, 2);
    let stored = [Some(saved[1].1.clone()), Some(saved[0].1.clone())];

    let lifetime = |sim: &Sim| {
        let mut lifetime = 0u32;
        assert_eq!(unsafe { lwbs_client_server_lifetime(sim.client, 1, &mut lifetime) }, LWBS_OK);
        lifetime
    };
    let sim = Sim::with(Recorder { stored: stored.clone(), ..Recorder::default() }, |_| {});
    assert_eq!(lifetime(&sim), 600, "generation 2 wins");
    assert!(sim
        .rec()
        .logs
        .iter()
        .any(|(_, l)| l == "configuration generation 2 restored from slot 0"));

    // A torn write of generation 2: slot 1 (generation 1) is used, slot 0 reported.
    let mut torn = stored.clone();
    torn[0].as_mut().unwrap().truncate(30);
    let sim = Sim::with(Recorder { stored: torn, ..Recorder::default() }, |_| {});
    assert_eq!(lifetime(&sim), 86400, "the previous configuration, complete");
    let ignored = sim.events_of(lwbs_event_kind::LWBS_EVENT_STORAGE_IGNORED);
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0].detail.as_deref(), Some("slot 0: corrupt image (truncated image)"));

    // The firmware ignores `slot` and returns the same image twice: the misplaced one is
    // reported, the other used.
    let same = [stored[0].clone(), stored[0].clone()];
    let sim = Sim::with(Recorder { stored: same, ..Recorder::default() }, |_| {});
    assert_eq!(lifetime(&sim), 600);
    let ignored = sim.events_of(lwbs_event_kind::LWBS_EVENT_STORAGE_IGNORED);
    assert_eq!(
        ignored[0].detail.as_deref(),
        Some("slot 1: image of generation 2 in the wrong slot")
    );

    // A foreign image (another library's magic) next to nothing.
    let foreign = [Some(b"WAKAMA-OBJECTS-0123456789".to_vec()), None];
    let sim = Sim::with(Recorder { stored: foreign, ..Recorder::default() }, |_| {});
    assert_eq!(sim.server_count(), 0);
    let ignored = sim.events_of(lwbs_event_kind::LWBS_EVENT_STORAGE_IGNORED);
    assert_eq!(
        ignored[0].detail.as_deref(),
        Some("slot 0: foreign image (not an lwm2m-bootstrap image (bad magic))")
    );
}

#[test]
fn after_a_failed_save_the_bootstrap_is_retried_and_its_write_goes_to_the_same_slot() {
    let mut sim = Sim::with(Recorder { save_rc: -1, ..Recorder::default() }, |_| {});
    sim.provision_bootstrap();
    sim.start();
    let (bs, req) = sim.next_sent();
    sim.answer(bs, &req, Code::CHANGED, &[]);
    sim.request(bs, Code::PUT, "/0", Some(dm_security(1, DM_URI, 1)));
    sim.request(bs, Code::PUT, "/1", Some(dm_server(0, 1, 60)));
    let mut finish = Message::new(MessageType::Confirmable, Code::POST);
    finish.message_id = 0x9998;
    finish.set_token(&[8]);
    finish.set_uri_path(&["bs"]);
    assert_eq!(sim.deliver(bs, &finish), LWBS_ERR_STORAGE);
    assert_eq!(sim.next_sent().1.code, Code::INTERNAL_SERVER_ERROR);
    sim.rec().save_rc = 0;
    // The back-off, then the sequence bootstraps again by itself.
    let mut deadline = 0u64;
    while sim.rec().sent.is_empty() {
        assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
        assert!(deadline < sim.now + 600_000, "the retry is scheduled");
        sim.now = deadline;
    }
    sim.bootstrap();
    sim.register();
    let saved = sim.rec().saved.clone();
    assert_eq!(saved.iter().map(|(slot, _)| *slot).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(decode_image(&saved[1].1).unwrap().1, 1, "generation 1 again");
}

#[test]
fn a_failed_save_answers_the_finish_5_00_and_keeps_the_previous_configuration() {
    let mut sim = Sim::with(Recorder { save_rc: -1, ..Recorder::default() }, |_| {});
    sim.provision_bootstrap();
    sim.start();
    let (bs, req) = sim.next_sent();
    sim.answer(bs, &req, Code::CHANGED, &[]);
    assert_eq!(
        sim.request(bs, Code::PUT, "/0", Some(dm_security(1, DM_URI, 1))).code,
        Code::CHANGED
    );
    assert_eq!(sim.request(bs, Code::PUT, "/1", Some(dm_server(0, 1, 60))).code, Code::CHANGED);
    let mut finish = Message::new(MessageType::Confirmable, Code::POST);
    finish.message_id = 0x9999;
    finish.set_token(&[9]);
    finish.set_uri_path(&["bs"]);
    let sends_before = sim.rec().trace.iter().filter(|t| t.starts_with("send")).count();
    assert_eq!(sim.deliver(bs, &finish), LWBS_ERR_STORAGE);
    let (_, resp) = sim.next_sent();
    assert_eq!(resp.code, Code::INTERNAL_SERVER_ERROR, "a Finish that is not durable is no 2.04");
    assert_eq!(resp.message_id, 0x9999);
    let failed = sim.events_of(lwbs_event_kind::LWBS_EVENT_STORAGE_FAILED);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].detail.as_deref(), Some("slot 1 generation 1: save failed"));
    let bs_failed = sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_FAILED);
    assert_eq!(bs_failed.len(), 1);
    assert_eq!(bs_failed[0].reason, lwbs_bootstrap_failure::LWBS_BOOTSTRAP_FAILURE_STORAGE as u32);
    assert!(sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_FINISHED).is_empty());
    assert!(sim.events_of(lwbs_event_kind::LWBS_EVENT_CONFIGURATION_CHANGED).is_empty());
    assert_eq!(sim.server_count(), 0, "the previous configuration stays");
    assert_eq!(sim.state(), lwbs_state::LWBS_STATE_FAILED as u32);
    // Order: save() returned before the Finish answer went out, and only one answer did.
    let trace = sim.rec().trace.clone();
    let save = trace.iter().position(|t| t == "save 1").unwrap();
    let sends: Vec<usize> = trace
        .iter()
        .enumerate()
        .filter(|(_, t)| t.starts_with("send"))
        .map(|(i, _)| i)
        .skip(sends_before)
        .collect();
    assert_eq!(sends.len(), 1, "{trace:?}");
    assert!(save < sends[0], "save() precedes the Finish answer: {trace:?}");
    assert!(!trace.iter().any(|t| t.starts_with("open 2")), "no Register: {trace:?}");
    assert!(sim
        .rec()
        .logs
        .iter()
        .any(|(level, l)| *level == 1 && l == "save of the configuration to slot 1 failed (-1)"));
}

// ----- DM request hook -------------------------------------------------------------------------

fn registered_sim(with_hook: bool) -> (Sim, u32) {
    let mut sim = Sim::with(Recorder::default(), |p| {
        if !with_hook {
            p.dm_request = None;
        }
    });
    assert_eq!(sim.provision_server(1), LWBS_OK);
    sim.start();
    let dm = sim.register();
    (sim, dm)
}

#[test]
fn dm_requests_for_firmware_objects_reach_the_hook() {
    let (mut sim, dm) = registered_sim(true);
    sim.rec().dm_answer = (0x45, 0, b"hello".to_vec());
    let resp = sim.request(dm, Code::GET, "/3/0/1", None);
    assert_eq!(resp.code, Code::CONTENT);
    assert_eq!(resp.payload, b"hello");
    assert_eq!(resp.content_format(), Some(0));
    assert_eq!(
        sim.rec().dm_requests,
        [RecDmRequest {
            ssid: 1,
            method: 1,
            path: [3, 0, 1, u16::MAX],
            content_format: u16::MAX,
            payload: vec![],
        }]
    );
    // /0 is refused by the library itself; /1 is the library's.
    assert_eq!(sim.request(dm, Code::GET, "/0/0", None).code, Code::UNAUTHORIZED);
    assert_eq!(sim.request(dm, Code::GET, "/1/0/1", None).code, Code::CONTENT);
    assert_eq!(sim.rec().dm_requests.len(), 1, "the hook saw neither");
}

#[test]
fn without_the_hook_firmware_objects_are_not_found() {
    let (mut sim, dm) = registered_sim(false);
    assert_eq!(sim.request(dm, Code::GET, "/3/0", None).code, Code::NOT_FOUND);
    assert!(sim.rec().dm_requests.is_empty());
}

// ----- the Bootstrap Sequence through the C ABI ------------------------------------------------

fn reason(sim: &Sim) -> u32 {
    let mut r = u32::MAX;
    assert_eq!(unsafe { lwbs_client_state_reason(sim.client, &mut r) }, LWBS_OK);
    r
}

fn with_bootstrap_callbacks(p: &mut lwbs_platform) {
    p.bootstrap_begin = Some(on_bs_begin);
    p.bootstrap_write = Some(on_bs_write);
    p.bootstrap_delete = Some(on_bs_delete);
    p.bootstrap_validate = Some(on_bs_validate);
    p.bootstrap_end = Some(on_bs_end);
}

#[test]
fn state_reason_transport_errors_and_wall_clock_through_the_c_api() {
    use lwbs_state_reason::*;
    let mut sim = Sim::new();
    assert_eq!(reason(&sim), LWBS_REASON_NONE as u32);
    sim.provision_bootstrap();
    assert_eq!(unsafe { lwbs_client_set_time(sim.client, sim.now, 1_700_000_000) }, LWBS_OK);
    sim.start();
    assert_eq!(
        (sim.state(), reason(&sim)),
        (lwbs_state::LWBS_STATE_BOOTSTRAPPING as u32, LWBS_REASON_NO_SERVER_ACCOUNT as u32)
    );
    // ECONNREFUSED on the bootstrap connection: the bootstrap fails now, retried later.
    let (bs, _) = sim.next_sent();
    assert_eq!(unsafe { lwbs_client_conn_error(sim.client, bs, sim.now) }, LWBS_OK);
    let failed = sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_FAILED);
    assert_eq!(failed[0].reason, lwbs_bootstrap_failure::LWBS_BOOTSTRAP_FAILURE_TRANSPORT as u32);
    assert_eq!(
        (sim.state(), reason(&sim)),
        (lwbs_state::LWBS_STATE_FAILED as u32, LWBS_REASON_BOOTSTRAP_FAILED as u32)
    );
    assert_eq!(
        unsafe { lwbs_client_conn_error(sim.client, 99, sim.now) },
        LWBS_ERR_UNKNOWN_CONNECTION
    );
    // The back-off (default 10 s, jittered to 5..10 s) then the retry.
    let mut deadline = 0u64;
    assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
    assert!((sim.now + 5_000..=sim.now + 10_000).contains(&deadline), "{deadline}");
    sim.now = deadline;
    assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
    assert_eq!(reason(&sim), LWBS_REASON_BOOTSTRAP_RETRY as u32);
    sim.bootstrap();
    let dm = sim.register();
    assert_eq!(reason(&sim), LWBS_REASON_BOOTSTRAPPED as u32);
    let read = sim.request(dm, Code::GET, "/1/0/12", None);
    assert_eq!(read.code, Code::CONTENT, "Last Bootstrapped is set");
    let kinds = sim.rec().events.iter().map(|e| e.kind).collect::<Vec<_>>();
    assert!(!kinds.contains(&(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_ACCOUNT_PURGED as u32)));
    unsafe {
        let mut r = 0u32;
        assert_eq!(lwbs_client_state_reason(null(), &mut r), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_state_reason(sim.client, null_mut()), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_conn_error(null_mut(), 1, 0), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_set_time(null_mut(), 0, 0), LWBS_ERR_NULL);
    }
}

#[test]
fn firmware_objects_reach_the_bootstrap_callbacks_veto_then_commit() {
    let mut sim =
        Sim::with(Recorder { bs_veto: 1, ..Recorder::default() }, with_bootstrap_callbacks);
    sim.provision_bootstrap();
    sim.start();
    let (bs, req) = sim.next_sent();
    sim.answer(bs, &req, Code::CHANGED, &[]);
    assert_eq!(sim.request(bs, Code::PUT, "/5/0", Some(vec![0xC1, 0, 7])).code, Code::CHANGED);
    assert_eq!(sim.request(bs, Code::DELETE, "/", None).code, Code::DELETED);
    assert_eq!(
        sim.request(bs, Code::PUT, "/0", Some(dm_security(1, DM_URI, 1))).code,
        Code::CHANGED
    );
    assert_eq!(sim.request(bs, Code::PUT, "/1", Some(dm_server(0, 1, 60))).code, Code::CHANGED);
    assert_eq!(sim.request(bs, Code::POST, "/bs", None).code, Code::NOT_ACCEPTABLE, "vetoed");
    // The refusal ends nothing: the firmware's transaction stays open, the library's staged
    // writes stay staged, for the corrected Finish of the same session.
    assert_eq!(
        std::mem::take(&mut sim.rec().bs_objects),
        ["begin", "write /5/0 11542 3", "delete /", "validate"]
    );
    assert_eq!(sim.server_count(), 0, "nothing committed by a refused Finish");
    sim.rec().bs_veto = 0;
    // The server resends only the firmware's object, then Finish: /0 and /1 are still staged.
    assert_eq!(sim.request(bs, Code::PUT, "/5/0", Some(vec![0xC1, 0, 7])).code, Code::CHANGED);
    assert_eq!(sim.request(bs, Code::POST, "/bs", None).code, Code::CHANGED);
    assert_eq!(sim.rec().bs_objects, ["write /5/0 11542 3", "validate", "end true"]);
    assert_eq!(sim.server_count(), 1);
}

#[test]
fn an_older_platform_struct_means_absent_bootstrap_callbacks_and_old_config_defaults() {
    // A 0.1 caller: struct_size ends at dm_request; whatever lies beyond is never read.
    let platform_v0_1 = std::mem::offset_of!(lwbs_platform, bootstrap_begin) as u32;
    let mut sim = Sim::with(Recorder::default(), |p| {
        with_bootstrap_callbacks(p);
        p.struct_size = platform_v0_1;
    });
    sim.provision_bootstrap();
    sim.start();
    let (bs, req) = sim.next_sent();
    sim.answer(bs, &req, Code::CHANGED, &[]);
    assert_eq!(sim.request(bs, Code::PUT, "/5/0", Some(vec![0xC1, 0, 7])).code, Code::NOT_FOUND);
    assert!(sim.rec().bs_objects.is_empty());
    // A 0.1 config: the appended fields take their defaults (garbage beyond is ignored).
    let endpoint = cstring("ep");
    let mut old = config(&endpoint);
    old.struct_size = std::mem::offset_of!(lwbs_config, bootstrap_backoff_base_s) as u32;
    old.registration_retry_count = 0xDEAD;
    let recorder = Box::into_raw(Box::<Recorder>::default());
    let mut out = null_mut();
    assert_eq!(unsafe { lwbs_client_new(&old, &platform(recorder), &mut out) }, LWBS_OK);
    unsafe {
        lwbs_client_free(out);
        drop(Box::from_raw(recorder));
    }
}

#[test]
fn config_retry_defaults_and_backoff_reach_the_engine() {
    let endpoint = cstring("urn:dev:ffi");
    let c = config(&endpoint);
    assert_eq!(
        (
            c.bootstrap_backoff_base_s,
            c.bootstrap_backoff_cap_s,
            c.registration_retry_count,
            c.registration_retry_timer_s,
            c.registration_sequence_retry_count,
            c.registration_sequence_delay_s
        ),
        (10, 3600, 5, 60, 1, 86400),
        "lwbs_config_init fills the defaults of Table 6.2.1.1-1"
    );
    let mut c = c;
    c.registration_retry_count = 2;
    c.registration_retry_timer_s = 7;
    let recorder = Box::into_raw(Box::<Recorder>::default());
    let mut client = null_mut();
    assert_eq!(unsafe { lwbs_client_new(&c, &platform(recorder), &mut client) }, LWBS_OK);
    let mut sim = Sim { client, recorder, now: 1_000, mid: 0x7000 };
    sim.provision_bootstrap();
    assert_eq!(sim.provision_server(1), LWBS_OK);
    sim.start();
    let (dm, _) = sim.next_sent();
    assert_eq!(unsafe { lwbs_client_conn_error(sim.client, dm, sim.now) }, LWBS_OK);
    let mut deadline = 0;
    assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
    assert_eq!(deadline, sim.now + 7_000, "Communication Retry Timer from lwbs_config");
    sim.now = deadline;
    assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
    let (dm, _) = sim.next_sent();
    assert_eq!(unsafe { lwbs_client_conn_error(sim.client, dm, sim.now) }, LWBS_OK);
    assert_eq!(
        sim.events_of(lwbs_event_kind::LWBS_EVENT_BOOTSTRAP_STARTED).len(),
        1,
        "2 attempts, then the bootstrap"
    );
}

// ----- Bootstrap from Smartcard through card_present / card_transmit ---------------------------

const CARD_URI: &str = "coap://127.0.0.1:5690";

fn card_ef(uri: &str, ssid: i64, lifetime: i64) -> Vec<u8> {
    use lwm2m_bootstrap::model::{security_res, server_res, DataModel, Instance, Origin, Value};
    let mut m = DataModel::new();
    m.insert(
        0,
        0,
        Instance::new(Origin::Smartcard)
            .with(security_res::URI, Value::String(uri.into()))
            .with(security_res::BOOTSTRAP_SERVER, Value::Boolean(false))
            .with(security_res::MODE, Value::Integer(3))
            .with(security_res::SSID, Value::Integer(ssid)),
    );
    m.insert(
        1,
        0,
        Instance::new(Origin::Smartcard)
            .with(server_res::SSID, Value::Integer(ssid))
            .with(server_res::LIFETIME, Value::Integer(lifetime))
            .with(server_res::NOTIFICATION_STORING, Value::Boolean(false))
            .with(server_res::BINDING, Value::String("U".into())),
    );
    support::uicc::ef_from_model(&m)
}

fn with_card(card: Option<support::uicc::SimCard>) -> Sim {
    let recorder = Recorder { card, ..Recorder::default() };
    Sim::with(recorder, |p| {
        p.card_present = Some(on_card_present);
        p.card_transmit = Some(on_card_transmit);
    })
}

fn tick_until_sent(sim: &mut Sim) {
    for _ in 0..10_000 {
        if !sim.rec().sent.is_empty() {
            return;
        }
        let mut deadline = 0u64;
        assert_eq!(unsafe { lwbs_client_tick(sim.client, sim.now, &mut deadline) }, LWBS_OK);
        sim.now = deadline.max(sim.now + 1);
    }
    panic!("nothing sent");
}

fn opened_uri(sim: &Sim, conn: u32) -> String {
    let prefix = format!("open {conn} ");
    sim.rec().trace.iter().rev().find_map(|t| t.strip_prefix(&prefix)).unwrap().to_string()
}

#[test]
fn a_card_through_the_platform_callbacks_wins_and_its_removal_brings_back_the_factory_server() {
    let card = support::uicc::SimCard::standard(card_ef(CARD_URI, 2, 300));
    let mut sim = with_card(Some(card));
    assert_eq!(sim.provision_server(1), LWBS_OK);
    sim.start();
    let applied = sim.events_of(lwbs_event_kind::LWBS_EVENT_SMARTCARD_APPLIED);
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].accounts, 1);
    assert_eq!(applied[0].detail.as_deref(), Some("bootstrap_account=0 ignored_objects=0"));
    let dm = sim.register();
    assert_eq!(opened_uri(&sim, dm), CARD_URI);
    assert_eq!(reason(&sim), lwbs_state_reason::LWBS_REASON_SMARTCARD as u32);
    assert!(sim.rec().saved.is_empty(), "nothing from the card is saved");
    assert!(sim.rec().card.as_ref().unwrap().open_channels() == 0);
    // The card is removed: at the next Update its information is deleted, X registers.
    sim.rec().card = None;
    tick_until_sent(&mut sim);
    assert_eq!(sim.events_of(lwbs_event_kind::LWBS_EVENT_SMARTCARD_REMOVED).len(), 1);
    let x = sim.register();
    assert_eq!(opened_uri(&sim, x), DM_URI);
    assert!(sim.rec().trace.contains(&format!("close {dm}")));
    assert_eq!(reason(&sim), lwbs_state_reason::LWBS_REASON_FACTORY_CONFIGURATION as u32);
}

#[test]
fn a_card_that_does_not_answer_is_rejected_and_the_factory_server_registers() {
    let card = support::uicc::SimCard::standard(card_ef(CARD_URI, 2, 300));
    let mut sim = with_card(Some(card));
    sim.rec().card_rc = -5;
    assert_eq!(sim.provision_server(1), LWBS_OK);
    sim.start();
    let rejected = sim.events_of(lwbs_event_kind::LWBS_EVENT_SMARTCARD_REJECTED);
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].detail.as_deref().unwrap().contains("no answer"), "{rejected:?}");
    let x = sim.register();
    assert_eq!(opened_uri(&sim, x), DM_URI);
}

#[test]
fn without_card_callbacks_or_with_an_older_platform_there_is_no_smartcard_step() {
    let card = support::uicc::SimCard::standard(card_ef(CARD_URI, 2, 300));
    let recorder = Recorder { card: Some(card), ..Recorder::default() };
    let mut sim = Sim::with(recorder, |p| {
        p.card_present = Some(on_card_present);
        p.card_transmit = Some(on_card_transmit);
        p.struct_size = std::mem::offset_of!(lwbs_platform, card_present) as u32;
    });
    assert_eq!(sim.provision_server(1), LWBS_OK);
    sim.start();
    assert!(!sim.rec().trace.iter().any(|t| t == "apdu"), "callbacks beyond struct_size unused");
    let x = sim.register();
    assert_eq!(opened_uri(&sim, x), DM_URI);
    let mut c = std::mem::MaybeUninit::<lwbs_smartcard_config>::uninit();
    unsafe { lwbs_smartcard_config_init(c.as_mut_ptr()) };
    let c = unsafe { c.assume_init() };
    assert_eq!(unsafe { lwbs_client_set_smartcard(sim.client, &c) }, LWBS_ERR_PLATFORM);
}

#[test]
fn smartcard_config_pin_and_argument_checks() {
    let mut card = support::uicc::SimCard::standard(card_ef(CARD_URI, 2, 300));
    card.pin = Some((0x01, b"4321\xFF\xFF\xFF\xFF".to_vec()));
    card.files.get_mut(&support::uicc::EF_FID).unwrap().pin = true;
    let mut sim = with_card(Some(card));
    let mut c = std::mem::MaybeUninit::<lwbs_smartcard_config>::uninit();
    unsafe { lwbs_smartcard_config_init(c.as_mut_ptr()) };
    let mut c = unsafe { c.assume_init() };
    assert_eq!(c.struct_size as usize, size_of::<lwbs_smartcard_config>());
    assert!(c.logical_channel);
    assert_eq!((c.max_chunk, c.pin_len), (255, 0));
    unsafe {
        assert_eq!(lwbs_client_set_smartcard(sim.client, null()), LWBS_ERR_NULL);
        assert_eq!(lwbs_client_set_smartcard(null_mut(), &c), LWBS_ERR_NULL);
        let bad = lwbs_smartcard_config { max_chunk: 0, ..c };
        assert_eq!(lwbs_client_set_smartcard(sim.client, &bad), LWBS_ERR_INVALID_ARGUMENT);
        let small = lwbs_smartcard_config { struct_size: 4, ..c };
        assert_eq!(lwbs_client_set_smartcard(sim.client, &small), LWBS_ERR_INVALID_ARGUMENT);
        let nine = [b'1'; 9];
        let long = lwbs_smartcard_config { pin: nine.as_ptr(), pin_len: 9, ..c };
        assert_eq!(lwbs_client_set_smartcard(sim.client, &long), LWBS_ERR_INVALID_ARGUMENT);
    }
    let pin = *b"4321";
    c.pin = pin.as_ptr();
    c.pin_len = pin.len();
    c.max_chunk = 16;
    assert_eq!(unsafe { lwbs_client_set_smartcard(sim.client, &c) }, LWBS_OK);
    sim.start();
    assert_eq!(sim.events_of(lwbs_event_kind::LWBS_EVENT_SMARTCARD_APPLIED).len(), 1);
    let dm = sim.register();
    assert_eq!(opened_uri(&sim, dm), CARD_URI);
    let reads = sim.rec().card.as_ref().unwrap().commands(0xB0).len();
    assert!(reads > 4, "small chunks: {reads} READ BINARY");
    assert_eq!(unsafe { lwbs_client_set_smartcard(sim.client, &c) }, LWBS_ERR_INVALID_STATE);
}

// ----- SCP03 through lwbs_smartcard_config (the bundled Mbed TLS AES) -------------------------

const SCP03_ENC: [u8; 16] = [
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F,
];
const SCP03_MAC: [u8; 16] = [
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F,
];
const SCP03_DEK: [u8; 16] = [0x60; 16];

/// A standard card whose reads need an SCP03 secure channel with `enc` / `mac`.
fn scp03_card(enc: &[u8], mac: &[u8]) -> support::uicc::SimCard {
    let mut card = support::uicc::SimCard::standard(card_ef(CARD_URI, 2, 300));
    card.scp03 = Some(support::uicc::SimScp03 {
        enc: enc.to_vec(),
        mac: mac.to_vec(),
        kvn: 0x30,
        i: 0x70,
        required: true,
    });
    card
}

fn smartcard_config() -> lwbs_smartcard_config {
    let mut c = std::mem::MaybeUninit::<lwbs_smartcard_config>::uninit();
    unsafe { lwbs_smartcard_config_init(c.as_mut_ptr()) };
    unsafe { c.assume_init() }
}

fn with_scp03_keys(
    c: lwbs_smartcard_config,
    enc: &[u8],
    mac: &[u8],
    dek: &[u8],
) -> lwbs_smartcard_config {
    lwbs_smartcard_config {
        scp03_key_version: 0x30,
        scp03_enc_key: enc.as_ptr(),
        scp03_mac_key: mac.as_ptr(),
        scp03_dek_key: dek.as_ptr(),
        scp03_key_len: enc.len(),
        ..c
    }
}

#[cfg(feature = "dtls")]
#[test]
fn scp03_through_the_c_callbacks_opens_the_secure_channel_at_level_0x33() {
    for len in [16usize, 24, 32] {
        let enc: Vec<u8> = (0x40..0x40 + len as u8).collect();
        let mac: Vec<u8> = (0x80..0x80 + len as u8).collect();
        let dek = vec![0x60; len];
        let mut sim = with_card(Some(scp03_card(&enc, &mac)));
        assert_eq!(sim.provision_server(1), LWBS_OK);
        let c = smartcard_config();
        assert_eq!(c.scp03_security_level, 0x33, "the appendix's level by default");
        let mut c = with_scp03_keys(c, &enc, &mac, &dek);
        assert_eq!(unsafe { lwbs_client_set_smartcard(sim.client, &c) }, LWBS_OK);
        // The keys were copied: the caller's buffers may go.
        c.scp03_enc_key = null();
        drop((enc, mac, dek));
        sim.start();
        let applied = sim.events_of(lwbs_event_kind::LWBS_EVENT_SMARTCARD_APPLIED);
        assert_eq!(applied.len(), 1, "key length {len}: {:?}", sim.rec().trace);
        let dm = sim.register();
        assert_eq!(opened_uri(&sim, dm), CARD_URI);
        let rec = sim.rec();
        let card = rec.card.as_ref().unwrap();
        let ext_auth = card.commands(0x82);
        assert_eq!(ext_auth.len(), 1);
        assert_eq!(ext_auth[0][2], 0x33, "EXTERNAL AUTHENTICATE P1: C-MAC, C-DEC, R-MAC, R-ENC");
        assert_eq!(card.commands(0x50)[0][2], 0x30, "INITIALIZE UPDATE with the key version");
        assert_eq!(card.open_channels(), 0);
    }
}

#[test]
fn scp03_with_wrong_keys_is_rejected_and_the_factory_server_registers() {
    let mut sim = with_card(Some(scp03_card(&SCP03_ENC, &SCP03_MAC)));
    assert_eq!(sim.provision_server(1), LWBS_OK);
    let c = with_scp03_keys(smartcard_config(), &SCP03_ENC, &SCP03_ENC, &SCP03_DEK);
    let expected = if cfg!(feature = "dtls") { LWBS_OK } else { LWBS_ERR_INVALID_ARGUMENT };
    assert_eq!(unsafe { lwbs_client_set_smartcard(sim.client, &c) }, expected);
    sim.start();
    let rejected = sim.events_of(lwbs_event_kind::LWBS_EVENT_SMARTCARD_REJECTED);
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(sim.events_of(lwbs_event_kind::LWBS_EVENT_SMARTCARD_APPLIED).is_empty());
    if cfg!(feature = "dtls") {
        let detail = rejected[0].detail.as_deref().unwrap();
        assert!(detail.contains("secure channel"), "{detail}");
        assert!(sim.rec().card.as_ref().unwrap().commands(0xB0).is_empty(), "nothing read");
    }
    let x = sim.register();
    assert_eq!(opened_uri(&sim, x), DM_URI);
    assert_eq!(reason(&sim), lwbs_state_reason::LWBS_REASON_FACTORY_CONFIGURATION as u32);
}

#[test]
fn scp03_config_argument_checks_and_older_callers() {
    let mut sim = with_card(Some(scp03_card(&SCP03_ENC, &SCP03_MAC)));
    let c = smartcard_config();
    let keyed = with_scp03_keys(c, &SCP03_ENC, &SCP03_MAC, &SCP03_DEK);
    let invalid = [
        lwbs_smartcard_config { scp03_key_len: 15, ..keyed },
        lwbs_smartcard_config { scp03_key_len: 0, ..keyed },
        lwbs_smartcard_config { scp03_key_len: 64, ..keyed },
        lwbs_smartcard_config { scp03_dek_key: null(), ..keyed },
        lwbs_smartcard_config { scp03_enc_key: null(), ..keyed },
        lwbs_smartcard_config { scp03_security_level: 0x31, ..keyed },
        lwbs_smartcard_config { scp03_security_level: 0x00, ..keyed },
        lwbs_smartcard_config { scp03_security_level: 0x30, ..keyed },
        lwbs_smartcard_config { scp03_key_len: 16, ..c },
        lwbs_smartcard_config { struct_size: SMARTCARD_V0_SIZE as u32 - 4, ..c },
    ];
    for (n, bad) in invalid.iter().enumerate() {
        let rc = unsafe { lwbs_client_set_smartcard(sim.client, bad) };
        assert_eq!(rc, LWBS_ERR_INVALID_ARGUMENT, "#{n}");
    }
    // Every level SCP03 allows is accepted (with an AES in the build).
    for level in [0x01, 0x03, 0x11, 0x13, 0x33] {
        let ok = lwbs_smartcard_config { scp03_security_level: level, ..keyed };
        let expected = if cfg!(feature = "dtls") { LWBS_OK } else { LWBS_ERR_INVALID_ARGUMENT };
        assert_eq!(unsafe { lwbs_client_set_smartcard(sim.client, &ok) }, expected, "{level:#x}");
    }
    // No keys at all (the init defaults) means no secure channel.
    assert_eq!(unsafe { lwbs_client_set_smartcard(sim.client, &c) }, LWBS_OK);
    // An older caller's struct ends before the SCP03 fields: whatever lies beyond its
    // struct_size is ignored, and it gets no secure channel.
    let old = lwbs_smartcard_config {
        struct_size: SMARTCARD_V0_SIZE as u32,
        scp03_key_len: 7,
        scp03_security_level: 0xEE,
        ..keyed
    };
    assert_eq!(unsafe { lwbs_client_set_smartcard(sim.client, &old) }, LWBS_OK);
    assert_eq!(sim.provision_server(1), LWBS_OK);
    sim.start();
    // The card insists on SCP03: without it the walk fails, and X registers.
    assert_eq!(sim.events_of(lwbs_event_kind::LWBS_EVENT_SMARTCARD_REJECTED).len(), 1);
    assert!(sim.rec().card.as_ref().unwrap().commands(0x50).is_empty(), "no INITIALIZE UPDATE");
    let x = sim.register();
    assert_eq!(opened_uri(&sim, x), DM_URI);
}

/// `sizeof(lwbs_smartcard_config)` before the SCP03 fields (0.3).
const SMARTCARD_V0_SIZE: usize = std::mem::offset_of!(lwbs_smartcard_config, scp03_key_version);

#[test]
fn smartcard_config_layout_appends_scp03_at_the_end() {
    // The 0.3 struct ended with `size_t pin_len` at a pointer-aligned offset.
    let v0_end = std::mem::offset_of!(lwbs_smartcard_config, pin_len) + size_of::<usize>();
    assert_eq!(SMARTCARD_V0_SIZE, v0_end);
    let fields = [
        std::mem::offset_of!(lwbs_smartcard_config, scp03_key_version),
        std::mem::offset_of!(lwbs_smartcard_config, scp03_security_level),
        std::mem::offset_of!(lwbs_smartcard_config, scp03_enc_key),
        std::mem::offset_of!(lwbs_smartcard_config, scp03_mac_key),
        std::mem::offset_of!(lwbs_smartcard_config, scp03_dek_key),
        std::mem::offset_of!(lwbs_smartcard_config, scp03_key_len),
    ];
    assert!(fields.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(smartcard_config().struct_size as usize, size_of::<lwbs_smartcard_config>());
}
