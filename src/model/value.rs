//! Typed resource values (LwM2M Core Appendix C data types).

use super::VecMap;
use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroizing;

/// The LwM2M data type of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    /// UTF-8 string.
    String,
    /// Signed integer (1, 2, 4 or 8 bytes in TLV).
    Integer,
    /// Unsigned integer (1.1).
    Unsigned,
    /// IEEE 754 float (4 or 8 bytes in TLV).
    Float,
    /// Boolean (one byte 0/1 in TLV).
    Boolean,
    /// Raw bytes.
    Opaque,
    /// Seconds since the Unix epoch, encoded as an integer.
    Time,
    /// Object link: object ID and instance ID.
    ObjLnk,
    /// A CoRE link-format string.
    CoreLink,
    /// Executable resources carry no value.
    None,
}

/// One typed value. Opaque bytes are wiped from memory when dropped and `Debug` shows only
/// their length: they hold keys.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// UTF-8 string.
    String(String),
    /// Signed integer.
    Integer(i64),
    /// Unsigned integer.
    Unsigned(u64),
    /// Float.
    Float(f64),
    /// Boolean.
    Boolean(bool),
    /// Opaque bytes, zeroized on drop.
    Opaque(Zeroizing<Vec<u8>>),
    /// Time (seconds since the epoch).
    Time(i64),
    /// Object link `(object, instance)`.
    ObjLnk(u16, u16),
    /// CoRE link-format text.
    CoreLink(String),
}

impl core::fmt::Debug for Value {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Value::String(v) => f.debug_tuple("String").field(v).finish(),
            Value::Integer(v) => f.debug_tuple("Integer").field(v).finish(),
            Value::Unsigned(v) => f.debug_tuple("Unsigned").field(v).finish(),
            Value::Float(v) => f.debug_tuple("Float").field(v).finish(),
            Value::Boolean(v) => f.debug_tuple("Boolean").field(v).finish(),
            Value::Opaque(v) => write!(f, "Opaque(<{} bytes>)", v.len()),
            Value::Time(v) => f.debug_tuple("Time").field(v).finish(),
            Value::ObjLnk(o, i) => f.debug_tuple("ObjLnk").field(o).field(i).finish(),
            Value::CoreLink(v) => f.debug_tuple("CoreLink").field(v).finish(),
        }
    }
}

impl Value {
    /// Builds an opaque value from bytes.
    pub fn opaque(bytes: &[u8]) -> Value {
        Value::Opaque(Zeroizing::new(bytes.to_vec()))
    }

    /// The data type of this value.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::String(_) => DataType::String,
            Value::Integer(_) => DataType::Integer,
            Value::Unsigned(_) => DataType::Unsigned,
            Value::Float(_) => DataType::Float,
            Value::Boolean(_) => DataType::Boolean,
            Value::Opaque(_) => DataType::Opaque,
            Value::Time(_) => DataType::Time,
            Value::ObjLnk(..) => DataType::ObjLnk,
            Value::CoreLink(_) => DataType::CoreLink,
        }
    }

    /// The value as a signed integer, for Integer, Unsigned (when it fits) and Time.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(v) | Value::Time(v) => Some(v),
            Value::Unsigned(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as an unsigned integer, for Unsigned and non-negative Integer/Time.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Unsigned(v) => Some(v),
            Value::Integer(v) | Value::Time(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Boolean(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a string slice, for String and CoreLink.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::CoreLink(s) => Some(s),
            _ => None,
        }
    }

    /// The value as bytes, for Opaque (and the UTF-8 bytes of a String).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Opaque(b) => Some(b),
            Value::String(s) => Some(s.as_bytes()),
            _ => None,
        }
    }
}

/// The value of a resource: single, or multiple with resource-instance IDs.
#[derive(Clone, Debug, PartialEq)]
pub enum ResourceValue {
    /// A single-instance resource.
    Single(Value),
    /// A multiple-instance resource, keyed by resource-instance ID.
    Multiple(VecMap<u16, Value>),
}

impl ResourceValue {
    /// The single value, or `None` for a multiple resource.
    pub fn single(&self) -> Option<&Value> {
        match self {
            ResourceValue::Single(v) => Some(v),
            ResourceValue::Multiple(_) => None,
        }
    }
}
