//! `lwbs_result`: the status every function returns, and its message strings.

use core::ffi::{c_char, CStr};

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
    /// The call needs a part this build leaves out (Bootstrap from Smartcard in a build
    /// without it).
    LWBS_ERR_UNSUPPORTED = 14,
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
            None => alloc::format!("{what}: {}", self.code.message().to_str().unwrap_or("")),
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

impl lwbs_result {
    /// The NUL-terminated English message of `self`.
    pub(crate) fn message(self) -> &'static CStr {
        use lwbs_result::*;
        match self {
            LWBS_OK => c"success",
            LWBS_ERR_NULL => c"a required pointer argument was NULL",
            LWBS_ERR_INVALID_ARGUMENT => c"invalid argument",
            LWBS_ERR_INVALID_STATE => c"invalid state for this call",
            LWBS_ERR_NO_BOOTSTRAP_ACCOUNT => c"no Bootstrap-Server account",
            LWBS_ERR_BOOTSTRAP_IN_PROGRESS => c"a bootstrap is already in progress",
            LWBS_ERR_UNKNOWN_CONNECTION => c"unknown connection",
            LWBS_ERR_INVALID_ACCOUNT => c"invalid account",
            LWBS_ERR_BUFFER_TOO_SMALL => c"buffer too small",
            LWBS_ERR_NOT_FOUND => c"not found",
            LWBS_ERR_PLATFORM => c"platform callback missing or failed",
            LWBS_ERR_STORAGE => c"storage failure",
            LWBS_ERR_BUSY => c"called from inside one of this client's callbacks",
            LWBS_ERR_PANIC => c"internal error: the client is poisoned",
            LWBS_ERR_UNSUPPORTED => c"not supported by this build",
        }
    }
}

/// A result code from C: the variant of that value, or the value back when it names none.
impl TryFrom<u32> for lwbs_result {
    type Error = u32;

    fn try_from(value: u32) -> Result<lwbs_result, u32> {
        use lwbs_result::*;
        Ok(match value {
            v if v == LWBS_OK as u32 => LWBS_OK,
            v if v == LWBS_ERR_NULL as u32 => LWBS_ERR_NULL,
            v if v == LWBS_ERR_INVALID_ARGUMENT as u32 => LWBS_ERR_INVALID_ARGUMENT,
            v if v == LWBS_ERR_INVALID_STATE as u32 => LWBS_ERR_INVALID_STATE,
            v if v == LWBS_ERR_NO_BOOTSTRAP_ACCOUNT as u32 => LWBS_ERR_NO_BOOTSTRAP_ACCOUNT,
            v if v == LWBS_ERR_BOOTSTRAP_IN_PROGRESS as u32 => LWBS_ERR_BOOTSTRAP_IN_PROGRESS,
            v if v == LWBS_ERR_UNKNOWN_CONNECTION as u32 => LWBS_ERR_UNKNOWN_CONNECTION,
            v if v == LWBS_ERR_INVALID_ACCOUNT as u32 => LWBS_ERR_INVALID_ACCOUNT,
            v if v == LWBS_ERR_BUFFER_TOO_SMALL as u32 => LWBS_ERR_BUFFER_TOO_SMALL,
            v if v == LWBS_ERR_NOT_FOUND as u32 => LWBS_ERR_NOT_FOUND,
            v if v == LWBS_ERR_PLATFORM as u32 => LWBS_ERR_PLATFORM,
            v if v == LWBS_ERR_STORAGE as u32 => LWBS_ERR_STORAGE,
            v if v == LWBS_ERR_BUSY as u32 => LWBS_ERR_BUSY,
            v if v == LWBS_ERR_PANIC as u32 => LWBS_ERR_PANIC,
            v if v == LWBS_ERR_UNSUPPORTED as u32 => LWBS_ERR_UNSUPPORTED,
            v => return Err(v),
        })
    }
}

/// A static, NUL-terminated English message for `result` (a `lwbs_result` value). Never NULL;
/// an unknown value gives "unknown result". The string must not be freed.
#[no_mangle]
pub extern "C" fn lwbs_result_str(result: u32) -> *const c_char {
    // Nothing here can panic, but the boundary costs nothing and keeps the rule uniform.
    super::panic::catch_or(
        || lwbs_result::try_from(result).map_or(c"unknown result", lwbs_result::message).as_ptr(),
        c"unknown result".as_ptr(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The enumerators of `enum NAME` in the generated header.
    fn header_enumerators(name: &str) -> Vec<String> {
        let header = include_str!("../../include/lwm2m_bootstrap.h");
        let body = header.split(&alloc::format!("enum {name}\n")).nth(1).expect("enum in header");
        let body = &body[..body.find("};").expect("end of enum")];
        body.lines()
            .map(str::trim)
            .filter(|l| l.starts_with("LWBS_"))
            .map(|l| l.split([' ', ',']).next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn every_result_of_the_header_maps_by_name_both_ways() {
        // Every enumerator of the header (so every variant) converts back from its value.
        let names = header_enumerators("lwbs_result");
        assert_eq!(names.len(), 15, "{names:?}");
        for (value, name) in names.iter().enumerate() {
            let result = lwbs_result::try_from(value as u32).expect("known value");
            assert_eq!(&alloc::format!("{result:?}"), name);
            assert_eq!(result as usize, value);
            assert_ne!(result.message(), c"unknown result");
        }
        assert_eq!(lwbs_result::try_from(15), Err(15));
        assert_eq!(lwbs_result::try_from(u32::MAX), Err(u32::MAX));
    }

    #[test]
    fn result_str_reads_the_message_of_the_variant() {
        // SAFETY: `lwbs_result_str` returns a static NUL-terminated string.
        let text = |v: u32| unsafe { CStr::from_ptr(lwbs_result_str(v)) };
        assert_eq!(text(0), c"success");
        assert_eq!(text(13), c"internal error: the client is poisoned");
        assert_eq!(text(14), c"not supported by this build");
        assert_eq!(text(15), c"unknown result");
    }
}
