//! The data model the library owns: paths, typed values, the Security (/0), Server (/1) and
//! Access Control (/2) object definitions, instances, and the store holding the committed
//! configuration and the staged copy of a bootstrap transaction.

mod account_error;
mod definitions;
mod instance;
mod path;
mod secret;
mod security;
mod server;
mod store;
mod uri;
mod value;
mod vec_map;
mod version;

pub use account_error::{
    check_uri_lengths, AccountError, UriPart, MAX_OPTION_VALUE, MAX_PSK, MAX_PSK_IDENTITY,
};
pub use definitions::{
    object_definition, ObjectDefinition, Operations, ResourceDefinition, ACCESS_CONTROL, SECURITY,
    SERVER,
};
pub use instance::{Instance, Origin};
pub use path::{Path, PathError};
pub use secret::Secret;
pub use security::{security_res, SecurityAccount, SecurityMode};
pub use server::{server_res, ServerAccount, DEFAULT_LIFETIME_S};
pub use store::{DataModel, Store};
pub use uri::{Scheme, ServerUri, UriError};
pub use value::{DataType, ResourceValue, Value};
pub use vec_map::{VecMap, VecSet};
pub use version::{ObjectInfo, Version};

/// Object ID of the LwM2M Security object.
pub const OBJ_SECURITY: u16 = 0;
/// Object ID of the LwM2M Server object.
pub const OBJ_SERVER: u16 = 1;
/// Object ID of the Access Control object.
pub const OBJ_ACCESS_CONTROL: u16 = 2;
/// Object ID of the Device object.
pub const OBJ_DEVICE: u16 = 3;
