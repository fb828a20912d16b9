//! `lwbs_client`, the opaque handle, and the guard every call on it passes.
//!
//! The handle points to a boxed `RefCell<`[`Handle`]`>`: the engine's [`Client`] together with
//! the firmware's [`Platform`] and the little state the C layer keeps. C code only ever holds
//! the pointer. Calls never create a second `&mut Handle`: a callback that calls back into the
//! same client finds the cell borrowed and gets `LWBS_ERR_BUSY`.

use alloc::boxed::Box;
use alloc::string::String;
use core::cell::{RefCell, RefMut};

use super::cast;
use super::panic::catch_or;
use super::platform::{Level, Platform};
use super::result::lwbs_result::{self, *};
use super::result::{to_result, Refusal, Status};
use crate::client::Client;

/// An LwM2M client (Bootstrap Interface and registration). Opaque: created by
/// `lwbs_client_new`, freed by `lwbs_client_free`, used by one thread at a time.
#[allow(non_camel_case_types)]
pub struct lwbs_client {
    _private: [u8; 0],
}

/// What an `lwbs_client` owns (inside its `RefCell`): the client and the platform glue.
pub(crate) struct Handle {
    /// The sans-IO engine (boxed on its own: moving the handle then copies no client).
    pub(crate) client: Box<Client>,
    /// The firmware's callbacks.
    pub(crate) platform: Platform,
    /// Why the last call failed, when it said (`lwbs_client_last_error`); every call clears it.
    detail: Option<String>,
    /// Whether the fixed-seed warning was logged (once per client).
    pub(crate) warned_fixed_seed: bool,
    /// A call panicked: every later call returns `LWBS_ERR_PANIC`.
    poisoned: bool,
}

impl Handle {
    /// A handle for `client` calling `platform`, on the heap in its cell. Not inlined: its
    /// caller's stack frame then holds no copy of the handle.
    #[inline(never)]
    pub(crate) fn boxed(client: Box<Client>, platform: Platform) -> Box<RefCell<Handle>> {
        let handle =
            Handle { client, platform, detail: None, warned_fixed_seed: false, poisoned: false };
        Box::new(RefCell::new(handle))
    }

    /// The pointer C holds until `lwbs_client_free`.
    pub(crate) fn into_raw(boxed: Box<RefCell<Handle>>) -> *mut lwbs_client {
        cast::box_into_raw::<RefCell<Handle>, lwbs_client>(boxed)
    }

    /// Keeps `refusal`'s reason for `lwbs_client_last_error`, logs it (`function: reason`,
    /// WARNING) and returns its code.
    pub(crate) fn refuse(&mut self, function: &str, refusal: Refusal) -> lwbs_result {
        if let Some(detail) = &refusal.detail {
            self.platform.log(Level::Warning, &alloc::format!("{function}: {detail}"));
        }
        self.detail = refusal.detail;
        refusal.code
    }

    /// The reason kept by the last failed call ("" without one).
    pub(crate) fn detail(&self) -> &str {
        self.detail.as_deref().unwrap_or("")
    }
}

/// The cell behind `client`.
///
/// # Safety
/// `client` is NULL or a live handle from `lwbs_client_new`.
unsafe fn cell<'a>(client: *const lwbs_client) -> Result<&'a RefCell<Handle>, lwbs_result> {
    // SAFETY: forwarded to the caller.
    unsafe { cast::try_inner::<RefCell<Handle>, _>(client) }
}

/// Runs `body` with the handle, behind the NULL check, the re-entrancy guard, the poison flag
/// and the panic boundary; clears the kept reason first. A panic poisons the client.
///
/// # Safety
/// `client` is NULL or a live handle from `lwbs_client_new`.
pub(crate) unsafe fn enter(
    client: *const lwbs_client,
    body: impl FnOnce(&mut Handle) -> Status,
) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    let cell = match unsafe { cell(client) } {
        Ok(cell) => cell,
        Err(e) => return e,
    };
    let result = match begin(cell) {
        Ok(mut handle) => catch_or(|| to_result(body(&mut handle)), LWBS_ERR_PANIC),
        Err(e) => e,
    };
    finish(cell, result)
}

/// The entry half of [`enter`] (not generic: one copy for every export): the borrow, the
/// poison flag, the reason cleared.
fn begin(cell: &RefCell<Handle>) -> Result<RefMut<'_, Handle>, lwbs_result> {
    let mut handle = cell.try_borrow_mut().map_err(|_| LWBS_ERR_BUSY)?;
    if handle.poisoned {
        return Err(LWBS_ERR_PANIC);
    }
    handle.detail = None;
    Ok(handle)
}

/// The exit half of [`enter`], after the borrow ended: `LWBS_ERR_PANIC` poisons the client.
fn finish(cell: &RefCell<Handle>, result: lwbs_result) -> lwbs_result {
    if result == LWBS_ERR_PANIC {
        if let Ok(mut handle) = cell.try_borrow_mut() {
            handle.poisoned = true;
        }
    }
    result
}

/// As [`enter`], read-only and keeping the reason of the last call (`lwbs_client_last_error`).
///
/// # Safety
/// As [`enter`].
pub(crate) unsafe fn peek(
    client: *const lwbs_client,
    body: impl FnOnce(&Handle) -> Status,
) -> lwbs_result {
    // SAFETY: forwarded to the caller.
    let cell = match unsafe { cell(client) } {
        Ok(cell) => cell,
        Err(e) => return e,
    };
    catch_or(
        || {
            let Ok(handle) = cell.try_borrow() else { return LWBS_ERR_BUSY };
            if handle.poisoned {
                return LWBS_ERR_PANIC;
            }
            to_result(body(&handle))
        },
        LWBS_ERR_PANIC,
    )
}

/// Frees the handle unless one of its own callbacks is running (then nothing happens).
///
/// # Safety
/// `client` is NULL or a live handle from `lwbs_client_new`; C does not use it afterwards.
pub(crate) unsafe fn free(client: *mut lwbs_client) {
    // SAFETY: forwarded to the caller. Checking the borrow before taking the box back keeps a
    // re-entrant free from destroying the client under its caller.
    let busy = unsafe { cell(client) }.is_ok_and(|cell| cell.try_borrow_mut().is_err());
    if !busy {
        // SAFETY: a live handle, no reference to it alive (not borrowed).
        drop(unsafe { cast::box_from_raw::<RefCell<Handle>, lwbs_client>(client) });
    }
}
