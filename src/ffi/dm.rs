//! The firmware's own objects in C: `lwbs_path`, and the DM request hook's `lwbs_dm_request`
//! and `lwbs_dm_response` (Device Management interface, Core 1.1.1 §6.3). The bridges that
//! call the firmware with them are in `objects`.

use crate::client::Path;

/// `UINT16_MAX`: "absent" in `lwbs_path` and for content formats.
pub(crate) const ABSENT: u16 = u16::MAX;

/// An LwM2M path /object/instance/resource/resource-instance; `UINT16_MAX` marks the levels
/// that are absent (`/3` = {3, UINT16_MAX, UINT16_MAX, UINT16_MAX}).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct lwbs_path {
    /// Object ID.
    pub object: u16,
    /// Object Instance ID or `UINT16_MAX`.
    pub instance: u16,
    /// Resource ID or `UINT16_MAX`.
    pub resource: u16,
    /// Resource Instance ID or `UINT16_MAX`.
    pub resource_instance: u16,
}

/// A DM server's request for one of the firmware's own objects (Device Management interface,
/// Core 1.1.1 §6.3). Never /0, /1 or /2: the library answers those itself, and refuses /0 to
/// every DM server (Core 1.1 §5.2). Valid only during the `dm_request` callback.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lwbs_dm_request {
    /// Short Server ID of the requesting server.
    pub ssid: u16,
    /// CoAP method code: 1 GET, 2 POST, 3 PUT, 4 DELETE (others possible).
    pub method: u8,
    /// The target.
    pub path: lwbs_path,
    /// Content-Format of the payload; `UINT16_MAX` = absent.
    pub content_format: u16,
    /// Accept option; `UINT16_MAX` = absent.
    pub accept: u16,
    /// Request body (reassembled when it came in blocks); NULL when `payload_len` is 0.
    pub payload: *const u8,
    /// Length of `payload`.
    pub payload_len: usize,
}

/// The firmware's answer, filled in by `dm_request`. `payload` is a buffer owned by the
/// library, `payload_capacity` bytes long (4096 in this version): write at most that much and
/// set `payload_len`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lwbs_dm_response {
    /// CoAP response code, for example 0x45 = 2.05 Content, 0x44 = 2.04 Changed.
    pub code: u8,
    /// Content-Format of the payload; `UINT16_MAX` = none.
    pub content_format: u16,
    /// The library's buffer for the body.
    pub payload: *mut u8,
    /// Size of `payload` in bytes.
    pub payload_capacity: usize,
    /// Bytes written to `payload`.
    pub payload_len: usize,
}

impl From<&Path> for lwbs_path {
    /// The levels of `path`, `UINT16_MAX` for the absent ones.
    fn from(path: &Path) -> lwbs_path {
        let ids = path.ids();
        let id = |i: usize| ids.get(i).copied().unwrap_or(ABSENT);
        lwbs_path { object: id(0), instance: id(1), resource: id(2), resource_instance: id(3) }
    }
}
