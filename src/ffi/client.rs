//! `lwbs_client`: the opaque handle, its life cycle, commands, input and getters.
//!
//! The handle points to a boxed [`Inner`]. C code only ever holds the pointer. Calls never
//! create a `&mut Inner`: the engine sits in a `RefCell`, so a callback that calls back into
//! the same client finds it borrowed and gets `LWBS_ERR_BUSY` instead of a second `&mut`.

use core::cell::{Cell, RefCell};
use core::ffi::c_char;

use zeroize::Zeroize;

use super::cast::{self, Out};
use super::config::{self, lwbs_account, lwbs_config};
use super::event::{lwbs_state, lwbs_state_reason, OwnedEvent};
use super::panic::catch_or;
use super::platform::{lwbs_conn, lwbs_platform, Level, Platform};
use super::result::lwbs_result::{self, *};
use super::result::{to_result, Refusal, Status};
use crate::client::{Client, ClientError, ConnId, Event};
use crate::persist::SLOT_COUNT;

/// An LwM2M client (Bootstrap Interface and registration). Opaque: created by
/// `lwbs_client_new`, freed by `lwbs_client_free`, used by one thread at a time.
#[allow(non_camel_case_types)]
pub struct lwbs_client {
    _private: [u8; 0],
}

/// What the handle points to.
pub(crate) struct Inner {
    platform: Platform,
    engine: RefCell<Engine>,
    poisoned: Cell<bool>,
}

/// The mutable part: only reachable through `Inner::engine`.
pub(crate) struct Engine {
    pub(crate) client: Client,
    /// Why the last call failed, when it said (`lwbs_client_last_error`); every call clears it.
    detail: Option<alloc::string::String>,
    /// Whether the fixed-seed warning was logged (once per client).
    warned_fixed_seed: bool,
}

impl Engine {
    /// Keeps `refusal`'s reason for `lwbs_client_last_error`, logs it (`function: reason`,
    /// WARNING) and returns its code.
    fn refuse(&mut self, platform: &Platform, function: &str, refusal: Refusal) -> lwbs_result {
        if let Some(detail) = &refusal.detail {
            platform.log(Level::Warning, &alloc::format!("{function}: {detail}"));
        }
        self.detail = refusal.detail;
        refusal.code
    }
}

/// Runs `body` with the client's engine, behind the NULL check, the poison flag, the
/// re-entrancy guard and the panic boundary. A panic poisons the client.
///
/// # Safety
/// `client` is NULL or a live handle from `lwbs_client_new`.
pub(crate) unsafe fn with_client(
    client: *const lwbs_client,
    body: impl FnOnce(&Platform, &mut Engine) -> Status,
) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    let inner = match unsafe { cast::try_inner::<Inner, _>(client) } {
        Ok(inner) => inner,
        Err(e) => return e,
    };
    if inner.poisoned.get() {
        return LWBS_ERR_PANIC;
    }
    let Ok(mut engine) = inner.engine.try_borrow_mut() else { return LWBS_ERR_BUSY };
    engine.detail = None;
    let result = catch_or(|| to_result(body(&inner.platform, &mut engine)), LWBS_ERR_PANIC);
    if result == LWBS_ERR_PANIC {
        inner.poisoned.set(true);
    }
    result
}

/// As [`with_client`] for the read-only getters.
///
/// # Safety
/// As [`with_client`].
unsafe fn with_client_ref(
    client: *const lwbs_client,
    body: impl FnOnce(&Client) -> Status,
) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    unsafe { with_client(client, |_, engine| body(&engine.client)) }
}

/// Hands everything the engine produced to the platform: events (Connect → `open`,
/// Disconnect → `close`, StorageWrite → `save`, the rest → `event`) and
/// datagrams (→ `send`), until both queues are empty. `LWBS_ERR_STORAGE` when a save failed
/// (everything is drained all the same).
///
/// `save` is synchronous: its outcome is reported to the engine (`storage_write_done` /
/// `storage_write_failed`) as soon as it returns, while the event queue is still being
/// drained and before any datagram of the same step is sent. So a Bootstrap-Finish is never
/// answered before its `save` returned: 2.04 only after `save` returned 0, else 5.00.
fn drain(platform: &Platform, engine: &mut Engine, now: u64) -> Status {
    let mut status = Ok(());
    loop {
        let mut progressed = false;
        while let Some(event) = engine.client.poll_event() {
            progressed = true;
            if let Err(e) = dispatch(platform, engine, &event, now) {
                status = Err(e);
            }
        }
        while let Some(transmit) = engine.client.poll_transmit() {
            progressed = true;
            platform.send(transmit.conn.0, &transmit.data);
        }
        if !progressed {
            return status;
        }
    }
}

fn dispatch(platform: &Platform, engine: &mut Engine, event: &Event, now: u64) -> Status {
    let status = match event {
        Event::Connect { conn, uri } => {
            if uri.starts_with("coaps") && !platform.has_entropy() && !engine.warned_fixed_seed {
                engine.warned_fixed_seed = true;
                platform.log(
                    Level::Warning,
                    "DTLS runs on the fixed test seed: no entropy callback was given, so the \
                     session randomness is predictable; set lwbs_platform.entropy",
                );
            }
            if !platform.open(conn.0, uri) {
                // Nothing was opened (name resolution, no socket): what waits on the
                // connection fails now, not after its retransmissions.
                let _ = engine.client.handle_open_failure(now, *conn);
            }
            return Ok(());
        }
        Event::Disconnect { conn } => {
            platform.close(conn.0);
            return Ok(());
        }
        Event::StorageWrite(write) => {
            if platform.save(write.slot, &write.image) {
                platform.log(
                    Level::Debug,
                    &alloc::format!(
                        "configuration generation {} saved to slot {}",
                        write.generation,
                        write.slot
                    ),
                );
                engine.client.storage_write_done(now);
                return Ok(());
            }
            engine.client.storage_write_failed(now);
            return Err(LWBS_ERR_STORAGE);
        }
        Event::StorageIgnored { slot, reason } => {
            let text = alloc::format!("storage slot {slot}: {reason}: ignored");
            platform.log(Level::Warning, &text);
            Ok(())
        }
        _ => Ok(()),
    };
    if let Some(owned) = OwnedEvent::from_engine(event) {
        platform.log(Level::Info, &owned.describe());
        platform.event(&owned.as_c());
    }
    status
}

/// Restores the configuration from the valid slot with the highest generation, if any;
/// anything else is logged and reported (`LWBS_EVENT_STORAGE_IGNORED`), never trusted.
fn restore(platform: &Platform, engine: &mut Engine) -> Status {
    let mut slots: [Option<alloc::vec::Vec<u8>>; SLOT_COUNT] = Default::default();
    for (slot, content) in slots.iter_mut().enumerate() {
        match platform.load(slot as u8) {
            Ok(data) => *content = data,
            Err(why) => platform.log(
                Level::Warning,
                &alloc::format!("storage slot {slot}: {why}: treated as empty"),
            ),
        }
    }
    let report = engine.client.restore([slots[0].as_deref(), slots[1].as_deref()]);
    for data in slots.iter_mut().flatten() {
        data.zeroize();
    }
    match report?.used {
        Some(slot) => platform.log(
            Level::Info,
            &alloc::format!(
                "configuration generation {} restored from slot {slot}",
                engine.client.storage_generation()
            ),
        ),
        None => platform.log(Level::Info, "no stored configuration"),
    }
    // Idle: nothing here waits for time.
    drain(platform, engine, 0)
}

/// Creates a client (Core 1.1 §5.2.3.1 Factory Bootstrap begins here): copies `*config` and
/// `*platform`, seeds the CoAP identifiers from `entropy`, and restores the configuration
/// that `load` returns from the two storage slots (the valid image with the highest generation;
/// a corrupt, foreign or unreadable one is logged, reported as `LWBS_EVENT_STORAGE_IGNORED`
/// during this call, and ignored, never trusted).
/// The client starts `LWBS_STATE_IDLE`; provision accounts, then `lwbs_client_start`.
///
/// Returns `LWBS_OK` and writes `*out` (only then); `LWBS_ERR_NULL` (any argument, or
/// `config->endpoint`); `LWBS_ERR_INVALID_ARGUMENT` (`struct_size`, empty or non-UTF-8
/// endpoint, an endpoint longer than 252 bytes (`ep=` and the name must fit one 255-byte
/// Uri-Query option), a value out of range); `LWBS_ERR_PLATFORM` (`open`, `send` or `close`
/// missing, or `entropy` failed); `LWBS_ERR_PANIC`. The reason of an
/// `LWBS_ERR_INVALID_ARGUMENT` is logged (ERROR) through `platform->log` when the platform
/// is valid; `lwbs_config_check` gives it as text.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_new(
    config: *const lwbs_config,
    platform: *const lwbs_platform,
    out: *mut *mut lwbs_client,
) -> lwbs_result {
    catch_or(
        || {
            to_result((|| {
                let out = Out::new(out)?;
                // SAFETY: the caller passes valid structs (or NULL, refused).
                let engine_config = unsafe { config::engine_config(config) };
                // SAFETY: as above.
                let platform = unsafe { Platform::new(platform) };
                let mut engine_config = match (engine_config, &platform) {
                    (Ok(c), _) => c,
                    (Err(refusal), Ok(platform)) => {
                        if let Some(detail) = &refusal.detail {
                            platform
                                .log(Level::Error, &alloc::format!("lwbs_client_new: {detail}"));
                        }
                        return Err(refusal.code);
                    }
                    (Err(refusal), Err(_)) => return Err(refusal.code),
                };
                let platform = platform?;
                engine_config.seed = platform.seed()?;
                engine_config.entropy = platform.dtls_entropy()?;
                let mut client = Client::new(engine_config);
                client.set_dm_handler(super::dm::handler(platform));
                client
                    .set_bootstrap_handler(super::bootstrap_objects::handler(platform))
                    .map_err(|_| LWBS_ERR_PANIC)?;
                client
                    .set_smartcard(super::smartcard::smartcard(platform))
                    .map_err(|_| LWBS_ERR_PANIC)?;
                let mut engine = Engine { client, detail: None, warned_fixed_seed: false };
                restore(&platform, &mut engine)?;
                let inner =
                    Inner { platform, engine: RefCell::new(engine), poisoned: Cell::new(false) };
                // SAFETY: `out` is a writable `lwbs_client *` slot.
                unsafe { out.write(cast::box_into_raw::<Inner, lwbs_client>(inner)) };
                Ok(())
            })())
        },
        LWBS_ERR_PANIC,
    )
}

/// Frees the client: its memory, its configuration (key material is wiped) and its callbacks
/// are never used again. No callback is called (connections are not closed: stop first for a
/// clean deregistration). NULL is a no-op; a call from inside one of the client's own
/// callbacks is ignored.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_free(client: *mut lwbs_client) {
    catch_or(
        || {
            // SAFETY: `client` is NULL or a live handle; checking the borrow before taking the
            // box back keeps a re-entrant free from destroying the client under its caller.
            let busy = unsafe { cast::try_inner::<Inner, _>(client) }
                .is_ok_and(|inner| inner.engine.try_borrow_mut().is_err());
            if !busy {
                // SAFETY: a live handle, no reference to it alive (not borrowed).
                drop(unsafe { cast::box_from_raw::<Inner, lwbs_client>(client) });
            }
        },
        (),
    )
}

/// # Safety
/// As the exports: `client` NULL or live, `account` NULL or a valid struct.
unsafe fn provision(
    client: *mut lwbs_client,
    account: *const lwbs_account,
    bootstrap: bool,
) -> lwbs_result {
    // SAFETY: `client` is NULL or a live handle; `account` NULL or a valid struct.
    let function = if bootstrap {
        "lwbs_client_provision_bootstrap_server"
    } else {
        "lwbs_client_provision_server"
    };
    // SAFETY: `client` is NULL or a live handle; `account` NULL or a valid struct.
    unsafe {
        with_client(client, |platform, engine| {
            let result = (|| {
                let account = config::read_account(account)?;
                let uri = account.security.uri.clone();
                let result = if bootstrap {
                    let mut bs = account.bootstrap();
                    let result = engine.client.provision_bootstrap_account(&bs);
                    config::wipe(&mut bs.security);
                    result
                } else {
                    let mut server = account.server()?;
                    let result = engine.client.provision_server_account(&server);
                    config::wipe(&mut server.security);
                    result
                };
                result.map_err(|e| match e {
                    ClientError::InvalidAccount(why) => Refusal::new(lwbs_result::from(e), why)
                        .about(&alloc::format!("account {uri}")),
                    e => Refusal::from(lwbs_result::from(e)),
                })
            })();
            result.map_err(|refusal| engine.refuse(platform, function, refusal))
        })
    }
}

/// Factory Bootstrap (Core 1.1 §5.2.3.1) of the Bootstrap-Server account: installs it,
/// replacing any existing one (`ssid`, `lifetime_s` and `binding` are ignored). Only while
/// `LWBS_STATE_IDLE`; the change is not saved (the firmware provisions again at every boot).
///
/// Returns `LWBS_OK`, `LWBS_ERR_NULL`, `LWBS_ERR_INVALID_ARGUMENT` (`struct_size`, UTF-8,
/// unknown `security_mode`), `LWBS_ERR_INVALID_ACCOUNT` (bad URI, mode/scheme mismatch,
/// unsupported mode), `LWBS_ERR_INVALID_STATE` (started), `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_provision_bootstrap_server(
    client: *mut lwbs_client,
    account: *const lwbs_account,
) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    unsafe { provision(client, account, true) }
}

/// Factory Bootstrap (Core 1.1 §5.2.3.1) of an LwM2M Server account: a Security (/0) and a
/// Server (/1) instance sharing `ssid`, replacing those with the same `ssid`. Only while
/// `LWBS_STATE_IDLE`.
///
/// Returns as `lwbs_client_provision_bootstrap_server`; `LWBS_ERR_INVALID_ACCOUNT` also for an
/// `ssid` outside 1..65534.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_provision_server(
    client: *mut lwbs_client,
    account: *const lwbs_account,
) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    unsafe { provision(client, account, false) }
}

/// Runs a command, then drains the engine through the callbacks.
/// # Safety
/// `client` is NULL or a live handle.
unsafe fn command(
    client: *mut lwbs_client,
    now: u64,
    run: impl FnOnce(&mut Client) -> Result<(), crate::client::ClientError>,
) -> lwbs_result {
    // SAFETY: `client` is NULL or a live handle.
    unsafe {
        with_client(client, |platform, engine| {
            run(&mut engine.client)?;
            drain(platform, engine, now)
        })
    }
}

/// Starts the Bootstrap Sequence (Core 1.1 §5.2.4): registers with every configured LwM2M
/// Server (Core 1.1 §6.2.1); with none, waits the Client Hold Off Time and bootstraps from the
/// Bootstrap-Server (client-initiated, Core 1.1 §5.2.3.3). Callbacks run before it returns.
///
/// Returns `LWBS_OK` (also when there is nothing to start from: then an
/// `LWBS_EVENT_BOOTSTRAP_FAILED` with reason NO_ACCOUNT and `LWBS_STATE_FAILED`),
/// `LWBS_ERR_INVALID_STATE` (already started), `LWBS_ERR_STORAGE` (a save failed),
/// `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_start(client: *mut lwbs_client, now_ms: u64) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    unsafe { command(client, now_ms, |c| c.start(now_ms)) }
}

/// Stops the client: deregisters from every server (Core 1.1 §6.2.3), abandons a running
/// bootstrap (nothing of it is kept), closes every connection, then reports
/// `LWBS_EVENT_STOPPED` (immediately, or after the De-register responses: keep calling
/// `lwbs_client_recv`/`lwbs_client_tick`).
///
/// Returns `LWBS_OK`, `LWBS_ERR_INVALID_STATE` (idle or already stopping), `LWBS_ERR_NULL`,
/// `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_stop(client: *mut lwbs_client, now_ms: u64) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    unsafe { command(client, now_ms, |c| c.stop(now_ms)) }
}

/// Starts a client-initiated bootstrap now (Core 1.1 §5.2.3.3), for example after a firmware
/// decision or in `LWBS_STATE_FAILED`.
///
/// Returns `LWBS_OK`, `LWBS_ERR_INVALID_STATE` (not started, or stopping),
/// `LWBS_ERR_BOOTSTRAP_IN_PROGRESS`, `LWBS_ERR_NO_BOOTSTRAP_ACCOUNT`, `LWBS_ERR_STORAGE`,
/// `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_trigger_bootstrap(
    client: *mut lwbs_client,
    now_ms: u64,
) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    unsafe { command(client, now_ms, |c| c.trigger_bootstrap(now_ms)) }
}

/// Feeds one datagram received on `conn` (LwM2M Transport 1.1 §6.1: CoAP over UDP) and runs
/// the callbacks for what it caused: responses to Bootstrap-Server operations (Core 1.1
/// §5.2.7), registration responses, DM requests. `(NULL, 0)` is an empty datagram.
///
/// Returns `LWBS_OK`, `LWBS_ERR_UNKNOWN_CONNECTION` (not opened by the library, or already
/// closed), `LWBS_ERR_NULL` (`client`, or `data` NULL with `len` > 0), `LWBS_ERR_STORAGE` (the
/// datagram was processed but saving the new configuration failed), `LWBS_ERR_BUSY`,
/// `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_recv(
    client: *mut lwbs_client,
    conn: lwbs_conn,
    data: *const u8,
    len: usize,
    now_ms: u64,
) -> lwbs_result {
    // SAFETY: `client` is NULL or a live handle; `data` NULL or `len` readable bytes.
    unsafe {
        with_client(client, |platform, engine| {
            let data = cast::try_bytes(data, len)?;
            engine.client.handle_datagram(now_ms, ConnId(conn), data)?;
            drain(platform, engine, now_ms)
        })
    }
}

/// Lets time pass: CoAP retransmissions (RFC 7252 §4.2), the Bootstrap-Finish deadline
/// (EXCHANGE_LIFETIME after the last
/// operation, Core 1.1 §5.2.3.3), the Client Hold Off Time (Core 1.1 §5.2.4),
/// Registration Updates (Core 1.1 §6.2.2). Call it when `*next_deadline_ms` is reached (calling
/// it earlier is harmless). `now_ms` is any monotonic millisecond clock, the same for every
/// call.
///
/// Writes `*next_deadline_ms` (when not NULL) with the next time to call it, `UINT64_MAX` when
/// nothing is pending, on `LWBS_OK` and on `LWBS_ERR_STORAGE` (time was processed, a save
/// failed). Returns those, or `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_tick(
    client: *mut lwbs_client,
    now_ms: u64,
    next_deadline_ms: *mut u64,
) -> lwbs_result {
    let mut deadline = u64::MAX;
    // SAFETY: `client` is NULL or a live handle.
    let result = unsafe {
        with_client(client, |platform, engine| {
            engine.client.handle_timeout(now_ms);
            let status = drain(platform, engine, now_ms);
            deadline = engine.client.poll_timeout().unwrap_or(u64::MAX);
            status
        })
    };
    if matches!(result, LWBS_OK | LWBS_ERR_STORAGE) {
        if let Some(out) = Out::optional(next_deadline_ms) {
            // SAFETY: a non-NULL `next_deadline_ms` points to a writable `uint64_t`.
            unsafe { out.write(deadline) }
        }
    }
    result
}

/// Writes the client's `lwbs_state` to `*out_state`.
///
/// Returns `LWBS_OK`, `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_state(
    client: *const lwbs_client,
    out_state: *mut u32,
) -> lwbs_result {
    // SAFETY: `client` is NULL or a live handle; `out_state` checked before use.
    unsafe {
        with_client_ref(client, |c| {
            Out::new(out_state)?.write(lwbs_state::from(c.state()) as u32);
            Ok(())
        })
    }
}

/// Writes why the client is in its state (an `lwbs_state_reason`) to `*out_reason`: for
/// example `LWBS_STATE_HOLD_OFF` because `LWBS_REASON_REGISTRATION_FAILED` (every server
/// failed), or `LWBS_STATE_FAILED` because `LWBS_REASON_BOOTSTRAP_FAILED` (the library
/// retries after a back-off) vs `LWBS_REASON_NO_BOOTSTRAP_ACCOUNT` (nothing more happens).
///
/// Returns `LWBS_OK`, `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_state_reason(
    client: *const lwbs_client,
    out_reason: *mut u32,
) -> lwbs_result {
    // SAFETY: `client` is NULL or a live handle; `out_reason` checked before use.
    unsafe {
        with_client_ref(client, |c| {
            Out::new(out_reason)?.write(lwbs_state_reason::from(c.state_reason()) as u32);
            Ok(())
        })
    }
}

/// Reports a transport error the firmware saw on `conn`: ICMP port or host unreachable,
/// `ECONNREFUSED` on a connected UDP socket, a network that is down. The request
/// outstanding on `conn` fails at once instead of after its retransmissions (Core 1.1.1
/// §6.2.1.1 counts it as a failed registration attempt; a Bootstrap-Request fails the
/// bootstrap, which is retried after the back-off). Harmless when nothing is outstanding.
///
/// Returns `LWBS_OK`, `LWBS_ERR_UNKNOWN_CONNECTION`, `LWBS_ERR_STORAGE`, `LWBS_ERR_NULL`,
/// `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_conn_error(
    client: *mut lwbs_client,
    conn: lwbs_conn,
    now_ms: u64,
) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    unsafe { command(client, now_ms, |c| c.handle_transport_error(now_ms, ConnId(conn))) }
}

/// Tells the library the wall-clock time: `unix_s` (seconds since 1970-01-01 UTC) is the
/// time at `now_ms` on the monotonic clock the other calls use. Needed for Last Bootstrapped
/// (/1/x/12, written at each successful Bootstrap-Finish); until it is called /1/x/12 stays
/// absent. Call it again when the wall clock is corrected.
///
/// Returns `LWBS_OK`, `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_set_time(
    client: *mut lwbs_client,
    now_ms: u64,
    unix_s: u64,
) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    unsafe {
        command(client, now_ms, |c| {
            c.set_time(now_ms, unix_s);
            Ok(())
        })
    }
}

/// Writes the number of LwM2M Server accounts (a Server instance with its Security instance)
/// in the committed configuration to `*out_count`.
///
/// Returns `LWBS_OK`, `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_server_count(
    client: *const lwbs_client,
    out_count: *mut usize,
) -> lwbs_result {
    // SAFETY: as `lwbs_client_state`.
    unsafe {
        with_client_ref(client, |c| {
            let out = Out::new(out_count)?;
            out.write(c.configuration().server_account_pairs().count());
            Ok(())
        })
    }
}

/// Writes the Short Server ID of the `index`-th LwM2M Server account (0-based, in the order of
/// the Server instances) to `*out_ssid`.
///
/// Returns `LWBS_OK`, `LWBS_ERR_NOT_FOUND` (`index` >= count), `LWBS_ERR_NULL`,
/// `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_server_ssid(
    client: *const lwbs_client,
    index: usize,
    out_ssid: *mut u16,
) -> lwbs_result {
    // SAFETY: as `lwbs_client_state`.
    unsafe {
        with_client_ref(client, |c| {
            let out = Out::new(out_ssid)?;
            let pairs = c.configuration().server_account_pairs();
            let ssid = pairs.filter_map(|(_, s)| s.ssid()).nth(index).ok_or(LWBS_ERR_NOT_FOUND)?;
            out.write(ssid);
            Ok(())
        })
    }
}

/// A checked string output: `(buf, capacity)` and `out_len`.
struct StringOut<'a> {
    buf: &'a mut [u8],
    out_len: Out<usize>,
}

impl StringOut<'_> {
    /// Checks the pointers (before any lookup, so that NULL always answers `LWBS_ERR_NULL`).
    ///
    /// # Safety
    /// `buf` is NULL or `capacity` writable bytes; `out_len` NULL or a writable `size_t`.
    unsafe fn new(
        buf: *mut c_char,
        capacity: usize,
        out_len: *mut usize,
    ) -> Result<Self, lwbs_result> {
        let out_len = Out::new(out_len)?;
        // SAFETY: forwarded to the caller.
        let buf = unsafe { cast::try_buffer(buf.cast::<u8>(), capacity) }?;
        Ok(StringOut { buf, out_len })
    }

    /// Copies `text` NUL-terminated; `*out_len` = its length without the NUL, also when the
    /// buffer is too small (then nothing else is written).
    fn write(self, text: &str) -> Status {
        let bytes = text.as_bytes();
        let fits = self.buf.len() > bytes.len();
        if fits {
            self.buf[..bytes.len()].copy_from_slice(bytes);
            self.buf[bytes.len()] = 0;
        }
        // SAFETY: checked non-NULL in `new`; writable per its contract.
        unsafe { self.out_len.write(bytes.len()) };
        if fits {
            Ok(())
        } else {
            Err(LWBS_ERR_BUFFER_TOO_SMALL)
        }
    }
}

/// Copies the URI of the LwM2M Server account `ssid` (/0/x/0) into `buf` as a NUL-terminated
/// string and its length (without the NUL) into `*out_len`. Call with `(NULL, 0)` to learn the
/// length: `LWBS_ERR_BUFFER_TOO_SMALL` with `*out_len` set; the capacity needed is
/// `*out_len + 1`.
///
/// Returns `LWBS_OK`, `LWBS_ERR_NOT_FOUND`, `LWBS_ERR_BUFFER_TOO_SMALL`, `LWBS_ERR_NULL`
/// (`client`, `out_len`, or `buf` NULL with `capacity` > 0), `LWBS_ERR_BUSY`,
/// `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_server_uri(
    client: *const lwbs_client,
    ssid: u16,
    buf: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> lwbs_result {
    // SAFETY: `client` is NULL or a live handle; buffers per `copy_string`.
    unsafe {
        with_client_ref(client, |c| {
            let out = StringOut::new(buf, capacity, out_len)?;
            let uri = c.configuration().security_for_ssid(ssid).and_then(|a| a.uri());
            out.write(uri.ok_or(LWBS_ERR_NOT_FOUND)?)
        })
    }
}

/// Writes the registration lifetime (/1/x/1, seconds) of server `ssid` to `*out_lifetime_s`.
///
/// Returns `LWBS_OK`, `LWBS_ERR_NOT_FOUND`, `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_server_lifetime(
    client: *const lwbs_client,
    ssid: u16,
    out_lifetime_s: *mut u32,
) -> lwbs_result {
    // SAFETY: as `lwbs_client_state`.
    unsafe {
        with_client_ref(client, |c| {
            let out = Out::new(out_lifetime_s)?;
            let server = c.configuration().server_for_ssid(ssid).ok_or(LWBS_ERR_NOT_FOUND)?;
            out.write(u32::try_from(server.lifetime_s()).unwrap_or(u32::MAX));
            Ok(())
        })
    }
}

/// Copies the location path of the registration with server `ssid` ("/rd/5a3f", from the
/// Register response, Core 1.1 §6.2.1) into `buf`, as `lwbs_client_server_uri` does.
///
/// Returns `LWBS_OK`, `LWBS_ERR_NOT_FOUND` (not registered with `ssid`),
/// `LWBS_ERR_BUFFER_TOO_SMALL`, `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_registration_location(
    client: *const lwbs_client,
    ssid: u16,
    buf: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> lwbs_result {
    // SAFETY: as `lwbs_client_server_uri`.
    unsafe {
        with_client_ref(client, |c| {
            let out = StringOut::new(buf, capacity, out_len)?;
            let registration = c.registration(ssid).filter(|r| r.is_registered());
            out.write(&registration.ok_or(LWBS_ERR_NOT_FOUND)?.location_path())
        })
    }
}

/// Writes whether the committed configuration holds a Bootstrap-Server account to `*out`.
///
/// Returns `LWBS_OK`, `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_has_bootstrap_server(
    client: *const lwbs_client,
    out: *mut bool,
) -> lwbs_result {
    // SAFETY: as `lwbs_client_state`.
    unsafe {
        with_client_ref(client, |c| {
            Out::new(out)?.write(c.configuration().bootstrap_account().is_some());
            Ok(())
        })
    }
}

/// Copies the reason of the last call on `client` that failed with one (for example
/// "account coaps://dm.example: coaps:// URI with Security Mode NoSec: coaps needs PSK or
/// certificate credentials" after `LWBS_ERR_INVALID_ACCOUNT`) into `buf`, as
/// `lwbs_client_server_uri` does; "" when the last call gave no reason. Every other call on
/// the client clears it. The text is English, for logs and people; never key material.
///
/// Returns `LWBS_OK`, `LWBS_ERR_BUFFER_TOO_SMALL`, `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`,
/// `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_last_error(
    client: *const lwbs_client,
    buf: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> lwbs_result {
    catch_or(
        || {
            // SAFETY: `client` is NULL or a live handle.
            let inner = match unsafe { cast::try_inner::<Inner, _>(client) } {
                Ok(inner) => inner,
                Err(e) => return e,
            };
            if inner.poisoned.get() {
                return LWBS_ERR_PANIC;
            }
            let Ok(engine) = inner.engine.try_borrow() else { return LWBS_ERR_BUSY };
            to_result((|| {
                // SAFETY: buffers per `StringOut::new`.
                let out = unsafe { StringOut::new(buf, capacity, out_len) }?;
                out.write(engine.detail.as_deref().unwrap_or(""))
            })())
        },
        LWBS_ERR_PANIC,
    )
}

/// Checks `*config` as `lwbs_client_new` does and returns the same result for it
/// (`LWBS_OK`, `LWBS_ERR_NULL`, `LWBS_ERR_INVALID_ARGUMENT`); copies the reason ("" when
/// valid or without one) into `buf` as `lwbs_client_server_uri` does, for example
/// "Endpoint Client Name of 300 bytes is too long: ...". `buf` may be `(NULL, 0)` with
/// `out_len` NULL to get the result only.
///
/// Returns the check's result, or `LWBS_ERR_BUFFER_TOO_SMALL` when the reason does not fit
/// (`*out_len` is its length), `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_config_check(
    config: *const lwbs_config,
    buf: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> lwbs_result {
    catch_or(
        || {
            // SAFETY: `config` is NULL or a valid struct.
            let (code, detail) = match unsafe { config::engine_config(config) } {
                Ok(_) => (LWBS_OK, None),
                Err(refusal) => (refusal.code, refusal.detail),
            };
            if out_len.is_null() && capacity == 0 {
                return code;
            }
            // SAFETY: buffers per `StringOut::new`.
            let out = match unsafe { StringOut::new(buf, capacity, out_len) } {
                Ok(out) => out,
                Err(e) => return e,
            };
            match out.write(detail.as_deref().unwrap_or("")) {
                Ok(()) => code,
                Err(e) => e,
            }
        },
        LWBS_ERR_PANIC,
    )
}
