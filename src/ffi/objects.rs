//! The firmware's own objects (not /0, /1, /2) behind the engine's two hooks: the DM request
//! hook ([`DmHandler`] → `dm_request`, Core 1.1.1 §6.3) and the bootstrap transaction
//! ([`FirmwareObjects`] → `bootstrap_begin` / `_write` / `_delete` / `_validate` / `_end`,
//! Core 1.1 §5.2.7).

use alloc::boxed::Box;
use alloc::vec;

use super::dm::{lwbs_dm_request, lwbs_dm_response, lwbs_path, ABSENT};
use super::platform::{Level, Platform};
use crate::client::{Code, DmHandler, DmRequest, DmResponse, FirmwareObjects, Path};

/// Capacity of the response payload buffer handed to `dm_request`.
const DM_PAYLOAD_CAPACITY: usize = 4096;

/// The engine's DM handler calling `platform.dm_request`, when the firmware gave one.
pub(crate) fn dm_handler(platform: Platform) -> Option<DmHandler> {
    let callback = platform.callbacks().dm_request?;
    Some(Box::new(move |request: &DmRequest<'_>| {
        let c_request = lwbs_dm_request {
            ssid: request.ssid,
            method: request.method.0,
            path: lwbs_path::from(&request.path),
            content_format: request.content_format.unwrap_or(ABSENT),
            accept: request.accept.unwrap_or(ABSENT),
            payload: if request.payload.is_empty() {
                core::ptr::null()
            } else {
                request.payload.as_ptr()
            },
            payload_len: request.payload.len(),
        };
        let mut buffer = vec![0u8; DM_PAYLOAD_CAPACITY];
        let mut response = lwbs_dm_response {
            code: Code::NOT_FOUND.0,
            content_format: ABSENT,
            payload: buffer.as_mut_ptr(),
            payload_capacity: buffer.len(),
            payload_len: 0,
        };
        // SAFETY: the callback contract of `lwbs_platform::dm_request`; the request, its
        // payload, the response and its buffer outlive the call.
        let rc = unsafe { callback(platform.userdata(), &c_request, &mut response) };
        let code = Code(response.code);
        if rc != 0 || response.payload_len > buffer.len() || !code.is_response() {
            platform.log(Level::Error, "dm_request failed; answering 5.00");
            return DmResponse {
                code: Code::INTERNAL_SERVER_ERROR,
                content_format: None,
                payload: vec![],
            };
        }
        buffer.truncate(response.payload_len);
        DmResponse {
            code,
            content_format: (response.content_format != ABSENT).then_some(response.content_format),
            payload: buffer,
        }
    }))
}

/// The engine's firmware-objects handler calling the platform, when it has `bootstrap_write`.
pub(crate) fn firmware_objects(platform: Platform) -> Option<Box<dyn FirmwareObjects>> {
    platform.callbacks().bootstrap_write?;
    Some(Box::new(Bridge { platform }))
}

/// The bootstrap transaction over the `bootstrap_*` callbacks (`bootstrap_write` present).
struct Bridge {
    platform: Platform,
}

/// A code from the firmware: a response code, or 5.00 (logged).
fn checked(platform: &Platform, code: u8, what: &str) -> Code {
    let code = Code(code);
    if code.is_response() {
        return code;
    }
    platform.log(Level::Error, &alloc::format!("{what} returned no response code; answering 5.00"));
    Code::INTERNAL_SERVER_ERROR
}

impl FirmwareObjects for Bridge {
    fn begin(&mut self) {
        if let Some(begin) = self.platform.callbacks().bootstrap_begin {
            // SAFETY: the callback contract of `lwbs_platform::bootstrap_begin`.
            unsafe { begin(self.platform.userdata()) }
        }
    }

    fn write(&mut self, path: &Path, content_format: u16, payload: &[u8]) -> Code {
        let Some(write) = self.platform.callbacks().bootstrap_write else {
            return Code::NOT_FOUND;
        };
        let c = lwbs_path::from(path);
        let data = if payload.is_empty() { core::ptr::null() } else { payload.as_ptr() };
        // SAFETY: the callback contract of `lwbs_platform::bootstrap_write`; the path and the
        // payload outlive the call.
        let code =
            unsafe { write(self.platform.userdata(), &c, content_format, data, payload.len()) };
        checked(&self.platform, code, "bootstrap_write")
    }

    fn delete(&mut self, path: &Path) -> Code {
        let Some(delete) = self.platform.callbacks().bootstrap_delete else {
            return Code::DELETED;
        };
        let c = lwbs_path::from(path);
        // SAFETY: the callback contract of `lwbs_platform::bootstrap_delete`; the path
        // outlives the call.
        let code = unsafe { delete(self.platform.userdata(), &c) };
        checked(&self.platform, code, "bootstrap_delete")
    }

    fn validate(&mut self) -> bool {
        let Some(validate) = self.platform.callbacks().bootstrap_validate else { return true };
        // SAFETY: the callback contract of `lwbs_platform::bootstrap_validate`.
        unsafe { validate(self.platform.userdata()) == 0 }
    }

    fn end(&mut self, commit: bool) {
        if let Some(end) = self.platform.callbacks().bootstrap_end {
            // SAFETY: the callback contract of `lwbs_platform::bootstrap_end`.
            unsafe { end(self.platform.userdata(), commit) }
        }
    }
}
