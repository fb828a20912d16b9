//! Object definitions from the OMA registry (0.xml, 1.xml, 2.xml) for the objects the library
//! owns. Resources not listed here are "unsupported optional" and ignored in writes.

use super::value::DataType;

/// How a DM server may access a resource (the registry's Operations column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operations {
    /// No DM access (bootstrap-only).
    None,
    /// Read.
    Read,
    /// Read and write.
    ReadWrite,
    /// Execute.
    Execute,
}

/// One resource of an object definition.
#[derive(Clone, Copy, Debug)]
pub struct ResourceDefinition {
    /// Resource ID.
    pub id: u16,
    /// Registry name (with `std` only: firmware flash has no use for it).
    #[cfg(feature = "std")]
    pub name: &'static str,
    /// Data type.
    pub data_type: DataType,
    /// Mandatory in every instance.
    pub mandatory: bool,
    /// Multiple-instance resource.
    pub multiple: bool,
    /// What a DM server may do with it.
    pub operations: Operations,
}

/// An object definition: ID, version and the resources the library supports.
#[derive(Debug)]
pub struct ObjectDefinition {
    /// Object ID.
    pub id: u16,
    /// Registry name (with `std` only: firmware flash has no use for it).
    #[cfg(feature = "std")]
    pub name: &'static str,
    /// Object version announced in Register and Discover when not 1.0.
    pub version: Option<&'static str>,
    /// Supported resources, sorted by ID.
    pub resources: &'static [ResourceDefinition],
}

impl ObjectDefinition {
    /// The definition of resource `id`, or `None` when unsupported.
    pub fn resource(&self, id: u16) -> Option<&'static ResourceDefinition> {
        self.resources.iter().find(|r| r.id == id)
    }

    /// The mandatory resources.
    pub fn mandatory(&self) -> impl Iterator<Item = &'static ResourceDefinition> {
        self.resources.iter().filter(|r| r.mandatory)
    }
}

const fn res(
    id: u16,
    name: &'static str,
    data_type: DataType,
    mandatory: bool,
    operations: Operations,
) -> ResourceDefinition {
    #[cfg(not(feature = "std"))]
    let _ = name;
    ResourceDefinition {
        id,
        #[cfg(feature = "std")]
        name,
        data_type,
        mandatory,
        multiple: false,
        operations,
    }
}

const fn multi(
    id: u16,
    name: &'static str,
    data_type: DataType,
    operations: Operations,
) -> ResourceDefinition {
    #[cfg(not(feature = "std"))]
    let _ = name;
    ResourceDefinition {
        id,
        #[cfg(feature = "std")]
        name,
        data_type,
        mandatory: false,
        multiple: true,
        operations,
    }
}

use DataType as T;
use Operations::{Execute as E, None as N, Read as R, ReadWrite as RW};

/// LwM2M Security (/0), resources 0–12 (1.0) and 13–17 (1.1).
pub static SECURITY: ObjectDefinition = ObjectDefinition {
    id: 0,
    #[cfg(feature = "std")]
    name: "LwM2M Security",
    version: Some("1.1"),
    resources: &[
        res(0, "LwM2M Server URI", T::String, true, N),
        res(1, "Bootstrap-Server", T::Boolean, true, N),
        res(2, "Security Mode", T::Integer, true, N),
        res(3, "Public Key or Identity", T::Opaque, true, N),
        res(4, "Server Public Key", T::Opaque, true, N),
        res(5, "Secret Key", T::Opaque, true, N),
        res(6, "SMS Security Mode", T::Integer, false, N),
        res(7, "SMS Binding Key Parameters", T::Opaque, false, N),
        res(8, "SMS Binding Secret Key(s)", T::Opaque, false, N),
        res(9, "LwM2M Server SMS Number", T::String, false, N),
        res(10, "Short Server ID", T::Integer, false, N),
        res(11, "Client Hold Off Time", T::Integer, false, N),
        res(12, "Bootstrap-Server Account Timeout", T::Integer, false, N),
        res(13, "Matching Type", T::Unsigned, false, N),
        res(14, "SNI", T::String, false, N),
        res(15, "Certificate Usage", T::Unsigned, false, N),
        multi(16, "DTLS/TLS Ciphersuite", T::Unsigned, N),
        res(17, "OSCORE Security Mode", T::ObjLnk, false, N),
    ],
};

/// LwM2M Server (/1), resources 0–23 of object version 1.1 (OMA LwM2M registry object 1).
pub static SERVER: ObjectDefinition = ObjectDefinition {
    id: 1,
    #[cfg(feature = "std")]
    name: "LwM2M Server",
    version: Some("1.1"),
    resources: &[
        res(0, "Short Server ID", T::Integer, true, R),
        res(1, "Lifetime", T::Integer, true, RW),
        res(2, "Default Minimum Period", T::Integer, false, RW),
        res(3, "Default Maximum Period", T::Integer, false, RW),
        res(4, "Disable", T::None, false, E),
        res(5, "Disable Timeout", T::Integer, false, RW),
        res(6, "Notification Storing When Disabled or Offline", T::Boolean, true, RW),
        res(7, "Binding", T::String, true, RW),
        res(8, "Registration Update Trigger", T::None, true, E),
        res(9, "Bootstrap-Request Trigger", T::None, false, E),
        res(10, "APN Link", T::ObjLnk, false, RW),
        res(11, "TLS-DTLS Alert Code", T::Unsigned, false, R),
        res(12, "Last Bootstrapped", T::Time, false, R),
        res(13, "Registration Priority Order", T::Unsigned, false, N),
        res(14, "Initial Registration Delay Timer", T::Unsigned, false, N),
        res(15, "Registration Failure Block", T::Boolean, false, N),
        res(16, "Bootstrap on Registration Failure", T::Boolean, false, N),
        res(17, "Communication Retry Count", T::Unsigned, false, RW),
        res(18, "Communication Retry Timer", T::Unsigned, false, RW),
        res(19, "Communication Sequence Delay Timer", T::Unsigned, false, RW),
        res(20, "Communication Sequence Retry Count", T::Unsigned, false, RW),
        res(21, "Trigger", T::Boolean, false, RW),
        res(22, "Preferred Transport", T::String, false, RW),
        res(23, "Mute Send", T::Boolean, false, RW),
    ],
};

/// LwM2M Access Control (/2), object version 1.0.
pub static ACCESS_CONTROL: ObjectDefinition = ObjectDefinition {
    id: 2,
    #[cfg(feature = "std")]
    name: "LwM2M Access Control",
    version: None,
    resources: &[
        res(0, "Object ID", T::Integer, true, R),
        res(1, "Object Instance ID", T::Integer, true, R),
        multi(2, "ACL", T::Integer, RW),
        res(3, "Access Control Owner", T::Integer, true, RW),
    ],
};

/// The definition of an object the library owns, or `None`.
pub fn object_definition(object_id: u16) -> Option<&'static ObjectDefinition> {
    match object_id {
        0 => Some(&SECURITY),
        1 => Some(&SERVER),
        2 => Some(&ACCESS_CONTROL),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_sorted_and_unique() {
        for def in [&SECURITY, &SERVER, &ACCESS_CONTROL] {
            assert!(def.resources.windows(2).all(|w| w[0].id < w[1].id), "{}", def.name);
        }
        assert_eq!(SERVER.resources.len(), 24);
        assert_eq!(SECURITY.resource(16).map(|r| r.multiple), Some(true));
        assert!(SECURITY.resource(99).is_none());
    }
}
