//! The C ABI over [`crate::client::Client`]: every `extern "C"` item of the crate, and the only
//! module allowed `unsafe`. `include/lwm2m_bootstrap.h` is generated from it by cbindgen
//! (`build.rs`, `cbindgen.toml`).
//!
//! One file per C concept:
//! - `result`: `lwbs_result` and `lwbs_result_str`;
//! - `config`: `lwbs_config`, `lwbs_account` and their `_init`;
//! - `platform`: `lwbs_platform`, the firmware's callbacks;
//! - `event`: `lwbs_event`, `lwbs_event_kind`, `lwbs_bootstrap_failure`, `lwbs_state`,
//!   `lwbs_state_reason`;
//! - `dm`: `lwbs_path`, `lwbs_dm_request`, `lwbs_dm_response` (the DM request hook);
//! - `bootstrap_objects`: the firmware's own objects inside the bootstrap transaction;
//! - `smartcard`: `lwbs_smartcard_config`, the card transport over `card_present` /
//!   `card_transmit`;
//! - `client`: the opaque `lwbs_client` and every `lwbs_client_*` function;
//! - `cast`: the only place where pointers become references, slices, strings or boxes;
//! - `panic`: the panic boundary every export runs in;
//! - `port` (no_std only): the global allocator and panic handler over the firmware's
//!   `lwbs_port_*` functions (`include/lwm2m_bootstrap_port.h`).
//!
//! Rules every export follows: a panic never crosses into C (it returns `LWBS_ERR_PANIC` and
//! poisons the client); every pointer is checked (`LWBS_ERR_NULL`); outputs are written only on
//! `LWBS_OK` (documented exceptions: `*out_len` with `LWBS_ERR_BUFFER_TOO_SMALL`,
//! `*next_deadline_ms` with `LWBS_ERR_STORAGE`); versioned structs are checked against their
//! `struct_size`; codes from C are taken as `uint32_t`; a callback calling back into its client
//! gets `LWBS_ERR_BUSY`.
//!
//! The exports that take pointers are `unsafe extern "C" fn`: their one safety contract, stated
//! once here and in the header, is that every pointer is NULL or valid for what its
//! documentation says (a live handle, a readable struct, `len` bytes, a NUL-terminated string).
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(clippy::missing_safety_doc)]

mod bootstrap_objects;
mod cast;
mod client;
mod config;
mod dm;
mod event;
mod panic;
mod platform;
#[cfg(not(feature = "std"))]
mod port;
mod result;
mod smartcard;

use core::ffi::c_char;

pub use client::{
    lwbs_client, lwbs_client_conn_error, lwbs_client_free, lwbs_client_has_bootstrap_server,
    lwbs_client_last_error, lwbs_client_new, lwbs_client_provision_bootstrap_server,
    lwbs_client_provision_server, lwbs_client_recv, lwbs_client_registration_location,
    lwbs_client_server_count, lwbs_client_server_lifetime, lwbs_client_server_ssid,
    lwbs_client_server_uri, lwbs_client_set_time, lwbs_client_start, lwbs_client_state,
    lwbs_client_state_reason, lwbs_client_stop, lwbs_client_tick, lwbs_client_trigger_bootstrap,
    lwbs_config_check,
};
pub use config::{
    lwbs_account, lwbs_account_init, lwbs_config, lwbs_config_init, lwbs_security_mode,
};
pub use dm::{lwbs_dm_request, lwbs_dm_response, lwbs_path};
pub use event::{
    lwbs_bootstrap_failure, lwbs_event, lwbs_event_kind, lwbs_state, lwbs_state_reason,
};
pub use platform::{lwbs_conn, lwbs_platform};
pub use result::{lwbs_result, lwbs_result_str};
pub use smartcard::{lwbs_client_set_smartcard, lwbs_smartcard_config, lwbs_smartcard_config_init};

/// The library version as a static NUL-terminated string, "MAJOR.MINOR.PATCH" (equal to
/// `LWBS_VERSION_STRING` of the header it was built with). Never NULL; must not be freed.
#[no_mangle]
pub extern "C" fn lwbs_version() -> *const c_char {
    const VERSION: &core::ffi::CStr = match core::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };
    panic::catch_or(|| VERSION.as_ptr(), c"unknown".as_ptr())
}
