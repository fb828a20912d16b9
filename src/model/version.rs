//! The LwM2M enabler version the client speaks, and the firmware's own objects it announces.

use alloc::string::String;
use alloc::vec::Vec;

/// LwM2M enabler version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Version {
    /// LwM2M 1.0: no `pct`, Discover head `lwm2m="1.0"`.
    V1_0,
    /// LwM2M 1.1 (default).
    #[default]
    V1_1,
}

impl Version {
    /// The version as written in `lwm2m=` parameters: "1.0" or "1.1".
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1_0 => "1.0",
            Version::V1_1 => "1.1",
        }
    }
}

/// An object implemented by the firmware (Device /3, sensors...), listed in Register and
/// Discover payloads. The library never lists /0 there and owns /1 and /2 itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Object ID.
    pub id: u16,
    /// Object version when not 1.0 (announced as `ver=`).
    pub version: Option<String>,
    /// Instance IDs.
    pub instances: Vec<u16>,
}
