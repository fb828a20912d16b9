//! The life cycle of an `lwbs_client` and its commands: create (restoring the stored
//! configuration) and free, factory provisioning, start / stop / trigger, the input (datagrams,
//! time, transport errors, the wall clock) and the state it is in. Every command runs behind
//! the guard (`handle::enter`) and ends with the event pump (`pump::drain`).

use zeroize::Zeroize;

use super::cast::{self, Out};
use super::config::{self, lwbs_account, lwbs_config};
use super::event::{lwbs_state, lwbs_state_reason};
use super::getters::get;
use super::handle::{self, lwbs_client, Handle};
use super::objects;
use super::panic::catch_or;
use super::platform::{lwbs_conn, lwbs_platform, Level, Platform};
use super::pump::drain;
use super::result::lwbs_result::{self, *};
use super::result::{to_result, Refusal, Status};
#[cfg(feature = "smartcard")]
use super::smartcard;
use crate::client::{Client, ClientError, ConnId, SLOT_COUNT};

/// Restores the configuration from the valid slot with the highest generation, if any;
/// anything else is logged and reported (`LWBS_EVENT_STORAGE_IGNORED`), never trusted.
fn restore(handle: &mut Handle) -> Status {
    let platform = &handle.platform;
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
    let report = handle.client.restore([slots[0].as_deref(), slots[1].as_deref()]);
    for data in slots.iter_mut().flatten() {
        data.zeroize();
    }
    match report?.used {
        Some(slot) => platform.log(
            Level::Info,
            &alloc::format!(
                "configuration generation {} restored from slot {slot}",
                handle.client.storage_generation()
            ),
        ),
        None => platform.log(Level::Info, "no stored configuration"),
    }
    // Only the built-in DTLS has sessions to save (a NoSec build does not read the record).
    #[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
    restore_sessions(handle)?;
    // Idle: nothing here waits for time.
    drain(handle, 0)
}

/// Restores the saved DTLS sessions from `load_sessions`, if the firmware persists them.
#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
fn restore_sessions(handle: &mut Handle) -> Status {
    let platform = &handle.platform;
    if !platform.persists_sessions() {
        return Ok(());
    }
    let mut record = match platform.load_sessions() {
        Ok(record) => record.unwrap_or_default(),
        Err(why) => {
            platform
                .log(Level::Warning, &alloc::format!("session record: {why}: treated as empty"));
            alloc::vec::Vec::new()
        }
    };
    let report = handle.client.restore_sessions(&record);
    record.zeroize();
    let report = report?;
    if let Some(why) = report.ignored {
        platform.log(Level::Warning, &alloc::format!("session record ignored: {why}"));
    }
    platform.log(
        Level::Info,
        &alloc::format!(
            "DTLS sessions restored: {}, discarded: {}",
            report.restored,
            report.discarded
        ),
    );
    Ok(())
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
                engine_config.policy.modes.platform = platform.secure_modes();
                engine_config.persist_sessions =
                    cfg!(any(feature = "dtls", feature = "dtls-nostd"))
                        && platform.persists_sessions();
                engine_config.seed = platform.seed()?;
                engine_config.entropy = platform.dtls_entropy()?;
                // On the heap at once, set up there: the handle is the library's largest
                // value, and firmware stacks are small.
                let mut boxed =
                    Handle::boxed(alloc::boxed::Box::new(Client::new(engine_config)), platform);
                let handle = boxed.get_mut();
                let client = &mut handle.client;
                client.set_dm_handler(objects::dm_handler(platform));
                client
                    .set_bootstrap_handler(objects::firmware_objects(platform))
                    .map_err(|_| LWBS_ERR_PANIC)?;
                #[cfg(feature = "smartcard")]
                client.set_smartcard(smartcard::card(platform)).map_err(|_| LWBS_ERR_PANIC)?;
                #[cfg(not(feature = "smartcard"))]
                if platform.has_card() {
                    platform.log(
                        Level::Warning,
                        "lwbs_client_new: card_transmit ignored: no Bootstrap from Smartcard in this build",
                    );
                }
                restore(handle)?;
                // SAFETY: `out` is a writable `lwbs_client *` slot.
                unsafe { out.write(Handle::into_raw(boxed)) };
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
    // SAFETY: `client` is NULL or a live handle, not used by C afterwards.
    catch_or(|| unsafe { handle::free(client) }, ())
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
        handle::enter(client, |handle| {
            let result = (|| {
                let account = config::read_account(account)?;
                let uri = account.security.uri.clone();
                let result = if bootstrap {
                    handle.client.provision_bootstrap_account(&account.bootstrap())
                } else {
                    handle.client.provision_server_account(&account.server()?)
                };
                result.map_err(|e| match e {
                    ClientError::InvalidAccount(why) => Refusal::new(lwbs_result::from(e), why)
                        .about(&alloc::format!("account {uri}")),
                    e => Refusal::from(lwbs_result::from(e)),
                })
            })();
            result.map_err(|refusal| handle.refuse(function, refusal))
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
    run: impl FnOnce(&mut Client) -> Result<(), ClientError>,
) -> lwbs_result {
    // SAFETY: `client` is NULL or a live handle.
    unsafe {
        handle::enter(client, |handle| {
            run(&mut handle.client)?;
            drain(handle, now)
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
        handle::enter(client, |handle| {
            let data = cast::try_bytes(data, len)?;
            handle.client.handle_datagram(now_ms, ConnId(conn), data)?;
            drain(handle, now_ms)
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
        handle::enter(client, |handle| {
            handle.client.handle_timeout(now_ms);
            let status = drain(handle, now_ms);
            deadline = handle.client.poll_timeout().unwrap_or(u64::MAX);
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
    // SAFETY: `client` is NULL or a live handle; `out_state` NULL or a writable `uint32_t`.
    unsafe { get(client, Out::new(out_state), |c| Ok(lwbs_state::from(c.state()) as u32)) }
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
    // SAFETY: `client` is NULL or a live handle; `out_reason` NULL or a writable `uint32_t`.
    unsafe {
        get(client, Out::new(out_reason), |c| Ok(lwbs_state_reason::from(c.state_reason()) as u32))
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

/// Reports that the (D)TLS session the platform runs for `conn` (opened with `open_secure`)
/// failed: the handshake timed out or was refused, or an established session broke. `reason`
/// is an `lwbs_security_failure`; `alert` the TLS alert description received or sent (0..255),
/// or -1 for none. It counts as a failure of the library's own DTLS would: the bootstrap
/// fails (`LWBS_BOOTSTRAP_FAILURE_HANDSHAKE`), a Register attempt fails
/// (`LWBS_REGISTRATION_FAILURE_HANDSHAKE`, the alert kept in /1/x/11), `close` follows for
/// `conn`, and a retry opens a new connection. `LWBS_SECURITY_FAILURE_REFUSED` fails the
/// account with `..._SECURITY_REFUSED` instead.
///
/// Returns `LWBS_OK`, `LWBS_ERR_UNKNOWN_CONNECTION` (not a connection the platform secures),
/// `LWBS_ERR_INVALID_ARGUMENT` (`reason` or `alert` out of range), `LWBS_ERR_STORAGE`,
/// `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_conn_security_failed(
    client: *mut lwbs_client,
    conn: lwbs_conn,
    now_ms: u64,
    reason: u32,
    alert: i32,
) -> lwbs_result {
    use super::platform::lwbs_security_failure::*;
    use crate::security::{ChannelFailure, FailureKind};
    let kind = match reason {
        r if r == LWBS_SECURITY_FAILURE_TIMEOUT as u32 => FailureKind::Timeout,
        r if r == LWBS_SECURITY_FAILURE_PEER_ALERT as u32 => FailureKind::PeerAlert,
        r if r == LWBS_SECURITY_FAILURE_VERIFICATION as u32 => FailureKind::Verification,
        r if r == LWBS_SECURITY_FAILURE_CREDENTIALS as u32 => FailureKind::Credentials,
        r if r == LWBS_SECURITY_FAILURE_REFUSED as u32 => FailureKind::Refused,
        r if r == LWBS_SECURITY_FAILURE_OTHER as u32 => FailureKind::Local(0),
        _ => return LWBS_ERR_INVALID_ARGUMENT,
    };
    let alert = match alert {
        -1 => None,
        a => match u8::try_from(a) {
            Ok(a) => Some(a),
            Err(_) => return LWBS_ERR_INVALID_ARGUMENT,
        },
    };
    let failure = ChannelFailure { kind, alert };
    // SAFETY: forwarded to the caller.
    unsafe { command(client, now_ms, |c| c.handle_security_failure(now_ms, ConnId(conn), failure)) }
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
