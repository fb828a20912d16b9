//! An object instance: resources by ID, plus where it came from.

use super::VecMap;

use super::value::{ResourceValue, Value};

/// Who provisioned an instance (persisted with it; the smartcard rules depend on it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// Factory bootstrap: provisioned through the API before deployment.
    #[default]
    Factory,
    /// Bootstrap from Smartcard.
    Smartcard,
    /// Written by the LwM2M Bootstrap-Server.
    BootstrapServer,
}

/// One object instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Instance {
    /// Resources by resource ID.
    pub resources: VecMap<u16, ResourceValue>,
    /// Who provisioned it.
    pub origin: Origin,
}

impl Instance {
    /// An empty instance with the given origin.
    pub fn new(origin: Origin) -> Instance {
        Instance { resources: VecMap::new(), origin }
    }

    /// The single value of resource `id`.
    pub fn value(&self, id: u16) -> Option<&Value> {
        self.resources.get(&id).and_then(ResourceValue::single)
    }

    /// Sets a single-instance resource.
    pub fn set(&mut self, id: u16, value: Value) {
        self.resources.insert(id, ResourceValue::Single(value));
    }

    /// Builder form of [`Instance::set`].
    pub fn with(mut self, id: u16, value: Value) -> Instance {
        self.set(id, value);
        self
    }

    /// True when resource `id` is present.
    pub fn has(&self, id: u16) -> bool {
        self.resources.contains_key(&id)
    }

    /// Resource `id` as a signed integer.
    pub fn int(&self, id: u16) -> Option<i64> {
        self.value(id).and_then(Value::as_i64)
    }

    /// Resource `id` as an unsigned integer.
    pub fn uint(&self, id: u16) -> Option<u64> {
        self.value(id).and_then(Value::as_u64)
    }

    /// Resource `id` as a boolean.
    pub fn boolean(&self, id: u16) -> Option<bool> {
        self.value(id).and_then(Value::as_bool)
    }

    /// Resource `id` as a string.
    pub fn string(&self, id: u16) -> Option<&str> {
        self.value(id).and_then(Value::as_str)
    }

    /// Resource `id` as bytes.
    pub fn bytes(&self, id: u16) -> Option<&[u8]> {
        self.value(id).and_then(Value::as_bytes)
    }
}
