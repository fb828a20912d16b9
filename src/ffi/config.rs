//! `lwbs_config` (what the client is) and `lwbs_account` (one factory-provisioned account),
//! with their `_init` functions and their conversion into the engine's types.

use alloc::string::String;
use core::ffi::c_char;

use super::cast::{self, StringOut};
use super::panic::catch_or;
use super::result::lwbs_result::{self, *};
use super::result::Refusal;
use crate::client::{
    registration_retry_defaults as retry, BootstrapAccountConfig, Config, Secret, SecurityConfig,
    SecurityMode, ServerAccountConfig, TransmissionParams, Version, BOOTSTRAP_BACKOFF_BASE_MS,
    BOOTSTRAP_BACKOFF_CAP_MS, DEFAULT_LIFETIME_S,
};

/// Security Mode of an account (/0/x/2). NoSec always; PSK and CERTIFICATE with the built-in
/// DTLS (feature `dtls`); any mode in `lwbs_platform.secure_modes`. An account of another
/// mode is refused with `LWBS_ERR_INVALID_ACCOUNT`.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lwbs_security_mode {
    /// Pre-Shared Key (DTLS).
    LWBS_SECURITY_PSK = 0,
    /// Raw Public Key (DTLS).
    LWBS_SECURITY_RPK = 1,
    /// X.509 certificate (DTLS).
    LWBS_SECURITY_CERTIFICATE = 2,
    /// No security: plain CoAP over UDP.
    LWBS_SECURITY_NOSEC = 3,
}

/// A mode from C (`lwbs_account.security_mode`): the variant of that value, or the value back.
impl TryFrom<u32> for lwbs_security_mode {
    type Error = u32;

    fn try_from(value: u32) -> Result<lwbs_security_mode, u32> {
        use lwbs_security_mode::*;
        Ok(match value {
            v if v == LWBS_SECURITY_PSK as u32 => LWBS_SECURITY_PSK,
            v if v == LWBS_SECURITY_RPK as u32 => LWBS_SECURITY_RPK,
            v if v == LWBS_SECURITY_CERTIFICATE as u32 => LWBS_SECURITY_CERTIFICATE,
            v if v == LWBS_SECURITY_NOSEC as u32 => LWBS_SECURITY_NOSEC,
            v => return Err(v),
        })
    }
}

impl From<lwbs_security_mode> for SecurityMode {
    fn from(mode: lwbs_security_mode) -> SecurityMode {
        match mode {
            lwbs_security_mode::LWBS_SECURITY_PSK => SecurityMode::Psk,
            lwbs_security_mode::LWBS_SECURITY_RPK => SecurityMode::Rpk,
            lwbs_security_mode::LWBS_SECURITY_CERTIFICATE => SecurityMode::Certificate,
            lwbs_security_mode::LWBS_SECURITY_NOSEC => SecurityMode::NoSec,
        }
    }
}

/// What the client is and how it behaves. Fill it with `lwbs_config_init`, then set the
/// fields you need. The library copies it in `lwbs_client_new`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lwbs_config {
    /// `sizeof(lwbs_config)`; at least the size of the 0.1 layout (up to
    /// `require_server_account`). Fields beyond a smaller `struct_size` (an older caller) take
    /// their defaults.
    pub struct_size: u32,
    /// Endpoint Client Name (`ep=`), required, UTF-8, copied.
    pub endpoint: *const c_char,
    /// 0 = default (LwM2M 1.1); 10 = 1.0; 11 = 1.1.
    pub lwm2m_version: u32,
    /// CoAP ACK_TIMEOUT in milliseconds; 0 = default 2000 (RFC 7252 §4.8).
    pub ack_timeout_ms: u32,
    /// CoAP MAX_RETRANSMIT, 0..255; UINT32_MAX = default 4. 0 means no retransmission.
    pub max_retransmit: u32,
    /// 0 = default (yes); 1 = Bootstrap-Finish requires at least one LwM2M Server account;
    /// 2 = Finish accepts a configuration without one.
    pub require_server_account: u32,
    // ----- 0.2: appended; a caller whose struct_size ends before a field gets its default.
    /// Delay after the first failed bootstrap before the next one, seconds (it doubles with
    /// each failure, with jitter: a random time in [d/2, d]). Default 10; 0 = 1 ms.
    pub bootstrap_backoff_base_s: u32,
    /// Cap of the delay between failed bootstraps, seconds. Default 3600.
    pub bootstrap_backoff_cap_s: u32,
    /// Communication Retry Count (/1/x/17) used when a Server instance lacks it: Register
    /// attempts per sequence (Core 1.1.1 §6.2.1.1). Default 5; 0 = 1.
    pub registration_retry_count: u32,
    /// Communication Retry Timer (/1/x/18) default, seconds: attempt n+1 waits this × 2^(n−1)
    /// after attempt n failed. Default 60.
    pub registration_retry_timer_s: u32,
    /// Communication Sequence Retry Count (/1/x/20) default. Default 1; 0 = 1.
    pub registration_sequence_retry_count: u32,
    /// Communication Sequence Delay Timer (/1/x/19) default, seconds; `UINT32_MAX` = no
    /// further sequence. Default 86400.
    pub registration_sequence_delay_s: u32,
    // ----- 0.3: appended.
    /// The preferred content format, announced as `pct=` in a 1.1 Bootstrap-Request and as
    /// `ct=` on the Register payload's root link: 0 = default (11542, OMA-TLV); 110 (SenML
    /// JSON), 112 (SenML CBOR) or 11544 (LwM2M CBOR) when the library was built with that
    /// format (else `lwbs_client_new` refuses it with `LWBS_ERR_INVALID_ARGUMENT`). Whatever
    /// it is, every built-in format is accepted in writes and served for its Accept.
    pub preferred_format: u32,
    /// 0 = default (no); 1 = bootstrap with a Bootstrap-Pack-Request (LwM2M 1.2, `GET
    /// /bspack?ep=` with Accept: the preferred format when it is a SenML or LwM2M CBOR one,
    /// else the first built in of SenML CBOR, LwM2M CBOR, SenML JSON), applied as one
    /// transaction with the Bootstrap-Finish checks; 4.04, 4.05, 4.06 or 5.01 falls back to
    /// the classic Bootstrap-Request. Packs with objects other than /0, /1, /2 are refused.
    pub bootstrap_pack: u32,
}

/// The size of the first published (0.1) `lwbs_config`: the smallest `struct_size` accepted.
const CONFIG_V0_1_SIZE: usize = core::mem::offset_of!(lwbs_config, bootstrap_backoff_base_s);

/// One account for factory provisioning (Core 1.1 §5.2.3.1 Factory Bootstrap). Fill it with
/// `lwbs_account_init`. The library copies everything, including the key material, and
/// wipes its own copies when they are no longer needed.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lwbs_account {
    /// `sizeof(lwbs_account)`; must be at least the size of this 0.1 layout.
    pub struct_size: u32,
    /// LwM2M Server URI (/0/x/0): "coap://host:port", "coaps://..." with the DTLS modes.
    /// Required, UTF-8.
    pub uri: *const c_char,
    /// An `lwbs_security_mode` value.
    pub security_mode: u32,
    /// Server accounts: Short Server ID, 1..65534. Ignored for the Bootstrap-Server account.
    pub ssid: u16,
    /// Server accounts: registration lifetime in seconds; 0 = 86400.
    pub lifetime_s: u32,
    /// Server accounts: binding (/1/x/7), UTF-8; NULL = "U".
    pub binding: *const c_char,
    /// Bootstrap-Server account: Client Hold Off Time (/0/x/11), seconds.
    pub hold_off_s: u32,
    /// Bootstrap-Server account: Bootstrap-Server Account Timeout (/0/x/12), seconds;
    /// 0 = never.
    pub account_timeout_s: u32,
    /// PSK identity or own certificate / public key (/0/x/3); NULL allowed when the length is 0.
    pub identity: *const u8,
    /// Length of `identity` in bytes.
    pub identity_len: usize,
    /// Server certificate or public key (/0/x/4); NULL allowed when the length is 0.
    pub server_key: *const u8,
    /// Length of `server_key` in bytes.
    pub server_key_len: usize,
    /// PSK or private key (/0/x/5); NULL allowed when the length is 0. Never logged.
    pub secret_key: *const u8,
    /// Length of `secret_key` in bytes.
    pub secret_key_len: usize,
}

const NO_CONFIG: lwbs_config = lwbs_config {
    struct_size: core::mem::size_of::<lwbs_config>() as u32,
    endpoint: core::ptr::null(),
    lwm2m_version: 0,
    ack_timeout_ms: 0,
    max_retransmit: u32::MAX,
    require_server_account: 0,
    bootstrap_backoff_base_s: (BOOTSTRAP_BACKOFF_BASE_MS / 1000) as u32,
    bootstrap_backoff_cap_s: (BOOTSTRAP_BACKOFF_CAP_MS / 1000) as u32,
    registration_retry_count: retry::RETRY_COUNT,
    registration_retry_timer_s: retry::RETRY_TIMER_S as u32,
    registration_sequence_retry_count: retry::SEQUENCE_RETRY_COUNT,
    registration_sequence_delay_s: retry::SEQUENCE_DELAY_S as u32,
    preferred_format: 0,
    bootstrap_pack: 0,
};

const NO_ACCOUNT: lwbs_account = lwbs_account {
    struct_size: core::mem::size_of::<lwbs_account>() as u32,
    uri: core::ptr::null(),
    security_mode: lwbs_security_mode::LWBS_SECURITY_NOSEC as u32,
    ssid: 0,
    lifetime_s: 0,
    binding: core::ptr::null(),
    hold_off_s: 0,
    account_timeout_s: 0,
    identity: core::ptr::null(),
    identity_len: 0,
    server_key: core::ptr::null(),
    server_key_len: 0,
    secret_key: core::ptr::null(),
    secret_key_len: 0,
};

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
            let (code, detail) = match unsafe { engine_config(config) } {
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

/// Fills `*config` with `struct_size` and the defaults (`endpoint` NULL: set it). NULL is a
/// no-op.
#[no_mangle]
pub unsafe extern "C" fn lwbs_config_init(config: *mut lwbs_config) {
    catch_or(
        || {
            if let Some(out) = cast::Out::optional(config) {
                // SAFETY: the caller passes a writable `lwbs_config`.
                unsafe { out.write(NO_CONFIG) }
            }
        },
        (),
    )
}

/// Fills `*account` with `struct_size` and the defaults (NoSec, every pointer NULL, every
/// number 0). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn lwbs_account_init(account: *mut lwbs_account) {
    catch_or(
        || {
            if let Some(out) = cast::Out::optional(account) {
                // SAFETY: the caller passes a writable `lwbs_account`.
                unsafe { out.write(NO_ACCOUNT) }
            }
        },
        (),
    )
}

/// The engine configuration described by `*config`.
///
/// # Safety
/// `config` is NULL or points to a readable `lwbs_config` whose `endpoint` is NULL or a
/// NUL-terminated string.
pub(crate) unsafe fn engine_config(config: *const lwbs_config) -> Result<Config, Refusal> {
    // SAFETY: forwarded to the caller.
    let (mut c, size) = unsafe { cast::read_versioned(config, CONFIG_V0_1_SIZE, NO_CONFIG) }
        .map_err(|e| match e {
            LWBS_ERR_INVALID_ARGUMENT => Refusal::argument(alloc::format!(
                "struct_size smaller than the 0.1 lwbs_config ({CONFIG_V0_1_SIZE} bytes)"
            )),
            e => Refusal::from(e),
        })?;
    cast::reset_absent_fields!(
        c,
        NO_CONFIG,
        size,
        lwbs_config,
        [
            bootstrap_backoff_base_s,
            bootstrap_backoff_cap_s,
            registration_retry_count,
            registration_retry_timer_s,
            registration_sequence_retry_count,
            registration_sequence_delay_s,
            preferred_format,
            bootstrap_pack,
        ]
    );
    let c = &c;
    // SAFETY: forwarded to the caller.
    let client_name = unsafe { cast::try_str(c.endpoint) }.map_err(|e| not_utf8(e, "endpoint"))?;
    let mut engine = Config::new(&client_name);
    engine.preferred_format = match c.preferred_format {
        0 => engine.preferred_format,
        f => u16::try_from(f).map_err(|_| {
            Refusal::argument(alloc::format!("preferred_format {f}: not a content format"))
        })?,
    };
    engine.bootstrap_pack = match c.bootstrap_pack {
        0 => false,
        1 => true,
        v => return Err(Refusal::argument(alloc::format!("bootstrap_pack {v}: 0 or 1"))),
    };
    engine.check().map_err(Refusal::argument)?;
    engine.version = match c.lwm2m_version {
        0 | 11 => Version::V1_1,
        10 => Version::V1_0,
        v => return Err(Refusal::argument(alloc::format!("lwm2m_version {v}: 0, 10 or 11"))),
    };
    let defaults = TransmissionParams::default();
    engine.transmission.ack_timeout_ms = match c.ack_timeout_ms {
        0 => defaults.ack_timeout_ms,
        ms => ms.into(),
    };
    engine.transmission.max_retransmit = match c.max_retransmit {
        u32::MAX => defaults.max_retransmit,
        n => u8::try_from(n).map_err(|_| {
            Refusal::argument(alloc::format!("max_retransmit {n}: 0..255 or UINT32_MAX"))
        })?,
    };
    engine.policy.require_server_account = match c.require_server_account {
        0 | 1 => true,
        2 => false,
        v => {
            return Err(Refusal::argument(alloc::format!("require_server_account {v}: 0, 1 or 2")))
        }
    };
    engine.bootstrap_backoff_base_ms = u64::from(c.bootstrap_backoff_base_s) * 1000;
    engine.bootstrap_backoff_cap_ms = u64::from(c.bootstrap_backoff_cap_s) * 1000;
    let retry = &mut engine.retry_defaults;
    retry.retry_count = c.registration_retry_count.max(1);
    retry.retry_timer_s = c.registration_retry_timer_s.into();
    retry.sequence_retry_count = c.registration_sequence_retry_count.max(1);
    retry.sequence_delay_s = c.registration_sequence_delay_s.into();
    Ok(engine)
}

/// A string field that is not UTF-8 (NULL stays `LWBS_ERR_NULL`, without a reason).
fn not_utf8(e: lwbs_result, field: &str) -> Refusal {
    match e {
        LWBS_ERR_INVALID_ARGUMENT => Refusal::argument(alloc::format!("{field} is not UTF-8")),
        e => Refusal::from(e),
    }
}

/// A checked, copied `lwbs_account`: the security part and the account it points to.
pub(crate) struct Account<'a> {
    pub raw: &'a lwbs_account,
    pub security: SecurityConfig,
}

/// Reads `*account`: struct size, URI, mode and key buffers.
///
/// # Safety
/// `account` is NULL or points to a readable `lwbs_account` whose pointers follow its
/// documentation.
pub(crate) unsafe fn read_account<'a>(
    account: *const lwbs_account,
) -> Result<Account<'a>, Refusal> {
    // SAFETY: forwarded to the caller.
    let raw = unsafe { cast::try_sized(account, |a: &lwbs_account| a.struct_size) }?;
    // SAFETY: forwarded to the caller (each pointer with its length).
    let (uri, identity, server_key, secret_key) = unsafe {
        (
            cast::try_str(raw.uri).map_err(|e| not_utf8(e, "uri"))?,
            cast::try_bytes(raw.identity, raw.identity_len)?,
            cast::try_bytes(raw.server_key, raw.server_key_len)?,
            cast::try_bytes(raw.secret_key, raw.secret_key_len)?,
        )
    };
    let mode = lwbs_security_mode::try_from(raw.security_mode)
        .map_err(|m| Refusal::argument(alloc::format!("security_mode {m}: 0..3")))?
        .into();
    let security = SecurityConfig {
        uri,
        mode,
        identity: Secret::new(identity),
        server_key: Secret::new(server_key),
        secret_key: Secret::new(secret_key),
    };
    Ok(Account { raw, security })
}

impl Account<'_> {
    /// As the Bootstrap-Server account.
    pub(crate) fn bootstrap(&self) -> BootstrapAccountConfig {
        BootstrapAccountConfig {
            security: self.security.clone(),
            hold_off_s: self.raw.hold_off_s.into(),
            account_timeout_s: self.raw.account_timeout_s.into(),
        }
    }

    /// As an LwM2M Server account.
    ///
    /// # Safety
    /// `binding` is NULL or a NUL-terminated string.
    pub(crate) unsafe fn server(&self) -> Result<ServerAccountConfig, Refusal> {
        // SAFETY: forwarded to the caller.
        let binding =
            unsafe { cast::try_opt_str(self.raw.binding) }.map_err(|e| not_utf8(e, "binding"))?;
        Ok(ServerAccountConfig {
            ssid: self.raw.ssid,
            security: self.security.clone(),
            lifetime_s: match self.raw.lifetime_s {
                0 => DEFAULT_LIFETIME_S,
                s => s.into(),
            },
            binding: binding.unwrap_or_else(|| String::from("U")),
        })
    }
}
