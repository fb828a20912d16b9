//! LwM2M CBOR (LwM2M 1.2 Transport §7.4.6, content format 11544): nested CBOR maps keyed by
//! path elements from the Object ID down, a key being one ID or an array of IDs, e.g.
//! `{1: {0: {0: 101, 1: 86400}}}`, `{[1, 0]: {0: 101, 1: 86400}}` or `{[1, 0, 1]: 86400}`.
//! A leaf is the value of the resource (instance) its path names, typed by the object
//! definition: integers, floats (half, single, double; a decimal fraction, tag 4), text
//! (String, Core Link, and Object Link `O:I`), byte strings (Opaque), booleans; an epoch
//! time (tag 1) on an integer. Decoded into the records of [`super::senml`], so a write has
//! the same checks in every format.
//!
//! Refused ([`CodecError`]): a root that is not a map, a key that is not an ID or an array of
//! IDs, paths deeper than four IDs (the model's depth) or ending above a resource, `null`
//! (no deletion through Write), chunked strings, other tags, trailing bytes, truncated input.

use alloc::string::String;
use alloc::vec::Vec;
use heapless::Vec as HVec;
use minicbor::data::Type;
use minicbor::Decoder;

use super::cbor::{error, more, scalar};
use super::senml::{push_u64, Record, RecordValue, Scalar};
use super::CodecError;
use crate::model::{Instance, Path, ResourceValue, Value};

/// Path elements of one leaf: at most four (object, instance, resource, resource instance).
type Ids = HVec<u16, 4>;

/// Parses an LwM2M CBOR payload into records with absolute names (`/O/I/R` or `/O/I/R/RI`).
pub fn parse(payload: &[u8]) -> Result<Vec<Record>, CodecError> {
    let mut d = Decoder::new(payload);
    let mut records = Vec::new();
    if !matches!(d.datatype().map_err(error)?, Type::Map | Type::MapIndef) {
        return Err(CodecError::BadValue);
    }
    node(&mut d, &mut Ids::new(), &mut records)?;
    if d.position() != payload.len() {
        return Err(CodecError::TrailingBytes);
    }
    Ok(records)
}

/// One map at `prefix`: each key extends the prefix, each value is a map (recursion, at
/// most four levels as every key adds an ID) or a leaf.
fn node(d: &mut Decoder<'_>, prefix: &mut Ids, out: &mut Vec<Record>) -> Result<(), CodecError> {
    let count = d.map().map_err(error)?;
    let mut index = 0;
    while more(d, count, index)? {
        index += 1;
        let depth = prefix.len();
        key(d, prefix)?;
        if matches!(d.datatype().map_err(error)?, Type::Map | Type::MapIndef) {
            node(d, prefix, out)?;
        } else {
            let value = match scalar(d, true)? {
                Scalar::String(s) => RecordValue::Text(s),
                Scalar::Number(n) => RecordValue::Number(n),
                Scalar::Boolean(b) => RecordValue::Boolean(b),
                Scalar::Bytes(b) => RecordValue::Data(b),
            };
            out.push(Record { base_name: None, name: Some(name(prefix)), value: Some(value) });
        }
        prefix.truncate(depth);
    }
    Ok(())
}

/// Appends the IDs of a key (one ID, or a non-empty array of IDs) to `prefix`.
fn key(d: &mut Decoder<'_>, prefix: &mut Ids) -> Result<(), CodecError> {
    let push = |d: &mut Decoder<'_>, prefix: &mut Ids| -> Result<(), CodecError> {
        let id = d.u64().map_err(error)?;
        let id = u16::try_from(id).ok().filter(|&id| id != u16::MAX).ok_or(CodecError::BadPath)?;
        prefix.push(id).map_err(|_| CodecError::BadPath)
    };
    match d.datatype().map_err(error)? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => push(d, prefix),
        Type::Array | Type::ArrayIndef => {
            let count = d.array().map_err(error)?;
            let mut index = 0;
            while more(d, count, index)? {
                index += 1;
                push(d, prefix)?;
            }
            if index == 0 {
                return Err(CodecError::BadPath);
            }
            Ok(())
        }
        _ => Err(CodecError::BadPath),
    }
}

fn name(ids: &[u16]) -> String {
    let mut name = String::new();
    for id in ids {
        name.push('/');
        push_u64(&mut name, (*id).into());
    }
    name
}

/// Encodes instances of `object` as LwM2M CBOR: `{O: {I: {R: value, R: {RI: value}}}}` with
/// definite lengths; Object Links as text `O:I`. A non-finite float, and any float without the
/// `float` feature, is left out (no resource of /0, /1, /2 is a Float).
pub fn encode(object: u16, instances: &[(u16, &Instance)]) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = e.map(1).and_then(|e| e.u16(object)).and_then(|e| e.map(instances.len() as u64));
    for (iid, instance) in instances {
        let written: Vec<(u16, &ResourceValue)> = instance
            .resources
            .iter()
            .filter(|(_, v)| values(v).next().is_some())
            .map(|(rid, v)| (*rid, v))
            .collect();
        let _ = e.u16(*iid).and_then(|e| e.map(written.len() as u64));
        for (rid, value) in written {
            let _ = e.u16(rid);
            match value {
                ResourceValue::Single(v) => leaf(&mut e, v),
                ResourceValue::Multiple(_) => {
                    let _ = e.map(values(value).count() as u64);
                    for (riid, v) in values(value) {
                        let _ = e.u16(riid.unwrap_or(0));
                        leaf(&mut e, v);
                    }
                }
            }
        }
    }
    e.into_writer()
}

/// The encodable values of a resource, with their resource instance IDs.
fn values(value: &ResourceValue) -> impl Iterator<Item = (Option<u16>, &Value)> {
    let (single, multiple) = match value {
        ResourceValue::Single(v) => (Some((None, v)), None),
        ResourceValue::Multiple(values) => (None, Some(values.iter().map(|(k, v)| (Some(*k), v)))),
    };
    single.into_iter().chain(multiple.into_iter().flatten()).filter(|(_, v)| encodable(v))
}

fn encodable(value: &Value) -> bool {
    match value {
        #[cfg(feature = "float")]
        Value::Float(v) => v.is_finite(),
        #[cfg(not(feature = "float"))]
        Value::Float(_) => false,
        _ => true,
    }
}

fn leaf(e: &mut minicbor::Encoder<Vec<u8>>, value: &Value) {
    let _ = match value {
        Value::String(s) | Value::CoreLink(s) => e.str(s),
        Value::Integer(v) | Value::Time(v) => e.i64(*v),
        Value::Unsigned(v) => e.u64(*v),
        Value::Float(v) => e.f64(*v),
        Value::Boolean(b) => e.bool(*b),
        Value::Opaque(bytes) => e.bytes(bytes),
        Value::ObjLnk(o, i) => {
            let mut link = String::new();
            push_u64(&mut link, (*o).into());
            link.push(':');
            push_u64(&mut link, (*i).into());
            e.str(&link)
        }
    };
}

/// Encodes one resource `/O/I/R` (all its instances when multiple).
pub fn encode_resource(path: &Path, value: &ResourceValue) -> Vec<u8> {
    let (Some(object), Some(iid), Some(rid)) =
        (path.object_id(), path.instance_id(), path.resource_id())
    else {
        return alloc::vec![0xA0];
    };
    let mut resources = crate::model::VecMap::new();
    resources.insert(rid, value.clone());
    let instance =
        crate::model::Instance { resources, origin: crate::model::Origin::BootstrapServer };
    encode(object, &[(iid, &instance)])
}

#[cfg(test)]
mod tests {
    use super::super::senml::{decode_records, Number};
    use super::*;
    use crate::model::{Origin, SECURITY, SERVER};

    fn names_and_values(payload: &[u8]) -> Result<Vec<(String, RecordValue)>, CodecError> {
        Ok(parse(payload)?
            .into_iter()
            .map(|r| (r.name.unwrap_or_default(), r.value.unwrap()))
            .collect())
    }

    #[test]
    fn keys_nest_as_ids_or_arrays_of_ids() {
        let lifetime =
            |name: &str| Ok(alloc::vec![(name.into(), RecordValue::Number(Number::Signed(60)))]);
        // {1: {0: {1: 60}}}, {[1, 0, 1]: 60}, {[1, 0]: {[1]: 60}}, indefinite maps and key.
        for payload in [
            &[0xA1, 0x01, 0xA1, 0x00, 0xA1, 0x01, 0x18, 0x3C][..],
            &[0xA1, 0x83, 0x01, 0x00, 0x01, 0x18, 0x3C],
            &[0xA1, 0x82, 0x01, 0x00, 0xA1, 0x81, 0x01, 0x18, 0x3C],
            &[0xBF, 0x9F, 0x01, 0x00, 0xFF, 0xBF, 0x01, 0x18, 0x3C, 0xFF, 0xFF],
        ] {
            assert_eq!(names_and_values(payload), lifetime("/1/0/1"), "{payload:02x?}");
        }
        // Mixed: {[1, 0]: {0: 7}, [1, 0, 7]: "U"} and a resource instance {[0, 1, 16]: {3: 49320}}.
        let mixed = [0xA2, 0x82, 0x01, 0x00, 0xA1, 0x00, 0x07, 0x83, 0x01, 0x00, 0x07, 0x61, b'U'];
        assert_eq!(
            names_and_values(&mixed),
            Ok(alloc::vec![
                ("/1/0/0".into(), RecordValue::Number(Number::Signed(7))),
                ("/1/0/7".into(), RecordValue::Text("U".into())),
            ])
        );
        let instance = [0xA1, 0x83, 0x00, 0x01, 0x10, 0xA1, 0x03, 0x19, 0xC0, 0xA8];
        assert_eq!(
            names_and_values(&instance),
            Ok(alloc::vec![("/0/1/16/3".into(), RecordValue::Number(Number::Signed(49320)))])
        );
    }

    #[test]
    fn tags_for_time_and_decimal_fractions() {
        // {[1, 0, 12]: 1(1700000000)} and {[3, 0, 1]: 4([-1, 45])}.
        let time = [0xA1, 0x83, 0x01, 0x00, 0x0C, 0xC1, 0x1A, 0x65, 0x53, 0xF1, 0x00];
        assert_eq!(
            names_and_values(&time).unwrap()[0].1,
            RecordValue::Number(Number::Signed(1_700_000_000))
        );
        let fraction = [0xA1, 0x83, 0x03, 0x00, 0x01, 0xC4, 0x82, 0x20, 0x18, 0x2D];
        assert_eq!(
            names_and_values(&fraction).unwrap()[0].1,
            RecordValue::Number(Number::Decimal("45e-1".into()))
        );
    }

    #[test]
    fn shapes_that_are_refused() {
        for bad in [
            &[][..],
            &[0x80],                                        // root is an array
            &[0xA1, 0x01],                                  // truncated
            &[0xA0, 0x00],                                  // trailing bytes
            &[0xA1, 0x61, b'1', 0x01],                      // text key
            &[0xA1, 0x80, 0x01],                            // empty key array
            &[0xA1, 0x20, 0x01],                            // negative key
            &[0xA1, 0x19, 0xFF, 0xFF, 0x01],                // ID 65535
            &[0xA1, 0x85, 0, 0, 0, 0, 0, 0x01],             // five IDs
            &[0xA1, 0x84, 0, 0, 0, 0, 0xA1, 0x00, 0x01],    // a fifth ID by nesting
            &[0xA1, 0x83, 0, 0, 0, 0xF6],                   // null
            &[0xA1, 0x83, 0, 0, 0, 0x80],                   // array value
            &[0xA1, 0x83, 0, 0, 0, 0xC2, 0x41, 0x01],       // bignum tag
            &[0xA1, 0x83, 0, 0, 0, 0x7F, 0x61, b'a', 0xFF], // chunked text
        ] {
            assert!(parse(bad).is_err(), "{bad:02x?}");
        }
        // A path above a resource (/0/1 = 5) is refused by the record rules.
        let records = parse(&[0xA1, 0x82, 0x00, 0x01, 0x05]).unwrap();
        assert_eq!(decode_records(&records, &Path::object(0), &SECURITY), Err(CodecError::BadPath));
        assert_eq!(parse(&[0xA0]), Ok(Vec::new()));
    }

    #[test]
    fn a_server_and_a_security_instance_round_trip() {
        let mut server = crate::model::VecMap::new();
        server.insert(0, ResourceValue::Single(Value::Integer(101)));
        server.insert(1, ResourceValue::Single(Value::Integer(86400)));
        server.insert(6, ResourceValue::Single(Value::Boolean(true)));
        server.insert(7, ResourceValue::Single(Value::String("UQ".into())));
        server.insert(12, ResourceValue::Single(Value::Time(-1)));
        let server = Instance { resources: server, origin: Origin::BootstrapServer };
        let bytes = encode(1, &[(0, &server)]);
        // {1: {0: {0: 101, ...}}}
        assert_eq!(&bytes[..7], &[0xA1, 0x01, 0xA1, 0x00, 0xA5, 0x00, 0x18]);
        let decoded = decode_records(&parse(&bytes).unwrap(), &Path::object(1), &SERVER);
        assert_eq!(decoded, Ok(alloc::vec![(0, server.resources.clone())]));

        let mut security = crate::model::VecMap::new();
        security.insert(3, ResourceValue::Single(Value::opaque(&[0, 0xFF])));
        security.insert(13, ResourceValue::Single(Value::Unsigned(u64::MAX)));
        let mut suites = crate::model::VecMap::new();
        suites.insert(2, Value::Unsigned(49320));
        suites.insert(5, Value::Unsigned(49326));
        security.insert(16, ResourceValue::Multiple(suites));
        security.insert(17, ResourceValue::Single(Value::ObjLnk(21, 3)));
        let security = Instance { resources: security, origin: Origin::BootstrapServer };
        let bytes = encode(0, &[(7, &security)]);
        let decoded = decode_records(&parse(&bytes).unwrap(), &Path::instance(0, 7), &SECURITY);
        assert_eq!(decoded, Ok(alloc::vec![(7, security.resources.clone())]));
    }
}
