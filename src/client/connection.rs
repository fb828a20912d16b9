//! One connection: a transport association with one server account, with its CoAP endpoint.

use alloc::string::String;

use crate::coap::{Endpoint, TransmissionParams};

/// Whose connection it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The Bootstrap-Server account's session (never shared with a DM server).
    Bootstrap,
    /// The LwM2M Server with this Short Server ID.
    Server(u16),
}

pub(crate) struct Connection {
    pub uri: String,
    pub role: Role,
    pub endpoint: Endpoint,
    /// Released once its queued datagrams were handed out.
    pub closing: bool,
}

impl Connection {
    pub fn new(uri: &str, role: Role, params: TransmissionParams, seed: u64) -> Connection {
        Connection { uri: uri.into(), role, endpoint: Endpoint::new(params, seed), closing: false }
    }
}
