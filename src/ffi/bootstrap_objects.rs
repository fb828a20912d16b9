//! The bridge from the engine's [`FirmwareObjects`] (the firmware's own objects inside the
//! bootstrap transaction) to the `bootstrap_*` callbacks of `lwbs_platform`.

use alloc::boxed::Box;

use super::dm::{lwbs_path, ABSENT};
use super::platform::{BootstrapWriteFn, Level, Platform};
use crate::bootstrap::FirmwareObjects;
use crate::coap::Code;
use crate::model::Path;

struct Bridge {
    platform: Platform,
    write: BootstrapWriteFn,
}

fn c_path(path: &Path) -> lwbs_path {
    let ids = path.ids();
    let id = |i: usize| ids.get(i).copied().unwrap_or(ABSENT);
    lwbs_path { object: id(0), instance: id(1), resource: id(2), resource_instance: id(3) }
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
        if let Some(begin) = self.platform.bootstrap_begin {
            // SAFETY: the callback contract of `lwbs_platform::bootstrap_begin`.
            unsafe { begin(self.platform.userdata()) }
        }
    }

    fn write(&mut self, path: &Path, content_format: u16, payload: &[u8]) -> Code {
        let c = c_path(path);
        let data = if payload.is_empty() { core::ptr::null() } else { payload.as_ptr() };
        // SAFETY: the callback contract of `lwbs_platform::bootstrap_write`; the path and the
        // payload outlive the call.
        let code = unsafe {
            (self.write)(self.platform.userdata(), &c, content_format, data, payload.len())
        };
        checked(&self.platform, code, "bootstrap_write")
    }

    fn delete(&mut self, path: &Path) -> Code {
        let Some(delete) = self.platform.bootstrap_delete else { return Code::DELETED };
        let c = c_path(path);
        // SAFETY: the callback contract of `lwbs_platform::bootstrap_delete`; the path
        // outlives the call.
        let code = unsafe { delete(self.platform.userdata(), &c) };
        checked(&self.platform, code, "bootstrap_delete")
    }

    fn validate(&mut self) -> bool {
        let Some(validate) = self.platform.bootstrap_validate else { return true };
        // SAFETY: the callback contract of `lwbs_platform::bootstrap_validate`.
        unsafe { validate(self.platform.userdata()) == 0 }
    }

    fn end(&mut self, commit: bool) {
        if let Some(end) = self.platform.bootstrap_end {
            // SAFETY: the callback contract of `lwbs_platform::bootstrap_end`.
            unsafe { end(self.platform.userdata(), commit) }
        }
    }
}

/// The engine's firmware-objects handler calling the platform, when it has `bootstrap_write`.
pub(crate) fn handler(platform: Platform) -> Option<Box<dyn FirmwareObjects>> {
    let write = platform.bootstrap_write?;
    Some(Box::new(Bridge { platform, write }))
}
