//! OMA-TLV (LwM2M Core TS 1.0 §6.4.3, Transport TS 1.1 §7.4.3).
//!
//! Each TLV is a type byte, an 8- or 16-bit identifier, an optional 8/16/24-bit length field
//! and the value:
//!
//! ```text
//! type byte: KK I LL lll   KK  = 00 Object Instance, 01 Resource Instance,
//!                                10 Multiple Resource, 11 Resource
//!                          I   = identifier is 16 bits (else 8)
//!                          LL  = length field size in bytes (0: length is lll)
//! ```

use crate::model::{VecMap, VecSet};
use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::CodecError;
use crate::model::{DataType, Instance, ObjectDefinition, Path, ResourceValue, Value};

/// Longest value a TLV can carry (24-bit length field).
pub const MAX_VALUE_LEN: usize = 0xFF_FFFF;

/// The kind of a TLV (bits 7-6 of the type byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlvKind {
    /// `00`: an Object Instance containing Resource / Multiple Resource TLVs.
    ObjectInstance,
    /// `01`: one instance of a multiple resource.
    ResourceInstance,
    /// `10`: a multiple resource containing Resource Instance TLVs.
    MultipleResource,
    /// `11`: a single resource with its value.
    Resource,
}

impl TlvKind {
    fn bits(self) -> u8 {
        match self {
            TlvKind::ObjectInstance => 0b00,
            TlvKind::ResourceInstance => 0b01,
            TlvKind::MultipleResource => 0b10,
            TlvKind::Resource => 0b11,
        }
    }

    fn from_type_byte(type_byte: u8) -> TlvKind {
        match type_byte >> 6 {
            0b00 => TlvKind::ObjectInstance,
            0b01 => TlvKind::ResourceInstance,
            0b10 => TlvKind::MultipleResource,
            _ => TlvKind::Resource,
        }
    }
}

/// One TLV, borrowing its value from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Kind from the type byte.
    pub kind: TlvKind,
    /// Object instance, resource or resource instance ID.
    pub id: u16,
    /// The raw value (nested TLVs for Object Instance and Multiple Resource).
    pub value: &'a [u8],
}

/// Resources of one decoded instance, by resource ID.
pub type Resources = VecMap<u16, ResourceValue>;

/// Parses one level of TLVs: a sequence that must fill `bytes` exactly. Nested values are not
/// parsed. Accepts 8- or 16-bit identifiers and any length encoding (minimal or not).
pub fn parse(bytes: &[u8]) -> Result<Vec<Tlv<'_>>, CodecError> {
    let mut rest = bytes;
    let mut tlvs = Vec::new();
    while !rest.is_empty() {
        let (tlv, tail) = parse_one(rest)?;
        tlvs.push(tlv);
        rest = tail;
    }
    Ok(tlvs)
}

fn parse_one(bytes: &[u8]) -> Result<(Tlv<'_>, &[u8]), CodecError> {
    let (&type_byte, rest) = bytes.split_first().ok_or(CodecError::Truncated)?;
    let id_len = if type_byte & 0x20 != 0 { 2 } else { 1 };
    let (id_bytes, rest) = take(rest, id_len)?;
    let id = u16::try_from(be_u64(id_bytes)).map_err(|_| CodecError::BadLength)?;
    let (len, rest) = match usize::from((type_byte >> 3) & 0x03) {
        0 => (usize::from(type_byte & 0x07), rest),
        len_len => {
            let (len_bytes, rest) = take(rest, len_len)?;
            let len = usize::try_from(be_u64(len_bytes)).map_err(|_| CodecError::BadLength)?;
            (len, rest)
        }
    };
    let (value, rest) = take(rest, len)?;
    let kind = TlvKind::from_type_byte(type_byte);
    Ok((Tlv { kind, id, value }, rest))
}

fn take(bytes: &[u8], n: usize) -> Result<(&[u8], &[u8]), CodecError> {
    bytes.split_at_checked(n).ok_or(CodecError::Truncated)
}

/// Big-endian unsigned value of at most 8 bytes.
fn be_u64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

/// Appends one TLV with the minimal header: 8-bit identifier when `id < 256`, length in the
/// type byte when below 8, else an 8/16/24-bit length field. The format cannot express
/// values longer than [`MAX_VALUE_LEN`]; longer values are cut to that length.
pub fn write_tlv(out: &mut Vec<u8>, kind: TlvKind, id: u16, value: &[u8]) {
    let value = value.get(..MAX_VALUE_LEN).unwrap_or(value);
    let len = value.len();
    let len_len: usize = match len {
        0..=7 => 0,
        8..=0xFF => 1,
        0x100..=0xFFFF => 2,
        _ => 3,
    };
    let long_id = id > 0xFF;
    let mut type_byte = kind.bits() << 6;
    if long_id {
        type_byte |= 0x20;
    }
    type_byte |= if len_len == 0 { len as u8 } else { (len_len as u8) << 3 };
    // Reserve once so that a value holding key material is not left behind by a reallocation.
    out.reserve(len.saturating_add(4 + len_len));
    out.push(type_byte);
    if long_id {
        out.extend_from_slice(&id.to_be_bytes());
    } else {
        out.push(id as u8);
    }
    let len_bytes = (len as u64).to_be_bytes();
    out.extend_from_slice(len_bytes.get(8 - len_len..).unwrap_or_default());
    out.extend_from_slice(value);
}

/// Decodes a resource (or resource instance) value of type `data_type`.
///
/// Integer/Time: 1, 2, 4 or 8 bytes, big-endian two's complement; Unsigned: 1, 2, 4 or 8
/// bytes; Float: 4 or 8 bytes; Boolean: one byte 0 or 1; ObjLnk: 4 bytes (object, instance);
/// String/CoreLink: UTF-8; Opaque: raw bytes. `DataType::None` is [`CodecError::BadType`].
pub fn decode_value(bytes: &[u8], data_type: DataType) -> Result<Value, CodecError> {
    match data_type {
        DataType::Integer => decode_signed(bytes).map(Value::Integer),
        DataType::Time => decode_signed(bytes).map(Value::Time),
        DataType::Unsigned => decode_unsigned(bytes).map(Value::Unsigned),
        #[cfg(feature = "float")]
        DataType::Float => decode_float(bytes).map(Value::Float),
        #[cfg(not(feature = "float"))]
        DataType::Float => Err(CodecError::BadType),
        DataType::Boolean => decode_bool(bytes).map(Value::Boolean),
        DataType::ObjLnk => decode_objlnk(bytes),
        DataType::String => decode_utf8(bytes).map(Value::String),
        DataType::CoreLink => decode_utf8(bytes).map(Value::CoreLink),
        DataType::Opaque => Ok(Value::opaque(bytes)),
        DataType::None => Err(CodecError::BadType),
    }
}

fn integer_width(bytes: &[u8]) -> Result<u32, CodecError> {
    match bytes.len() {
        1 | 2 | 4 | 8 => Ok(bytes.len() as u32 * 8),
        _ => Err(CodecError::BadLength),
    }
}

fn decode_signed(bytes: &[u8]) -> Result<i64, CodecError> {
    let shift = 64 - integer_width(bytes)?;
    // Move the sign bit to bit 63, then sign-extend with an arithmetic shift.
    Ok(((be_u64(bytes) << shift) as i64) >> shift)
}

fn decode_unsigned(bytes: &[u8]) -> Result<u64, CodecError> {
    integer_width(bytes)?;
    Ok(be_u64(bytes))
}

#[cfg(feature = "float")]
fn decode_float(bytes: &[u8]) -> Result<f64, CodecError> {
    if let Ok(b) = <[u8; 4]>::try_from(bytes) {
        return Ok(f64::from(f32::from_be_bytes(b)));
    }
    <[u8; 8]>::try_from(bytes).map(f64::from_be_bytes).map_err(|_| CodecError::BadLength)
}

fn decode_bool(bytes: &[u8]) -> Result<bool, CodecError> {
    match bytes {
        [0] => Ok(false),
        [1] => Ok(true),
        [_] => Err(CodecError::BadValue),
        _ => Err(CodecError::BadLength),
    }
}

fn decode_objlnk(bytes: &[u8]) -> Result<Value, CodecError> {
    match bytes {
        [o1, o2, i1, i2] => {
            Ok(Value::ObjLnk(u16::from_be_bytes([*o1, *o2]), u16::from_be_bytes([*i1, *i2])))
        }
        _ => Err(CodecError::BadLength),
    }
}

fn decode_utf8(bytes: &[u8]) -> Result<alloc::string::String, CodecError> {
    core::str::from_utf8(bytes).map(alloc::string::String::from).map_err(|_| CodecError::BadUtf8)
}

/// Encodes a value: integers in the smallest of 1/2/4/8 bytes, floats in 4 bytes when exactly
/// representable as `f32`, else 8 (always 8 without the `float` feature).
pub fn encode_value(value: &Value) -> Vec<u8> {
    match value {
        Value::Integer(v) | Value::Time(v) => encode_signed(*v),
        Value::Unsigned(v) => encode_unsigned(*v),
        Value::Float(v) => encode_float(*v),
        Value::Boolean(v) => alloc::vec![u8::from(*v)],
        Value::ObjLnk(o, i) => [o.to_be_bytes(), i.to_be_bytes()].concat(),
        Value::String(s) | Value::CoreLink(s) => s.as_bytes().to_vec(),
        Value::Opaque(b) => b.to_vec(),
    }
}

fn encode_signed(v: i64) -> Vec<u8> {
    if let Ok(v) = i8::try_from(v) {
        v.to_be_bytes().to_vec()
    } else if let Ok(v) = i16::try_from(v) {
        v.to_be_bytes().to_vec()
    } else if let Ok(v) = i32::try_from(v) {
        v.to_be_bytes().to_vec()
    } else {
        v.to_be_bytes().to_vec()
    }
}

fn encode_unsigned(v: u64) -> Vec<u8> {
    if let Ok(v) = u8::try_from(v) {
        v.to_be_bytes().to_vec()
    } else if let Ok(v) = u16::try_from(v) {
        v.to_be_bytes().to_vec()
    } else if let Ok(v) = u32::try_from(v) {
        v.to_be_bytes().to_vec()
    } else {
        v.to_be_bytes().to_vec()
    }
}

fn encode_float(v: f64) -> Vec<u8> {
    #[cfg(feature = "float")]
    if f64::from(v as f32) == v {
        return (v as f32).to_be_bytes().to_vec();
    }
    v.to_be_bytes().to_vec()
}

/// Decodes a Write payload addressed to `path` (depth 1, 2 or 3) into instances of `def`.
///
/// - `/O`: a sequence of Object Instance TLVs, each keeping its own instance ID;
/// - `/O/I`: either one Object Instance TLV whose ID must equal I, or the resource TLVs
///   directly (the wrapper omitted, as some Bootstrap-Servers send it);
/// - `/O/I/R`: one Resource (single) or Multiple Resource TLV with ID R. When R is not
///   defined in `def` the result is empty.
///
/// Resources not defined in `def` are skipped; defined ones are type-checked. A Multiple
/// Resource TLV for a single resource or vice versa, duplicate resource IDs in one instance,
/// duplicate instance IDs, a path of another object or of depth 0 or 4 are errors.
pub fn decode_instances(
    payload: &[u8],
    path: &Path,
    def: &ObjectDefinition,
) -> Result<Vec<(u16, Resources)>, CodecError> {
    if path.depth() == 0 || path.depth() > 3 {
        return Err(CodecError::BadPath);
    }
    if path.object_id() != Some(def.id) {
        return Err(CodecError::IdMismatch);
    }
    let tlvs = parse(payload)?;
    match (path.instance_id(), path.resource_id()) {
        (None, _) => decode_object_level(&tlvs, def),
        (Some(iid), None) => decode_instance_level(&tlvs, iid, def).map(|r| alloc::vec![(iid, r)]),
        (Some(iid), Some(rid)) => decode_resource_level(&tlvs, iid, rid, def),
    }
}

fn decode_object_level(
    tlvs: &[Tlv<'_>],
    def: &ObjectDefinition,
) -> Result<Vec<(u16, Resources)>, CodecError> {
    let mut seen = VecSet::new();
    let mut instances = Vec::with_capacity(tlvs.len());
    for tlv in tlvs {
        if tlv.kind != TlvKind::ObjectInstance {
            return Err(CodecError::UnexpectedTlv);
        }
        if !seen.add(tlv.id) {
            return Err(CodecError::Duplicate);
        }
        instances.push((tlv.id, decode_resources(&parse(tlv.value)?, def)?));
    }
    Ok(instances)
}

fn decode_instance_level(
    tlvs: &[Tlv<'_>],
    iid: u16,
    def: &ObjectDefinition,
) -> Result<Resources, CodecError> {
    match tlvs {
        [wrapper] if wrapper.kind == TlvKind::ObjectInstance => {
            if wrapper.id != iid {
                return Err(CodecError::IdMismatch);
            }
            decode_resources(&parse(wrapper.value)?, def)
        }
        _ => decode_resources(tlvs, def),
    }
}

fn decode_resource_level(
    tlvs: &[Tlv<'_>],
    iid: u16,
    rid: u16,
    def: &ObjectDefinition,
) -> Result<Vec<(u16, Resources)>, CodecError> {
    let [tlv] = tlvs else {
        return Err(CodecError::UnexpectedTlv);
    };
    if tlv.id != rid {
        return Err(CodecError::IdMismatch);
    }
    Ok(match decode_resource(tlv, def)? {
        Some(value) => alloc::vec![(iid, VecMap::from([(rid, value)]))],
        None => Vec::new(),
    })
}

/// Decodes the Resource / Multiple Resource TLVs of one instance.
fn decode_resources(tlvs: &[Tlv<'_>], def: &ObjectDefinition) -> Result<Resources, CodecError> {
    let mut seen = VecSet::new();
    let mut resources = VecMap::new();
    for tlv in tlvs {
        if !seen.add(tlv.id) {
            return Err(CodecError::Duplicate);
        }
        if let Some(value) = decode_resource(tlv, def)? {
            resources.insert(tlv.id, value);
        }
    }
    Ok(resources)
}

/// One resource TLV; `None` when the resource is not defined in `def`.
fn decode_resource(
    tlv: &Tlv<'_>,
    def: &ObjectDefinition,
) -> Result<Option<ResourceValue>, CodecError> {
    let multiple = match tlv.kind {
        TlvKind::Resource => false,
        TlvKind::MultipleResource => true,
        _ => return Err(CodecError::UnexpectedTlv),
    };
    let Some(res) = def.resource(tlv.id) else {
        return Ok(None);
    };
    if res.multiple != multiple {
        return Err(CodecError::UnexpectedTlv);
    }
    let value = if multiple {
        ResourceValue::Multiple(decode_multiple(tlv.value, res.data_type)?)
    } else {
        ResourceValue::Single(decode_value(tlv.value, res.data_type)?)
    };
    Ok(Some(value))
}

fn decode_multiple(bytes: &[u8], data_type: DataType) -> Result<VecMap<u16, Value>, CodecError> {
    let mut values = VecMap::new();
    for tlv in parse(bytes)? {
        if tlv.kind != TlvKind::ResourceInstance {
            return Err(CodecError::UnexpectedTlv);
        }
        if values.insert(tlv.id, decode_value(tlv.value, data_type)?).is_some() {
            return Err(CodecError::Duplicate);
        }
    }
    Ok(values)
}

/// Encodes instances for a Read response. With `wrap_instances` (a Read on `/O`) each
/// instance is an Object Instance TLV; without (a Read on `/O/I`) the resource TLVs of each
/// instance are written directly, one instance after the other.
pub fn encode_instances(instances: &[(u16, &Instance)], wrap_instances: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (iid, instance) in instances {
        let body = encode_instance_body(instance);
        if wrap_instances {
            write_tlv(&mut out, TlvKind::ObjectInstance, *iid, &body);
        } else {
            out.extend_from_slice(&body);
        }
    }
    out
}

fn encode_instance_body(instance: &Instance) -> Zeroizing<Vec<u8>> {
    let mut body = Zeroizing::new(Vec::new());
    for (id, value) in &instance.resources {
        body.extend_from_slice(&Zeroizing::new(encode_resource(*id, value)));
    }
    body
}

/// Encodes one resource: a Resource TLV for a single value, or a Multiple Resource TLV with
/// one Resource Instance TLV per instance.
pub fn encode_resource(id: u16, value: &ResourceValue) -> Vec<u8> {
    let mut out = Vec::new();
    match value {
        ResourceValue::Single(v) => {
            write_tlv(&mut out, TlvKind::Resource, id, &Zeroizing::new(encode_value(v)));
        }
        ResourceValue::Multiple(values) => {
            let mut inner = Zeroizing::new(Vec::new());
            for (riid, v) in values {
                let bytes = Zeroizing::new(encode_value(v));
                write_tlv(&mut inner, TlvKind::ResourceInstance, *riid, &bytes);
            }
            write_tlv(&mut out, TlvKind::MultipleResource, id, &inner);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Operations, Origin, ResourceDefinition, SECURITY};
    use alloc::string::String;
    use alloc::vec;
    use proptest::prelude::*;

    const fn res(id: u16, data_type: DataType, multiple: bool) -> ResourceDefinition {
        ResourceDefinition {
            id,
            name: "",
            data_type,
            mandatory: false,
            multiple,
            operations: Operations::ReadWrite,
        }
    }

    /// The Device object (3) as far as the spec examples need it.
    static DEVICE: ObjectDefinition = ObjectDefinition {
        id: 3,
        name: "Device",
        version: None,
        resources: &[
            res(0, DataType::String, false),
            res(1, DataType::String, false),
            res(2, DataType::String, false),
            res(3, DataType::String, false),
            res(6, DataType::Integer, true),
            res(7, DataType::Integer, true),
            res(8, DataType::Integer, true),
            res(9, DataType::Integer, false),
            res(10, DataType::Integer, false),
            res(11, DataType::Integer, true),
            res(13, DataType::Time, false),
            res(14, DataType::String, false),
            res(16, DataType::String, false),
        ],
    };

    /// The type of resource 3 of [`ALL_TYPES`]: Float, or Integer without the `float` feature
    /// (Float resources are refused then).
    const FLOAT: DataType =
        if cfg!(feature = "float") { DataType::Float } else { DataType::Integer };

    /// One resource of every data type, plus multiple resources.
    static ALL_TYPES: ObjectDefinition = ObjectDefinition {
        id: 42,
        name: "All types",
        version: None,
        resources: &[
            res(0, DataType::String, false),
            res(1, DataType::Integer, false),
            res(2, DataType::Unsigned, false),
            res(3, FLOAT, false),
            res(4, DataType::Boolean, false),
            res(5, DataType::Opaque, false),
            res(6, DataType::Time, false),
            res(7, DataType::ObjLnk, false),
            res(8, DataType::CoreLink, false),
            res(9, DataType::Integer, true),
            res(10, DataType::Opaque, true),
            res(300, DataType::String, false),
            res(301, DataType::None, false),
        ],
    };

    /// Device instance /3/0 from LwM2M Core TS 1.0 §6.4.3.1 (without the wrapper).
    const DEVICE_RESOURCES: &[u8] = &[
        0xC8, 0x00, 0x14, b'O', b'p', b'e', b'n', b' ', b'M', b'o', b'b', b'i', b'l', b'e', b' ',
        b'A', b'l', b'l', b'i', b'a', b'n', b'c', b'e', // 0: "Open Mobile Alliance"
        0xC8, 0x01, 0x16, b'L', b'i', b'g', b'h', b't', b'w', b'e', b'i', b'g', b'h', b't', b' ',
        b'M', b'2', b'M', b' ', b'C', b'l', b'i', b'e', b'n', b't', // 1: model
        0xC8, 0x02, 0x09, b'3', b'4', b'5', b'0', b'0', b'0', b'1', b'2', b'3', // 2: serial
        0xC3, 0x03, b'1', b'.', b'0', // 3: firmware "1.0"
        0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05, // 6: power sources {0: 1, 1: 5}
        0x88, 0x07, 0x08, 0x42, 0x00, 0x0E, 0xD8, 0x42, 0x01, 0x13, 0x88, // 7: {3800, 5000}
        0x87, 0x08, 0x41, 0x00, 0x7D, 0x42, 0x01, 0x03, 0x84, // 8: {125, 900}
        0xC1, 0x09, 0x64, // 9: battery 100
        0xC1, 0x0A, 0x0F, // 10: memory free 15
        0x83, 0x0B, 0x41, 0x00, 0x00, // 11: error codes {0: 0}
        0xC4, 0x0D, 0x51, 0x82, 0x42, 0x8F, // 13: current time 1367491215
        0xC6, 0x0E, b'+', b'0', b'2', b':', b'0', b'0', // 14: UTC offset "+02:00"
        0xC1, 0x10, b'U', // 16: binding "U"
    ];

    fn wrapped(id: u8, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_tlv(&mut out, TlvKind::ObjectInstance, u16::from(id), body);
        out
    }

    fn single(v: Value) -> ResourceValue {
        ResourceValue::Single(v)
    }

    fn multi(values: &[(u16, i64)]) -> ResourceValue {
        ResourceValue::Multiple(values.iter().map(|&(k, v)| (k, Value::Integer(v))).collect())
    }

    fn string(s: &str) -> Value {
        Value::String(String::from(s))
    }

    #[test]
    fn parses_spec_single_resource() {
        let tlvs = parse(DEVICE_RESOURCES.get(..23).unwrap()).unwrap();
        assert_eq!(
            tlvs,
            vec![Tlv { kind: TlvKind::Resource, id: 0, value: b"Open Mobile Alliance" }]
        );
        let mut out = Vec::new();
        write_tlv(&mut out, TlvKind::Resource, 0, b"Open Mobile Alliance");
        assert_eq!(out, DEVICE_RESOURCES[..23]);
    }

    #[test]
    fn spec_multiple_resource_round_trips() {
        let bytes = [0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05];
        let path = Path::resource(3, 0, 6);
        let decoded = decode_instances(&bytes, &path, &DEVICE).unwrap();
        let expected = multi(&[(0, 1), (1, 5)]);
        assert_eq!(decoded, vec![(0, VecMap::from([(6, expected.clone())]))]);
        assert_eq!(encode_resource(6, &expected), bytes);
    }

    fn device_instance() -> Instance {
        let mut i = Instance::new(Origin::Factory)
            .with(0, string("Open Mobile Alliance"))
            .with(1, string("Lightweight M2M Client"))
            .with(2, string("345000123"))
            .with(3, string("1.0"))
            .with(9, Value::Integer(100))
            .with(10, Value::Integer(15))
            .with(13, Value::Time(1_367_491_215))
            .with(14, string("+02:00"))
            .with(16, string("U"));
        i.resources.insert(6, multi(&[(0, 1), (1, 5)]));
        i.resources.insert(7, multi(&[(0, 3800), (1, 5000)]));
        i.resources.insert(8, multi(&[(0, 125), (1, 900)]));
        i.resources.insert(11, multi(&[(0, 0)]));
        i
    }

    #[test]
    fn spec_device_instance_decodes_and_re_encodes() {
        let instance = device_instance();
        let with_wrapper = wrapped(0, DEVICE_RESOURCES);
        assert_eq!(with_wrapper[..3], [0x08, 0x00, 0x79]);
        for payload in [DEVICE_RESOURCES, &with_wrapper[..]] {
            let decoded = decode_instances(payload, &Path::instance(3, 0), &DEVICE).unwrap();
            assert_eq!(decoded, vec![(0, instance.resources.clone())]);
        }
        let at_object = decode_instances(&with_wrapper, &Path::object(3), &DEVICE).unwrap();
        assert_eq!(at_object, vec![(0, instance.resources.clone())]);
        assert_eq!(encode_instances(&[(0, &instance)], false), DEVICE_RESOURCES);
        assert_eq!(encode_instances(&[(0, &instance)], true), with_wrapper);
    }

    #[test]
    fn smartcard_security_instance() {
        let mut payload = vec![0x08, 0x00, 0x2E, 0xC8, 0x00, 0x25];
        payload.extend_from_slice(b"coap://leshan.eclipseprojects.io:5783");
        payload.extend_from_slice(&[0xC1, 0x01, 0x01, 0xC1, 0x02, 0x03]);
        let decoded = decode_instances(&payload, &Path::object(0), &SECURITY).unwrap();
        let expected = VecMap::from([
            (0, single(string("coap://leshan.eclipseprojects.io:5783"))),
            (1, single(Value::Boolean(true))),
            (2, single(Value::Integer(3))),
        ]);
        assert_eq!(decoded, vec![(0, expected)]);
    }

    #[test]
    fn two_instances_at_object_level() {
        let body = [0xC1, 0x02, 0x03];
        let payload = [wrapped(1, &body), wrapped(5, &body)].concat();
        let decoded = decode_instances(&payload, &Path::object(0), &SECURITY).unwrap();
        assert_eq!(decoded.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 5]);
        let dup = [wrapped(1, &body), wrapped(1, &body)].concat();
        assert_eq!(decode_instances(&dup, &Path::object(0), &SECURITY), Err(CodecError::Duplicate));
        assert_eq!(
            decode_instances(&body, &Path::object(0), &SECURITY),
            Err(CodecError::UnexpectedTlv)
        );
    }

    #[test]
    fn instance_level_wrapper_checks() {
        let body = [0xC1, 0x02, 0x03];
        let path = Path::instance(0, 4);
        assert_eq!(
            decode_instances(&wrapped(3, &body), &path, &SECURITY),
            Err(CodecError::IdMismatch)
        );
        let expected = vec![(4, VecMap::from([(2, single(Value::Integer(3)))]))];
        assert_eq!(decode_instances(&wrapped(4, &body), &path, &SECURITY).unwrap(), expected);
        assert_eq!(decode_instances(&body, &path, &SECURITY).unwrap(), expected);
        let two = [wrapped(4, &body), wrapped(4, &body)].concat();
        assert_eq!(decode_instances(&two, &path, &SECURITY), Err(CodecError::UnexpectedTlv));
        let empty = decode_instances(&[], &path, &SECURITY).unwrap();
        assert_eq!(empty, vec![(4, VecMap::new())]);
    }

    #[test]
    fn unsupported_resources_are_ignored() {
        // Resource 99 (unknown single) and 98 (unknown multiple with garbage inside).
        let payload = [0xC1, 0x63, 0x07, 0x82, 0x62, 0xFF, 0xFF, 0xC1, 0x02, 0x03];
        let decoded = decode_instances(&payload, &Path::instance(0, 0), &SECURITY).unwrap();
        assert_eq!(decoded, vec![(0, VecMap::from([(2, single(Value::Integer(3)))]))]);
        let at_resource =
            decode_instances(&[0xC1, 0x63, 0x07], &Path::resource(0, 0, 99), &SECURITY);
        assert_eq!(at_resource, Ok(Vec::new()));
    }

    #[test]
    fn resource_level_checks() {
        let path = Path::resource(0, 0, 1);
        let ok = decode_instances(&[0xC1, 0x01, 0x00], &path, &SECURITY).unwrap();
        assert_eq!(ok, vec![(0, VecMap::from([(1, single(Value::Boolean(false)))]))]);
        let bad = |bytes: &[u8]| decode_instances(bytes, &path, &SECURITY).unwrap_err();
        assert_eq!(bad(&[0xC2, 0x01, 0x00, 0x01]), CodecError::BadLength); // 2-byte boolean
        assert_eq!(bad(&[0xC1, 0x01, 0x02]), CodecError::BadValue);
        assert_eq!(bad(&[0xC1, 0x02, 0x03]), CodecError::IdMismatch);
        assert_eq!(bad(&[]), CodecError::UnexpectedTlv);
        assert_eq!(bad(&[0xC1, 0x01, 0x00, 0xC1, 0x01, 0x00]), CodecError::UnexpectedTlv);
        assert_eq!(bad(&[0x83, 0x01, 0x41, 0x00, 0x01]), CodecError::UnexpectedTlv);
        // A single Resource TLV for the multiple resource /0/0/16.
        let multi_path = Path::resource(0, 0, 16);
        let err = decode_instances(&[0xC1, 0x10, 0x01], &multi_path, &SECURITY);
        assert_eq!(err, Err(CodecError::UnexpectedTlv));
        let dup = [0x86, 0x10, 0x41, 0x00, 0x01, 0x41, 0x00, 0x02];
        assert_eq!(decode_instances(&dup, &multi_path, &SECURITY), Err(CodecError::Duplicate));
        let nested = [0x86, 0x10, 0xC1, 0x00, 0x01, 0x41, 0x00, 0x02];
        assert_eq!(
            decode_instances(&nested, &multi_path, &SECURITY),
            Err(CodecError::UnexpectedTlv)
        );
    }

    #[test]
    fn duplicate_resources_and_bad_paths() {
        let dup = [0xC1, 0x02, 0x03, 0xC1, 0x02, 0x03];
        let path = Path::instance(0, 0);
        assert_eq!(decode_instances(&dup, &path, &SECURITY), Err(CodecError::Duplicate));
        let ok = [0xC1, 0x02, 0x03];
        assert_eq!(decode_instances(&ok, &Path::root(), &SECURITY), Err(CodecError::BadPath));
        let deep = Path::from_ids(&[0, 0, 2, 0]).unwrap();
        assert_eq!(decode_instances(&ok, &deep, &SECURITY), Err(CodecError::BadPath));
        assert_eq!(
            decode_instances(&ok, &Path::instance(1, 0), &SECURITY),
            Err(CodecError::IdMismatch)
        );
        // An executable resource (301) cannot carry a value.
        let exec_path = Path::instance(42, 0);
        assert_eq!(
            decode_instances(&[0xE0, 0x01, 0x2D], &exec_path, &ALL_TYPES),
            Err(CodecError::BadType)
        );
    }

    #[test]
    fn long_lengths_and_ids() {
        for (len, header) in [
            (7usize, vec![0xC7, 0x01]),
            (8, vec![0xC8, 0x01, 0x08]),
            (255, vec![0xC8, 0x01, 0xFF]),
            (300, vec![0xD0, 0x01, 0x01, 0x2C]),
            (70_000, vec![0xD8, 0x01, 0x01, 0x11, 0x70]),
        ] {
            let value = vec![0x5A; len];
            let mut out = Vec::new();
            write_tlv(&mut out, TlvKind::Resource, 1, &value);
            assert_eq!(out[..header.len()], header[..], "len {len}");
            assert_eq!(out.len(), header.len() + len);
            let tlvs = parse(&out).unwrap();
            assert_eq!(tlvs, vec![Tlv { kind: TlvKind::Resource, id: 1, value: &value }]);
        }
        let mut out = Vec::new();
        write_tlv(&mut out, TlvKind::ResourceInstance, 300, &[1, 2]);
        assert_eq!(out, [0x62, 0x01, 0x2C, 1, 2]);
        assert_eq!(parse(&out).unwrap()[0].id, 300);
        let mut out = Vec::new();
        write_tlv(&mut out, TlvKind::ObjectInstance, 255, &[]);
        assert_eq!(out, [0x00, 0xFF]);
    }

    #[test]
    fn id_300_with_long_value_in_an_instance() {
        let long = "x".repeat(300);
        let instance = Instance::new(Origin::Factory).with(300, Value::String(long.clone()));
        let bytes = encode_instances(&[(7, &instance)], true);
        let decoded = decode_instances(&bytes, &Path::object(42), &ALL_TYPES).unwrap();
        assert_eq!(decoded, vec![(7, instance.resources.clone())]);
        let inner = parse(parse(&bytes).unwrap()[0].value).unwrap();
        assert_eq!(inner, vec![Tlv { kind: TlvKind::Resource, id: 300, value: long.as_bytes() }]);
    }

    #[test]
    fn non_minimal_headers_are_accepted() {
        // 16-bit id 2 and a 16-bit length of 1.
        let bytes = [0xF0, 0x00, 0x02, 0x00, 0x01, 0x03];
        assert_eq!(
            parse(&bytes).unwrap(),
            vec![Tlv { kind: TlvKind::Resource, id: 2, value: &[3] }]
        );
    }

    #[test]
    fn malformed_tlv() {
        let cases: &[&[u8]] = &[
            &[0xC1],                         // no id
            &[0xE1, 0x00],                   // 16-bit id cut
            &[0xC8, 0x00],                   // no 8-bit length
            &[0xD0, 0x00, 0x01],             // 16-bit length cut
            &[0xC3, 0x00, 0x01, 0x02],       // value shorter than length
            &[0xC8, 0x00, 0x05, 1, 2],       // 8-bit length beyond the buffer
            &[0xD8, 0x00, 0xFF, 0xFF, 0xFF], // 24-bit length beyond the buffer
            &[0xC1, 0x00, 0x01, 0xC1],       // second TLV truncated
        ];
        for case in cases {
            assert_eq!(parse(case), Err(CodecError::Truncated), "{case:02X?}");
        }
        // Garbage inside an object instance.
        let nested = [0x08, 0x00, 0x03, 0xC8, 0x02, 0x10];
        assert_eq!(
            decode_instances(&nested, &Path::object(0), &SECURITY),
            Err(CodecError::Truncated)
        );
        // A Resource Instance directly in an instance.
        let ri = [0x41, 0x02, 0x03];
        assert_eq!(
            decode_instances(&ri, &Path::instance(0, 0), &SECURITY),
            Err(CodecError::UnexpectedTlv)
        );
    }

    #[test]
    fn value_length_errors() {
        assert_eq!(decode_value(&[], DataType::Integer), Err(CodecError::BadLength));
        assert_eq!(decode_value(&[1, 2, 3], DataType::Integer), Err(CodecError::BadLength));
        assert_eq!(decode_value(&[], DataType::Unsigned), Err(CodecError::BadLength));
        assert_eq!(decode_value(&[0; 16], DataType::Time), Err(CodecError::BadLength));
        let float_error =
            if cfg!(feature = "float") { CodecError::BadLength } else { CodecError::BadType };
        assert_eq!(decode_value(&[0; 2], DataType::Float), Err(float_error));
        assert_eq!(decode_value(&[], DataType::Boolean), Err(CodecError::BadLength));
        assert_eq!(decode_value(&[0; 3], DataType::ObjLnk), Err(CodecError::BadLength));
        assert_eq!(decode_value(&[0xFF], DataType::String), Err(CodecError::BadUtf8));
        assert_eq!(decode_value(&[0xC0], DataType::CoreLink), Err(CodecError::BadUtf8));
        assert_eq!(decode_value(&[], DataType::None), Err(CodecError::BadType));
        assert_eq!(decode_value(&[], DataType::String), Ok(string("")));
        assert_eq!(decode_value(&[], DataType::Opaque), Ok(Value::opaque(&[])));
    }

    #[test]
    fn integer_widths() {
        let cases: &[(i64, usize)] = &[
            (0, 1),
            (-1, 1),
            (i64::from(i8::MAX), 1),
            (i64::from(i8::MIN), 1),
            (i64::from(i8::MAX) + 1, 2),
            (i64::from(i8::MIN) - 1, 2),
            (i64::from(i16::MAX), 2),
            (i64::from(i16::MIN), 2),
            (i64::from(i16::MAX) + 1, 4),
            (i64::from(i16::MIN) - 1, 4),
            (i64::from(i32::MAX), 4),
            (i64::from(i32::MIN), 4),
            (i64::from(i32::MAX) + 1, 8),
            (i64::from(i32::MIN) - 1, 8),
            (i64::MAX, 8),
            (i64::MIN, 8),
        ];
        for &(v, width) in cases {
            let bytes = encode_value(&Value::Integer(v));
            assert_eq!(bytes.len(), width, "{v}");
            assert_eq!(decode_value(&bytes, DataType::Integer), Ok(Value::Integer(v)));
            assert_eq!(decode_value(&bytes, DataType::Time), Ok(Value::Time(v)));
        }
        assert_eq!(encode_value(&Value::Integer(-2)), [0xFE]);
        assert_eq!(encode_value(&Value::Integer(128)), [0x00, 0x80]);
        for &(v, width) in &[(0u64, 1), (255, 1), (256, 2), (65_535, 2), (65_536, 4), (u64::MAX, 8)]
        {
            let bytes = encode_value(&Value::Unsigned(v));
            assert_eq!(bytes.len(), width, "{v}");
            assert_eq!(decode_value(&bytes, DataType::Unsigned), Ok(Value::Unsigned(v)));
        }
        assert_eq!(decode_value(&[0xFF, 0xFF], DataType::Unsigned), Ok(Value::Unsigned(65_535)));
    }

    #[test]
    fn every_type_round_trips() {
        let values = [
            string("héllo"),
            Value::Integer(-300),
            Value::Unsigned(4_000_000_000),
            Value::Boolean(true),
            Value::Boolean(false),
            Value::opaque(&[0, 1, 2, 0xFF]),
            Value::Time(1_700_000_000),
            Value::ObjLnk(65_535, 1),
            Value::CoreLink(String::from("</3/0>;ct=0")),
        ];
        for v in values {
            assert_eq!(decode_value(&encode_value(&v), v.data_type()), Ok(v.clone()));
        }
        #[cfg(feature = "float")]
        for (v, width) in [(1.5, 4), (0.1, 8)] {
            let bytes = encode_value(&Value::Float(v));
            assert_eq!(bytes.len(), width, "{v}");
            assert_eq!(decode_value(&bytes, DataType::Float), Ok(Value::Float(v)));
        }
        #[cfg(not(feature = "float"))]
        assert_eq!(encode_value(&Value::Float(1.5)), 1.5f64.to_be_bytes());
        assert_eq!(encode_value(&Value::ObjLnk(1, 2)), [0, 1, 0, 2]);
        assert_eq!(encode_value(&Value::Boolean(true)), [1]);
    }

    fn value_of(data_type: DataType) -> BoxedStrategy<Value> {
        match data_type {
            DataType::String => "\\PC{0,40}".prop_map(Value::String).boxed(),
            DataType::CoreLink => "\\PC{0,40}".prop_map(Value::CoreLink).boxed(),
            DataType::Integer => any::<i64>().prop_map(Value::Integer).boxed(),
            DataType::Time => any::<i64>().prop_map(Value::Time).boxed(),
            DataType::Unsigned => any::<u64>().prop_map(Value::Unsigned).boxed(),
            DataType::Float => any::<f64>()
                .prop_filter("NaN is not equal to itself", |f| !f.is_nan())
                .prop_map(Value::Float)
                .boxed(),
            DataType::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
            DataType::Opaque | DataType::None => proptest::collection::vec(any::<u8>(), 0..300)
                .prop_map(|b| Value::opaque(&b))
                .boxed(),
            DataType::ObjLnk => {
                (any::<u16>(), any::<u16>()).prop_map(|(o, i)| Value::ObjLnk(o, i)).boxed()
            }
        }
    }

    /// A value for one of the writable resources of [`ALL_TYPES`].
    fn resource_entry() -> impl Strategy<Value = (u16, ResourceValue)> {
        let writable = ALL_TYPES.resources.len() - 1;
        (0..writable).prop_flat_map(|index| {
            let def = &ALL_TYPES.resources[index];
            let value = value_of(def.data_type);
            let strategy = if def.multiple {
                proptest::collection::btree_map(any::<u16>(), value, 0..4)
                    .prop_map(|m| ResourceValue::Multiple(m.into_iter().collect()))
                    .boxed()
            } else {
                value.prop_map(ResourceValue::Single).boxed()
            };
            strategy.prop_map(move |v| (def.id, v))
        })
    }

    fn instance() -> impl Strategy<Value = Instance> {
        proptest::collection::vec(resource_entry(), 0..8).prop_map(|entries| Instance {
            resources: entries.into_iter().collect(),
            origin: Origin::BootstrapServer,
        })
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn decode_instances_never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            depth in 1usize..=3,
        ) {
            let path = Path::from_ids(&[0, 0, 1][..depth]).unwrap();
            let _ = decode_instances(&bytes, &path, &SECURITY);
            let path = Path::from_ids(&[42, 0, 9][..depth]).unwrap();
            let _ = decode_instances(&bytes, &path, &ALL_TYPES);
        }

        #[test]
        fn decode_value_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            for def in ALL_TYPES.resources {
                let _ = decode_value(&bytes, def.data_type);
            }
        }

        #[test]
        fn value_round_trip(value in prop_oneof![
            value_of(DataType::String), value_of(DataType::Integer), value_of(DataType::Unsigned),
            value_of(FLOAT), value_of(DataType::Boolean), value_of(DataType::Opaque),
            value_of(DataType::Time), value_of(DataType::ObjLnk), value_of(DataType::CoreLink),
        ]) {
            prop_assert_eq!(decode_value(&encode_value(&value), value.data_type()), Ok(value));
        }

        #[test]
        fn instances_round_trip(
            instances in proptest::collection::btree_map(any::<u16>(), instance(), 0..4),
        ) {
            let refs: Vec<(u16, &Instance)> = instances.iter().map(|(k, v)| (*k, v)).collect();
            let bytes = encode_instances(&refs, true);
            let decoded = decode_instances(&bytes, &Path::object(42), &ALL_TYPES).unwrap();
            let expected: Vec<_> =
                instances.iter().map(|(k, v)| (*k, v.resources.clone())).collect();
            prop_assert_eq!(decoded, expected);
            for (iid, instance) in &refs {
                let bytes = encode_instances(&[(*iid, instance)], false);
                let decoded = decode_instances(&bytes, &Path::instance(42, *iid), &ALL_TYPES);
                prop_assert_eq!(decoded, Ok(vec![(*iid, instance.resources.clone())]));
            }
        }
    }
}
