//! `lwbs_result`: the status every function returns, and its message strings.

use core::ffi::c_char;

use crate::client::ClientError;

/// The outcome of a call. `LWBS_OK` is 0; the values are never renumbered (retired values stay
/// reserved), so firmware may store or log them. Functions that take a result code *from* C
/// (`lwbs_result_str`) take a `uint32_t`, so an unknown value is harmless.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lwbs_result {
    /// Success.
    LWBS_OK = 0,
    /// A required pointer argument was NULL (or a buffer pointer was NULL with a non-zero
    /// length).
    LWBS_ERR_NULL = 1,
    /// A value is out of range, a string is not UTF-8, or a `struct_size` is too small.
    LWBS_ERR_INVALID_ARGUMENT = 2,
    /// The client is not in a state that allows the call (start twice, stop when stopped,
    /// provision while started, ...).
    LWBS_ERR_INVALID_STATE = 3,
    /// There is no Bootstrap-Server account to bootstrap from.
    LWBS_ERR_NO_BOOTSTRAP_ACCOUNT = 4,
    /// A bootstrap is already running.
    LWBS_ERR_BOOTSTRAP_IN_PROGRESS = 5,
    /// A datagram for a connection the library did not open or already closed.
    LWBS_ERR_UNKNOWN_CONNECTION = 6,
    /// The account is unusable: bad URI, security mode and URI scheme disagree, the mode is
    /// not supported by this build, or the Short Server ID is out of 1..65534.
    LWBS_ERR_INVALID_ACCOUNT = 7,
    /// The output buffer is too small; `*out_len` tells the size needed.
    LWBS_ERR_BUFFER_TOO_SMALL = 8,
    /// No such server or registration.
    LWBS_ERR_NOT_FOUND = 9,
    /// A required platform callback is missing (`open`, `send`, `close`) or `entropy` failed.
    LWBS_ERR_PLATFORM = 10,
    /// The `save` callback failed (the input itself was processed).
    LWBS_ERR_STORAGE = 11,
    /// Called from inside one of this client's callbacks.
    LWBS_ERR_BUSY = 12,
    /// Internal error: the client is poisoned and every later call on it returns this; free it.
    LWBS_ERR_PANIC = 13,
}

impl From<ClientError> for lwbs_result {
    fn from(e: ClientError) -> lwbs_result {
        match e {
            ClientError::NotStarted | ClientError::AlreadyStarted => {
                lwbs_result::LWBS_ERR_INVALID_STATE
            }
            ClientError::NoBootstrapAccount => lwbs_result::LWBS_ERR_NO_BOOTSTRAP_ACCOUNT,
            ClientError::BootstrapInProgress => lwbs_result::LWBS_ERR_BOOTSTRAP_IN_PROGRESS,
            ClientError::UnknownConnection => lwbs_result::LWBS_ERR_UNKNOWN_CONNECTION,
            ClientError::InvalidAccount(e) if e.is_length() => {
                lwbs_result::LWBS_ERR_INVALID_ARGUMENT
            }
            ClientError::InvalidAccount(_) => lwbs_result::LWBS_ERR_INVALID_ACCOUNT,
        }
    }
}

/// `Ok(())` or the failure, for `?` inside the exported functions.
pub(crate) type Status = Result<(), lwbs_result>;

/// A failure with the reason behind it (for `lwbs_client_last_error`, `lwbs_config_check` and
/// the log); a plain `lwbs_result` converts into one without a reason.
#[derive(Debug)]
pub(crate) struct Refusal {
    /// The result returned to C.
    pub code: lwbs_result,
    /// Why, in English; never key material.
    pub detail: Option<alloc::string::String>,
}

impl From<lwbs_result> for Refusal {
    fn from(code: lwbs_result) -> Refusal {
        Refusal { code, detail: None }
    }
}

impl Refusal {
    /// `code` because of `why`.
    pub(crate) fn new(code: lwbs_result, why: impl core::fmt::Display) -> Refusal {
        Refusal { code, detail: Some(alloc::format!("{why}")) }
    }

    /// `LWBS_ERR_INVALID_ARGUMENT` because of `why`.
    pub(crate) fn argument(why: impl core::fmt::Display) -> Refusal {
        Refusal::new(lwbs_result::LWBS_ERR_INVALID_ARGUMENT, why)
    }

    /// Adds `what` in front of the reason (or makes it the reason).
    pub(crate) fn about(self, what: &str) -> Refusal {
        let detail = match self.detail {
            Some(d) => alloc::format!("{what}: {d}"),
            None => alloc::format!("{what}: {}", message(self.code as u32).to_str().unwrap_or("")),
        };
        Refusal { code: self.code, detail: Some(detail) }
    }
}

/// Folds a [`Status`] into the value returned to C.
pub(crate) fn to_result(status: Status) -> lwbs_result {
    match status {
        Ok(()) => lwbs_result::LWBS_OK,
        Err(e) => e,
    }
}

/// The NUL-terminated message for `result` (a `lwbs_result` value).
pub(crate) fn message(result: u32) -> &'static core::ffi::CStr {
    match result {
        0 => c"success",
        1 => c"a required pointer argument was NULL",
        2 => c"invalid argument",
        3 => c"invalid state for this call",
        4 => c"no Bootstrap-Server account",
        5 => c"a bootstrap is already in progress",
        6 => c"unknown connection",
        7 => c"invalid account",
        8 => c"buffer too small",
        9 => c"not found",
        10 => c"platform callback missing or failed",
        11 => c"storage failure",
        12 => c"called from inside one of this client's callbacks",
        13 => c"internal error: the client is poisoned",
        _ => c"unknown result",
    }
}

/// A static, NUL-terminated English message for `result` (a `lwbs_result` value). Never NULL;
/// an unknown value gives "unknown result". The string must not be freed.
#[no_mangle]
pub extern "C" fn lwbs_result_str(result: u32) -> *const c_char {
    // Nothing here can panic, but the boundary costs nothing and keeps the rule uniform.
    super::panic::catch_or(|| message(result).as_ptr(), c"unknown result".as_ptr())
}
