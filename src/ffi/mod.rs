//! The C ABI over [`crate::client::Client`]: every `extern "C"` item of the crate, and the only
//! module allowed `unsafe`. `include/lwm2m_bootstrap.h` is generated from it by cbindgen
//! (`build.rs`, `cbindgen.toml`).
//!
//! One file per C concept:
//! - `handle`: the opaque `lwbs_client` and its guard (NULL check, re-entrancy, poison flag,
//!   panic boundary) around one `Handle`: the engine's `Client` with the platform glue;
//! - `pump`: the event pump, from the engine's queues to the platform's callbacks;
//! - `lifecycle`: `lwbs_client_new` / `_free`, provisioning, start / stop / trigger, the input
//!   (`_recv`, `_tick`, `_conn_error`, `_set_time`) and the state getters;
//! - `getters`: the other `lwbs_client_*` getters, over one helper;
//! - `config`: `lwbs_config`, `lwbs_account`, `lwbs_security_mode`, their `_init` and
//!   `lwbs_config_check`;
//! - `platform`: `lwbs_platform`, the firmware's callbacks (each signature written once, there);
//! - `event`: `lwbs_event`, `lwbs_event_kind`, `lwbs_bootstrap_failure`,
//!   `lwbs_registration_failure`, `lwbs_state`,
//!   `lwbs_state_reason`, and the route of every engine event;
//! - `dm`: `lwbs_path`, `lwbs_dm_request`, `lwbs_dm_response`;
//! - `objects`: the firmware's own objects behind the DM request hook and inside the
//!   bootstrap transaction;
//! - `smartcard`: `lwbs_smartcard_config`, the card transport over `card_present` /
//!   `card_transmit`;
//! - `cast`: the only place where pointers become references, slices, strings or boxes;
//! - `result`: `lwbs_result` and `lwbs_result_str`;
//! - `panic`: the panic boundary every export runs in;
//! - `port` (no_std only): the global allocator and panic handler over the firmware's
//!   `lwbs_port_*` functions (`include/lwm2m_bootstrap_port.h`).
//!
//! The dependencies between them form no cycle: `panic` ← `result` ← `cast` ← `config`, `dm`,
//! `event` ← `platform` ← `objects`, `smartcard`, `handle` ← `pump`, `getters` ← `lifecycle`.
//! From the rest of the crate they import only `crate::client`'s public items.
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

// cbindgen emits the functions in the order it reads them, module by module in the order of
// these declarations (rustfmt sorts each group, hence the groups): `lifecycle`, `getters` and
// `config` in this order keep the header's order.
mod cast;
mod dm;
mod event;
mod handle;
mod lifecycle;

mod getters;

mod config;
mod objects;
mod panic;
mod platform;
#[cfg(not(feature = "std"))]
mod port;
mod pump;
mod result;
mod smartcard;

use core::ffi::c_char;

pub use config::{
    lwbs_account, lwbs_account_init, lwbs_config, lwbs_config_check, lwbs_config_init,
    lwbs_security_mode,
};
pub use dm::{lwbs_dm_request, lwbs_dm_response, lwbs_path};
pub use event::{
    lwbs_bootstrap_failure, lwbs_event, lwbs_event_kind, lwbs_registration_failure, lwbs_state,
    lwbs_state_reason,
};
pub use getters::{
    lwbs_client_has_bootstrap_server, lwbs_client_last_error, lwbs_client_registration_location,
    lwbs_client_server_count, lwbs_client_server_lifetime, lwbs_client_server_ssid,
    lwbs_client_server_uri,
};
pub use handle::lwbs_client;
pub use lifecycle::{
    lwbs_client_conn_error, lwbs_client_conn_security_failed, lwbs_client_free, lwbs_client_new,
    lwbs_client_provision_bootstrap_server, lwbs_client_provision_server, lwbs_client_recv,
    lwbs_client_set_time, lwbs_client_start, lwbs_client_state, lwbs_client_state_reason,
    lwbs_client_stop, lwbs_client_tick, lwbs_client_trigger_bootstrap,
};
pub use platform::{
    lwbs_conn, lwbs_platform, lwbs_security, lwbs_security_failure, LWBS_OPEN_REFUSED,
};
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
