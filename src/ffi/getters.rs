//! The getters: what the committed configuration and the registrations hold, and the reason
//! of the last failed call. Each is one line over [`get`] (or [`handle::peek`] for the
//! reason, which reading must not clear).

use alloc::borrow::Cow;
use core::ffi::c_char;

use super::cast::{Out, Output, StringOut};
use super::handle::{self, lwbs_client};
use super::result::lwbs_result::{self, *};
use crate::client::Client;

/// Reads `value` from the client behind the guard (see `handle::enter`) and writes it to
/// `out`. `out` was checked before the call (so that a NULL output answers `LWBS_ERR_NULL`
/// before any lookup) and is written only when `value` succeeds.
///
/// # Safety
/// `client` is NULL or a live handle; the pointers `out` was made from are writable.
pub(crate) unsafe fn get<O: Output>(
    client: *const lwbs_client,
    out: Result<O, lwbs_result>,
    value: impl for<'a> FnOnce(&'a Client) -> Result<O::Value<'a>, lwbs_result>,
) -> lwbs_result {
    // SAFETY: `client` is forwarded to the caller.
    unsafe {
        handle::enter(client, |handle| {
            let out = out?;
            let value = value(&handle.client)?;
            // SAFETY: forwarded to the caller.
            out.put(value)
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
    // SAFETY: `client` is NULL or a live handle; `out_count` NULL or a writable `size_t`.
    unsafe {
        get(client, Out::new(out_count), |c| Ok(c.configuration().server_account_pairs().count()))
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
    // SAFETY: `client` is NULL or a live handle; `out_ssid` NULL or a writable `uint16_t`.
    unsafe {
        get(client, Out::new(out_ssid), |c| {
            let pairs = c.configuration().server_account_pairs();
            pairs.filter_map(|(_, s)| s.ssid()).nth(index).ok_or(LWBS_ERR_NOT_FOUND)
        })
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
    // SAFETY: `client` is NULL or a live handle; `buf` NULL or `capacity` writable bytes,
    // `out_len` NULL or a writable `size_t`.
    unsafe {
        get(client, StringOut::new(buf, capacity, out_len), |c| {
            let uri = c.configuration().security_for_ssid(ssid).and_then(|a| a.uri());
            uri.map(Cow::Borrowed).ok_or(LWBS_ERR_NOT_FOUND)
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
    // SAFETY: `client` is NULL or a live handle; `out_lifetime_s` NULL or a writable
    // `uint32_t`.
    unsafe {
        get(client, Out::new(out_lifetime_s), |c| {
            let server = c.configuration().server_for_ssid(ssid).ok_or(LWBS_ERR_NOT_FOUND)?;
            Ok(u32::try_from(server.lifetime_s()).unwrap_or(u32::MAX))
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
        get(client, StringOut::new(buf, capacity, out_len), |c| {
            let registration = c.registration(ssid).filter(|r| r.is_registered());
            Ok(Cow::Owned(registration.ok_or(LWBS_ERR_NOT_FOUND)?.location_path()))
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
    // SAFETY: `client` is NULL or a live handle; `out` NULL or a writable `bool`.
    unsafe { get(client, Out::new(out), |c| Ok(c.configuration().bootstrap_account().is_some())) }
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
    // SAFETY: as `lwbs_client_server_uri`.
    unsafe {
        let out = StringOut::new(buf, capacity, out_len);
        handle::peek(client, |handle| out?.write(handle.detail()))
    }
}
