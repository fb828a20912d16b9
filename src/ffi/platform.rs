//! `lwbs_platform`: the firmware's callbacks (transport, storage, log, events, entropy, DM
//! requests, the bootstrap transaction, the smartcard), and [`Platform`], the checked copy the
//! client keeps and calls through. Each callback's signature is written once, in its
//! `lwbs_platform` field; [`Platform`] keeps the table itself rather than restating them.

use alloc::ffi::CString;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::{c_char, c_void};

use super::cast;
use super::dm::{lwbs_dm_request, lwbs_dm_response, lwbs_path};
use super::event::lwbs_event;
use super::result::lwbs_result::{self, *};
use crate::client::Entropy;
use crate::security::{ModeSet, PlatformSecurity};

/// A connection: one transport association with one server, chosen by the library, never 0.
#[allow(non_camel_case_types)]
pub type lwbs_conn = u32;

/// The firmware's side of the library: one table of callbacks, each called with `userdata`
/// first. The library copies the table in `lwbs_client_new`; `userdata` must stay valid until
/// `lwbs_client_free`.
///
/// Every buffer and string handed to a callback is borrowed for that call only: copy what you
/// keep. A callback must not call back into the same client (that call returns
/// `LWBS_ERR_BUSY`). Callbacks run on the thread that called into the library.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lwbs_platform {
    /// `sizeof(lwbs_platform)`; at least the size of the 0.1 layout (up to `dm_request`).
    /// A smaller value than this header's size (an older caller) means "the callbacks after
    /// `struct_size` are absent".
    pub struct_size: u32,
    /// Passed as the first argument of every callback; the library never dereferences it.
    pub userdata: *mut c_void,
    /// Required. Open a datagram association to `uri` ("coap://host:port") for `conn`. Return
    /// 0 on success; a failure (the host does not resolve, no socket) is logged and what
    /// waits on `conn` fails at once, as after `lwbs_client_conn_error`: the bootstrap fails
    /// (`LWBS_BOOTSTRAP_FAILURE_TRANSPORT`, "could not open ...") or the Register attempt
    /// does. `conn` is then forgotten: no datagram, no `close` for it. Datagrams for `conn`
    /// follow a successful open.
    pub open: Option<
        unsafe extern "C" fn(userdata: *mut c_void, conn: lwbs_conn, uri: *const c_char) -> i32,
    >,
    /// Required. Close `conn`: every datagram for it was already handed to `send`.
    pub close: Option<unsafe extern "C" fn(userdata: *mut c_void, conn: lwbs_conn)>,
    /// Required. Send one datagram of `len` bytes on `conn`. Return 0 on success; a failure is
    /// logged and treated as a lost datagram.
    pub send: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            conn: lwbs_conn,
            data: *const u8,
            len: usize,
        ) -> i32,
    >,
    /// Optional (NULL = nothing persisted). Storage is two slots, `slot` 0 and 1, each large
    /// enough for one image (a few hundred bytes per account); `lwbs_client_new` reads both.
    /// Copy the content of slot `slot` into `buf` (`capacity` bytes) and set `*out_len` to its
    /// length, then return 0 (`*out_len` = 0: nothing stored; an erased slot, all 0xFF, is
    /// fine too, and so are bytes after the image: a whole flash sector may be returned). If
    /// the content is larger than `capacity`, set `*out_len` to its size and return a
    /// positive value: the library calls again once with a buffer that large. Return a
    /// negative value on a read error (logged; that slot counts as empty). The library
    /// validates what it reads (magic, format, length, CRC-32): a torn, corrupt or foreign
    /// image is logged, reported as `LWBS_EVENT_STORAGE_IGNORED` and ignored, never trusted.
    pub load: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            slot: u32,
            buf: *mut u8,
            capacity: usize,
            out_len: *mut usize,
        ) -> i32,
    >,
    /// Optional. Write the image of `len` bytes into slot `slot` (0 or 1) in place, replacing
    /// that slot's content; never touch the other slot. Return 0 once the data is durable
    /// (flash programmed, file fsync'ed). Called whenever the committed configuration changes,
    /// before the `LWBS_EVENT_CONFIGURATION_CHANGED` event and before the datagrams of the same
    /// step. The library alternates the slots (image generation n goes to slot n % 2), so the
    /// slot being written never holds the last complete image: a write cut off by a power loss
    /// leaves a torn image, which the next `load` detects by its CRC, next to the intact
    /// previous one. No rename or copy is needed. After a failure (return != 0) the next write
    /// goes to the same slot again. A Bootstrap-Finish is answered 2.04 only after `save`
    /// returned 0 for its configuration; a failure answers it 5.00 and keeps the previous
    /// configuration (`LWBS_EVENT_STORAGE_FAILED`, then `LWBS_EVENT_BOOTSTRAP_FAILED` with
    /// `LWBS_BOOTSTRAP_FAILURE_STORAGE`; the bootstrap is retried after the back-off). With no
    /// `save` at all nothing is persisted and every Finish is answered 2.04.
    pub save: Option<
        unsafe extern "C" fn(userdata: *mut c_void, slot: u32, data: *const u8, len: usize) -> i32,
    >,
    /// Optional. One NUL-terminated log line; `level` 1 error, 2 warning, 3 info, 4 debug.
    /// Key material is never logged.
    pub log:
        Option<unsafe extern "C" fn(userdata: *mut c_void, level: u32, message: *const c_char)>,
    /// Optional. One event (see `lwbs_event`).
    pub event: Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const lwbs_event)>,
    /// Optional. Fill `buf` with `len` random bytes, return 0. Seeds CoAP message IDs and
    /// tokens, and the DTLS sessions' random generators (called once for 8 and once for 32
    /// bytes at `lwbs_client_new`). NULL = a fixed seed (tests only: predictable tokens and
    /// predictable DTLS randomness; the first DTLS connection of such a client logs a
    /// WARNING). Required for anything real.
    pub entropy:
        Option<unsafe extern "C" fn(userdata: *mut c_void, buf: *mut u8, len: usize) -> i32>,
    /// Optional. Answer a DM server's request for one of the firmware's own objects (not /0,
    /// /1, /2): fill `response` and return 0. NULL = every such request gets 4.04 Not Found.
    pub dm_request: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            request: *const lwbs_dm_request,
            response: *mut lwbs_dm_response,
        ) -> i32,
    >,
    // ----- 0.2: appended. A caller whose `struct_size` ends before a callback has none. -----
    /// Optional. The firmware's own objects inside the bootstrap transaction (Bootstrap-Writes
    /// and -Deletes of objects other than /0, /1, /2): a transaction begins before the first
    /// such operation of a bootstrap. NULL = nothing to prepare.
    pub bootstrap_begin: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
    /// Optional. A Bootstrap-Write of `*path` (object, instance or resource; the path is
    /// borrowed for the call) with the raw payload (`data`, `len`; OMA-TLV when
    /// `content_format` is 11542). Stage it; return the CoAP response code, 0x44 (2.04) on
    /// success, for example 0x80 (4.00) for a payload you cannot parse. NULL = Bootstrap-Writes
    /// of the firmware's objects are answered 4.04 and none of these callbacks is used.
    pub bootstrap_write: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            path: *const lwbs_path,
            content_format: u16,
            data: *const u8,
            len: usize,
        ) -> u8,
    >,
    /// Optional. A Bootstrap-Delete of `*path`: an object, an instance, or `/` (every level
    /// `UINT16_MAX`: delete every instance of your objects except the Device instance /3/0,
    /// which the library never lets a Bootstrap-Server delete). Stage it; return the code,
    /// 0x42 (2.02) on success. NULL = 2.02 without a call.
    pub bootstrap_delete:
        Option<unsafe extern "C" fn(userdata: *mut c_void, path: *const lwbs_path) -> u8>,
    /// Optional. Bootstrap-Finish: return 0 when your staged objects are consistent; anything
    /// else refuses the Finish with 4.06 (everything staged stays staged and the transaction
    /// open: the server may correct and finish again). Called only when a transaction was
    /// begun. NULL = consistent.
    pub bootstrap_validate: Option<unsafe extern "C" fn(userdata: *mut c_void) -> i32>,
    /// Optional. The transaction ends: `commit` true = apply what was staged (the bootstrap
    /// succeeded), false = drop it (the session ended without a successful Finish: timeout,
    /// Bootstrap-Server gone, stop, failure; a refused Finish does not end it). Called
    /// once per begun transaction. NULL = nothing to do.
    pub bootstrap_end: Option<unsafe extern "C" fn(userdata: *mut c_void, commit: bool)>,
    // ----- 0.3: appended (Bootstrap from Smartcard, Core 1.1 §5.2.3.2, Appendix G). -----
    /// Optional. Whether a smartcard (UICC) is present and powered: return non-zero for yes.
    /// Called before every read of the card: at `lwbs_client_start` (step 1 of the Bootstrap
    /// Sequence) and, while the card's configuration is applied, before each Register,
    /// Update and Bootstrap-Request. 0 = no card (an applied card configuration is then
    /// deleted). NULL with `card_transmit` set = always present (a card that does not answer
    /// counts as removed).
    pub card_present: Option<unsafe extern "C" fn(userdata: *mut c_void) -> i32>,
    /// Optional. Send the command APDU `apdu` (`len` bytes, ISO 7816-4 short APDU) to the card
    /// and copy its complete answer, data and the two status bytes SW1 SW2, into `response`
    /// (`capacity` bytes, at least 258), setting `*response_len`; return 0. Return a negative
    /// value when there is no answer (card removed, modem error). Called synchronously inside
    /// the library call that needs the card, a few to a few hundred times per read (PKCS#15
    /// walk, READ BINARY chunks); use whatever reaches the card: `AT+CSIM`, PC/SC, a UART
    /// driver. NULL = no smartcard support (step 1 is skipped).
    pub card_transmit: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            apdu: *const u8,
            len: usize,
            response: *mut u8,
            capacity: usize,
            response_len: *mut usize,
        ) -> i32,
    >,
    // ----- 0.4: appended (security done by the platform: a modem's or the firmware's DTLS). --
    /// Optional (0 = none). The Security Modes the platform secures itself, one bit per
    /// `lwbs_security_mode` value: `1u << LWBS_SECURITY_PSK`, `1u << LWBS_SECURITY_RPK`,
    /// `1u << LWBS_SECURITY_CERTIFICATE` (other bits are ignored). An account of such a mode
    /// is usable even when this build has no DTLS (no Mbed TLS linked), and its connections
    /// are opened with `open_secure` instead of `open`: the library's datagrams on them
    /// (`send`) and the platform's (`lwbs_client_recv`) are then plain CoAP, which the
    /// platform carries inside its (D)TLS session. Every session rule stays the library's:
    /// the Bootstrap-Server's connection is never a DM server's; a change of an account's
    /// security material closes its connection (`close`: send close_notify) and opens a new
    /// one before the next Register; the Bootstrap-Server's connection is closed after
    /// Bootstrap-Finish. Modes not set here use this build's own DTLS, if any.
    pub secure_modes: u32,
    /// Required when `secure_modes` is not 0. Open a (D)TLS association to `uri`
    /// ("coaps://host:port") for `conn` with the mode and credentials in `*security`, which
    /// are borrowed for this call only (copy them; the library wipes its copy when the call
    /// returns, and never logs it). Return 0 when the association is being set up (the
    /// handshake may go on after the call: queue the datagrams `send` gives until it is done);
    /// `LWBS_OPEN_REFUSED` when the mode or the material cannot be used (the account then
    /// fails with `LWBS_BOOTSTRAP_FAILURE_SECURITY_REFUSED` /
    /// `LWBS_REGISTRATION_FAILURE_SECURITY_REFUSED`; nothing falls back to NoSec); any other
    /// value when nothing could be opened, as for `open`. Report a handshake that fails or a
    /// session that breaks later with `lwbs_client_conn_security_failed`.
    pub open_secure: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            conn: lwbs_conn,
            uri: *const c_char,
            security: *const lwbs_security,
        ) -> i32,
    >,
    // ----- 0.5: appended (DTLS sessions that survive a restart). -----------------------------
    /// Optional (NULL = DTLS sessions live in RAM only). Read the session record that
    /// `save_sessions` last wrote, with the same contract as `load` (copy into `buf`, set
    /// `*out_len`; 0 bytes or an erased area: none; a positive return asks once for a
    /// bigger buffer; a negative one counts as none). Called once by `lwbs_client_new`, after
    /// the configuration was restored. The record is validated (magic, format, length,
    /// CRC-32): a torn or corrupt one is logged and ignored (a full handshake follows).
    pub load_sessions: Option<
        unsafe extern "C" fn(
            userdata: *mut c_void,
            buf: *mut u8,
            capacity: usize,
            out_len: *mut usize,
        ) -> i32,
    >,
    /// Optional (NULL = DTLS sessions live in RAM only). Replace the stored session record
    /// with these `len` bytes (`len` 0: erase it). One record, written in place: a write cut
    /// off by a power loss only costs one full handshake. It holds the saved DTLS sessions
    /// of the library's own DTLS (never the Bootstrap-Server's; a platform that secures a
    /// connection itself keeps its own sessions), each bound to the security material of its
    /// account: a restart then resumes with an abbreviated handshake. Written after a
    /// handshake made a new session, when a bootstrap changed an account's security, when a
    /// resumption was refused, and with `len` 0 when the restored configuration was empty
    /// (factory state: storage erased). The record holds session master secrets: keep it
    /// where the configuration's keys are kept. Encrypting it is the platform's choice: the
    /// library reads back exactly the bytes it wrote. Return 0 when stored; a failure is
    /// logged and changes nothing else.
    pub save_sessions:
        Option<unsafe extern "C" fn(userdata: *mut c_void, data: *const u8, len: usize) -> i32>,
}

/// `open_secure`'s return value for a mode or material the platform cannot use.
pub const LWBS_OPEN_REFUSED: i32 = 1;

/// What the platform needs for one connection it secures itself (`open_secure`): the
/// account's Security Mode and the Security resources the session is made of (LwM2M Core
/// 1.1 Appendix E.1 encodings). Every pointer is valid for the `open_secure` call only; a
/// buffer absent in the account is (NULL, 0), a string NULL.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lwbs_security {
    /// `sizeof(lwbs_security)` of the library that filled it (fields are only appended).
    pub struct_size: u32,
    /// An `lwbs_security_mode` value (PSK, RPK, CERTIFICATE; 4 = certificate with EST).
    pub mode: u32,
    /// True for the Bootstrap-Server account's connection (its own session, keys and cache).
    pub bootstrap: bool,
    /// /0/x/3: the PSK identity (PSK, UTF-8, not NUL-terminated), own public key as
    /// SubjectPublicKeyInfo DER (RPK, RFC 7250), own X.509 certificate DER (certificates).
    pub identity: *const u8,
    /// Length of `identity`.
    pub identity_len: usize,
    /// /0/x/4: the server's public key as SubjectPublicKeyInfo DER (RPK), its certificate or
    /// trust anchor DER (certificates, by `certificate_usage`); (NULL, 0) for PSK.
    pub server_key: *const u8,
    /// Length of `server_key`.
    pub server_key_len: usize,
    /// /0/x/5: the PSK (PSK), own private key (RPK and certificates: RFC 5958 / PKCS#8 DER, or
    /// SEC1 DER).
    pub secret_key: *const u8,
    /// Length of `secret_key`.
    pub secret_key_len: usize,
    /// /0/x/15 Certificate Usage 0..3 (3, domain-issued certificate, when absent).
    pub certificate_usage: u32,
    /// /0/x/13 Matching Type 0..3 (0, exact match, when absent).
    pub matching_type: u32,
    /// /0/x/14 Server Name Indication, NUL-terminated, or NULL when absent.
    pub sni: *const c_char,
}

/// Why the session of a connection the platform secures failed
/// (`lwbs_client_conn_security_failed`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lwbs_security_failure {
    /// The handshake did not complete in time (a wrong PSK often gives only silence).
    LWBS_SECURITY_FAILURE_TIMEOUT = 0,
    /// The peer sent a fatal alert (pass its description as `alert`).
    LWBS_SECURITY_FAILURE_PEER_ALERT = 1,
    /// The server's certificate or raw public key was not accepted (pass the alert sent).
    LWBS_SECURITY_FAILURE_VERIFICATION = 2,
    /// Our credentials are unusable (malformed key or certificate).
    LWBS_SECURITY_FAILURE_CREDENTIALS = 3,
    /// The mode or material is not supported (as `LWBS_OPEN_REFUSED` from `open_secure`).
    LWBS_SECURITY_FAILURE_REFUSED = 4,
    /// Any other error of the platform's TLS stack.
    LWBS_SECURITY_FAILURE_OTHER = 5,
}

/// The size of the first published (0.1) `lwbs_platform`: the smallest `struct_size` accepted.
const PLATFORM_V0_1_SIZE: usize = core::mem::offset_of!(lwbs_platform, bootstrap_begin);

/// What an older caller's table lacks: every appended callback absent.
pub(crate) const NO_PLATFORM: lwbs_platform = lwbs_platform {
    struct_size: 0,
    userdata: core::ptr::null_mut(),
    open: None,
    close: None,
    send: None,
    load: None,
    save: None,
    log: None,
    event: None,
    entropy: None,
    dm_request: None,
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
};

/// Log levels of the `log` callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Level {
    Error = 1,
    Warning = 2,
    Info = 3,
    Debug = 4,
}

/// The response buffer handed to `card_transmit`: 256 data bytes, SW1 SW2, and room to spare.
#[cfg(feature = "smartcard")]
const CARD_RESPONSE_CAPACITY: usize = 261;

/// What came of `open_secure`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpenOutcome {
    /// Being set up.
    Opened,
    /// The platform cannot use the mode or material.
    Refused,
    /// Nothing was opened.
    Failed,
}

/// The size of the first buffer handed to `load`.
const LOAD_FIRST_CAPACITY: usize = 4096;
/// The largest image `load` may ask for.
const LOAD_MAX_CAPACITY: usize = 16 * 1024 * 1024;

/// The validated copy of the firmware's table: `open`, `close` and `send` are present, the
/// callbacks beyond the caller's `struct_size` absent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Platform {
    table: lwbs_platform,
}

// SAFETY: a client, and its platform with it, is used by one thread at a time (the C contract:
// one thread per client); moving it to another thread between calls is allowed, and what
// `userdata` points to is the firmware's business under that same rule. The DM handler that
// captures a `Platform` must be `Send` for the engine's `Client` to stay `Send`.
unsafe impl Send for Platform {}

impl Platform {
    /// Checks and copies `*platform`; `open`, `close` and `send` are required.
    ///
    /// # Safety
    /// `platform` is NULL or points to a readable `lwbs_platform` whose callbacks follow their
    /// documentation.
    pub(crate) unsafe fn new(platform: *const lwbs_platform) -> Result<Platform, lwbs_result> {
        // SAFETY: forwarded to the caller.
        let (mut p, size) =
            unsafe { cast::read_versioned(platform, PLATFORM_V0_1_SIZE, NO_PLATFORM) }?;
        cast::reset_absent_fields!(
            p,
            NO_PLATFORM,
            size,
            lwbs_platform,
            [
                bootstrap_begin,
                bootstrap_write,
                bootstrap_delete,
                bootstrap_validate,
                bootstrap_end,
                card_present,
                card_transmit,
                secure_modes,
                open_secure,
                load_sessions,
                save_sessions
            ]
        );
        if p.open.is_none() || p.close.is_none() || p.send.is_none() {
            return Err(LWBS_ERR_PLATFORM);
        }
        if ModeSet::from_bits(p.secure_modes) != ModeSet::NONE && p.open_secure.is_none() {
            return Err(LWBS_ERR_PLATFORM);
        }
        Ok(Platform { table: p })
    }

    /// The table, for the bridges that call the optional object callbacks.
    pub(crate) fn callbacks(&self) -> &lwbs_platform {
        &self.table
    }

    /// Whether the firmware gave a card transport (`card_transmit`).
    pub(crate) fn has_card(&self) -> bool {
        self.table.card_transmit.is_some()
    }

    /// `card_present()`; true without the callback.
    #[cfg(feature = "smartcard")]
    pub(crate) fn card_present(&self) -> bool {
        match self.table.card_present {
            // SAFETY: the callback contract of `lwbs_platform::card_present`.
            Some(present) => unsafe { present(self.table.userdata) != 0 },
            None => self.table.card_transmit.is_some(),
        }
    }

    /// `card_transmit(apdu)`: the card's answer, or `None` (no callback, no answer, or a
    /// length beyond the buffer).
    #[cfg(feature = "smartcard")]
    pub(crate) fn card_transmit(&self, apdu: &[u8]) -> Option<Vec<u8>> {
        let transmit = self.table.card_transmit?;
        let mut buf = vec![0u8; CARD_RESPONSE_CAPACITY];
        let mut len = 0usize;
        // SAFETY: the callback contract of `lwbs_platform::card_transmit`; `apdu`, `buf` and
        // `len` outlive the call.
        let rc = unsafe {
            transmit(
                self.table.userdata,
                apdu.as_ptr(),
                apdu.len(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
            )
        };
        if rc < 0 || len > buf.len() {
            self.log(Level::Debug, &alloc::format!("card_transmit gave no answer ({rc})"));
            return None;
        }
        buf.truncate(len);
        Some(buf)
    }

    /// Logs `message` (interior NULs cut it short).
    pub(crate) fn log(&self, level: Level, message: &str) {
        let Some(log) = self.table.log else { return };
        let text = CString::new(message.split('\0').next().unwrap_or_default()).unwrap_or_default();
        // SAFETY: the callback contract of `lwbs_platform::log`; the string outlives the call.
        unsafe { log(self.table.userdata, level as u32, text.as_ptr()) }
    }

    /// `open(conn, uri)`; false (and logged) when it failed.
    pub(crate) fn open(&self, conn: lwbs_conn, uri: &str) -> bool {
        let Ok(text) = CString::new(uri) else {
            self.log(Level::Error, "server URI contains NUL; connection not opened");
            return false;
        };
        // SAFETY: present, checked by `Platform::new` (the table is never changed after).
        let open = unsafe { self.table.open.unwrap_unchecked() };
        // SAFETY: the callback contract of `lwbs_platform::open`.
        let rc = unsafe { open(self.table.userdata, conn, text.as_ptr()) };
        if rc != 0 {
            self.log(
                Level::Error,
                &alloc::format!("open of connection {conn} to {uri} failed ({rc})"),
            );
        } else {
            self.log(Level::Debug, &alloc::format!("connection {conn} opened to {uri}"));
        }
        rc == 0
    }

    /// The Security Modes the platform secures itself (`secure_modes`).
    pub(crate) fn secure_modes(&self) -> ModeSet {
        ModeSet::from_bits(self.table.secure_modes)
    }

    /// `open_secure(conn, uri, security)`: the key material is lent for the call only (the
    /// caller's copy is wiped when it drops).
    pub(crate) fn open_secure(
        &self,
        conn: lwbs_conn,
        uri: &str,
        security: &PlatformSecurity,
    ) -> OpenOutcome {
        let (Ok(text), Ok(sni)) =
            (CString::new(uri), security.sni.clone().map(CString::new).transpose())
        else {
            self.log(Level::Error, "server URI or SNI contains NUL; connection not opened");
            return OpenOutcome::Failed;
        };
        let Some(open_secure) = self.table.open_secure else { return OpenOutcome::Failed };
        let buffer = |b: &[u8]| if b.is_empty() { core::ptr::null() } else { b.as_ptr() };
        let c = lwbs_security {
            struct_size: core::mem::size_of::<lwbs_security>() as u32,
            mode: security.mode.as_i64() as u32,
            bootstrap: security.bootstrap,
            identity: buffer(&security.identity),
            identity_len: security.identity.len(),
            server_key: buffer(&security.server_key),
            server_key_len: security.server_key.len(),
            secret_key: buffer(&security.secret_key),
            secret_key_len: security.secret_key.len(),
            certificate_usage: u32::from(security.certificate_usage),
            matching_type: u32::from(security.matching_type),
            sni: sni.as_ref().map_or(core::ptr::null(), |s| s.as_ptr()),
        };
        // SAFETY: the callback contract of `lwbs_platform::open_secure`; `c`, `text` and the
        // buffers it points into outlive the call.
        let rc = unsafe { open_secure(self.table.userdata, conn, text.as_ptr(), &c) };
        match rc {
            0 => {
                self.log(Level::Debug, &alloc::format!("secure connection {conn} opened to {uri}"));
                OpenOutcome::Opened
            }
            LWBS_OPEN_REFUSED => {
                self.log(
                    Level::Error,
                    &alloc::format!("open_secure of connection {conn} to {uri} refused the mode"),
                );
                OpenOutcome::Refused
            }
            rc => {
                self.log(
                    Level::Error,
                    &alloc::format!("open_secure of connection {conn} to {uri} failed ({rc})"),
                );
                OpenOutcome::Failed
            }
        }
    }

    /// Whether the firmware gave an `entropy` callback.
    pub(crate) fn has_entropy(&self) -> bool {
        self.table.entropy.is_some()
    }

    /// `close(conn)`.
    pub(crate) fn close(&self, conn: lwbs_conn) {
        // SAFETY: present, checked by `Platform::new` (the table is never changed after).
        let close = unsafe { self.table.close.unwrap_unchecked() };
        // SAFETY: the callback contract of `lwbs_platform::close`.
        unsafe { close(self.table.userdata, conn) };
        self.log(Level::Debug, &alloc::format!("connection {conn} closed"));
    }

    /// `send(conn, data)`; a failure is logged (a lost datagram).
    pub(crate) fn send(&self, conn: lwbs_conn, data: &[u8]) {
        // SAFETY: present, checked by `Platform::new` (the table is never changed after).
        let send = unsafe { self.table.send.unwrap_unchecked() };
        // SAFETY: the callback contract of `lwbs_platform::send`; `data` outlives the call.
        let rc = unsafe { send(self.table.userdata, conn, data.as_ptr(), data.len()) };
        if rc != 0 {
            self.log(Level::Warning, &alloc::format!("send on connection {conn} failed ({rc})"));
        }
    }

    /// The content of storage slot `slot`: `Ok(None)` when `load` is absent or nothing is
    /// stored, `Err` with a reason when reading failed.
    pub(crate) fn load(&self, slot: u8) -> Result<Option<Vec<u8>>, &'static str> {
        let Some(load) = self.table.load else { return Ok(None) };
        let userdata = self.table.userdata;
        read_growing(|buf, capacity, len| {
            // SAFETY: the callback contract of `lwbs_platform::load`; `read_growing` passes a
            // buffer of `capacity` bytes and a length slot that outlive the call.
            unsafe { load(userdata, u32::from(slot), buf, capacity, len) }
        })
    }

    /// Whether the firmware persists DTLS sessions (`save_sessions`).
    pub(crate) fn persists_sessions(&self) -> bool {
        self.table.save_sessions.is_some()
    }

    #[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
    /// The session record from `load_sessions` (`None`: no callback or nothing stored), or
    /// why it could not be read.
    pub(crate) fn load_sessions(&self) -> Result<Option<Vec<u8>>, &'static str> {
        let Some(load) = self.table.load_sessions else { return Ok(None) };
        let userdata = self.table.userdata;
        read_growing(|buf, capacity, len| {
            // SAFETY: the callback contract of `lwbs_platform::load_sessions`; as in `load`.
            unsafe { load(userdata, buf, capacity, len) }
        })
    }

    /// Writes the session record with `save_sessions` (logged when it fails).
    pub(crate) fn save_sessions(&self, record: &[u8]) {
        if !cfg!(any(feature = "dtls", feature = "dtls-nostd")) {
            return; // never asked: no built-in DTLS, no session record
        }
        let Some(save) = self.table.save_sessions else { return };
        // SAFETY: the callback contract of `lwbs_platform::save_sessions`; `record` outlives
        // the call.
        let rc = unsafe { save(self.table.userdata, record.as_ptr(), record.len()) };
        if rc != 0 {
            self.log(Level::Warning, &alloc::format!("save_sessions failed ({rc})"));
        } else {
            self.log(
                Level::Debug,
                &alloc::format!("session record saved ({} bytes)", record.len()),
            );
        }
    }

    /// Writes `image` into slot `slot` with `save`; true when stored (or when there is no
    /// `save`).
    pub(crate) fn save(&self, slot: u8, image: &[u8]) -> bool {
        let Some(save) = self.table.save else { return true };
        // SAFETY: the callback contract of `lwbs_platform::save`; `image` outlives the call.
        let rc = unsafe { save(self.table.userdata, u32::from(slot), image.as_ptr(), image.len()) };
        if rc != 0 {
            self.log(
                Level::Error,
                &alloc::format!("save of the configuration to slot {slot} failed ({rc})"),
            );
        }
        rc == 0
    }

    /// Hands `event` to the `event` callback.
    pub(crate) fn event(&self, event: &lwbs_event) {
        if let Some(callback) = self.table.event {
            // SAFETY: the callback contract of `lwbs_platform::event`; `event` and the strings
            // it points to outlive the call.
            unsafe { callback(self.table.userdata, event) }
        }
    }

    /// A seed from `entropy`, or the fixed test seed without it.
    pub(crate) fn seed(&self) -> Result<u64, lwbs_result> {
        let Some(entropy) = self.table.entropy else { return Ok(0x5eed) };
        let mut bytes = [0u8; 8];
        // SAFETY: the callback contract of `lwbs_platform::entropy`; `bytes` outlives the call.
        let rc = unsafe { entropy(self.table.userdata, bytes.as_mut_ptr(), bytes.len()) };
        if rc != 0 {
            self.log(Level::Error, &alloc::format!("entropy failed ({rc})"));
            return Err(LWBS_ERR_PLATFORM);
        }
        Ok(u64::from_le_bytes(bytes))
    }

    /// 32 bytes from `entropy` for the DTLS sessions, or none (all zero) without it.
    pub(crate) fn dtls_entropy(&self) -> Result<Entropy, lwbs_result> {
        let mut entropy = Entropy::default();
        let Some(callback) = self.table.entropy else { return Ok(entropy) };
        // SAFETY: the callback contract of `lwbs_platform::entropy`; the buffer outlives the
        // call.
        let rc = unsafe { callback(self.table.userdata, entropy.0.as_mut_ptr(), entropy.0.len()) };
        if rc != 0 {
            self.log(Level::Error, &alloc::format!("entropy failed ({rc})"));
            return Err(LWBS_ERR_PLATFORM);
        }
        Ok(entropy)
    }

    /// `userdata`, for the bridges.
    pub(crate) fn userdata(&self) -> *mut c_void {
        self.table.userdata
    }
}

/// Reads through a `load`-style callback (`read(buf, capacity, out_len)`): one call with
/// [`LOAD_FIRST_CAPACITY`] bytes and, when it asks for more, once more with that size.
fn read_growing(
    mut read: impl FnMut(*mut u8, usize, &mut usize) -> i32,
) -> Result<Option<Vec<u8>>, &'static str> {
    let mut buf = vec![0u8; LOAD_FIRST_CAPACITY];
    for _ in 0..2 {
        let mut len = 0usize;
        let rc = read(buf.as_mut_ptr(), buf.len(), &mut len);
        match rc {
            0 if len == 0 => return Ok(None),
            0 if len <= buf.len() => {
                buf.truncate(len);
                return Ok(Some(buf));
            }
            0 => return Err("load reported more bytes than the buffer holds"),
            rc if rc > 0 && len > buf.len() && len <= LOAD_MAX_CAPACITY => {
                buf = vec![0u8; len];
            }
            rc if rc > 0 => return Err("load asked for an unusable buffer size"),
            _ => return Err("load failed"),
        }
    }
    Err("load asked for a bigger buffer twice")
}
