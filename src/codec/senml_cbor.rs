//! SenML CBOR (RFC 8428 §6, content format 112) as LwM2M 1.1 §7.4.5 profiles it: the records
//! of [`super::senml`] as an array of maps with RFC 8428's integer labels (`bn` -2, `bt` -3,
//! `bu` -4, `bv` -5, `bs` -6, `bver` -1, `n` 0, `u` 1, `v` 2, `vs` 3, `vb` 4, `s` 5, `t` 6,
//! `ut` 7, `vd` 8) and the text label `"vlo"`. Read and written with `minicbor`'s `Decoder`
//! and `Encoder`.
//!
//! Accepted: definite and indefinite-length arrays and maps (streaming encoders write the
//! latter); integers of any width; half, single and double floats. Refused ([`CodecError`]):
//! indefinite-length (chunked) strings, tags, `null`/`undefined`/simple values, nested
//! arrays or maps as values, a label twice in one record, trailing bytes, truncated input.

use alloc::string::String;
use alloc::vec::Vec;
use minicbor::data::Type;
use minicbor::Decoder;

use super::cbor::{error, more, scalar};
use super::senml::{apply, base_name, push_u64, relative_name, Record, Scalar};
use super::CodecError;
use crate::model::{Instance, Path, ResourceValue, Value};

/// Parses a SenML CBOR payload into its records.
pub fn parse(payload: &[u8]) -> Result<Vec<Record>, CodecError> {
    let mut d = Decoder::new(payload);
    let mut records = Vec::new();
    let count = d.array().map_err(error)?;
    let mut index = 0u64;
    while more(&mut d, count, index)? {
        records.push(record(&mut d)?);
        index += 1;
    }
    if d.position() != payload.len() {
        return Err(CodecError::TrailingBytes);
    }
    Ok(records)
}

fn record(d: &mut Decoder<'_>) -> Result<Record, CodecError> {
    let count = d.map().map_err(error)?;
    let mut record = Record::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut index = 0u64;
    while more(d, count, index)? {
        index += 1;
        let label = label(d)?;
        let value = scalar(d, false)?;
        if seen.contains(&label) {
            return Err(CodecError::Duplicate);
        }
        seen.push(label);
        if label == "vd" && !matches!(value, Scalar::Bytes(_)) {
            return Err(CodecError::BadValue); // a byte string in CBOR, never base64 text
        }
        apply(&mut record, label, value)?;
    }
    Ok(record)
}

/// The RFC 8428 name of a map key (unknown integer labels: `""`, ignored).
fn label<'b>(d: &mut Decoder<'b>) -> Result<&'b str, CodecError> {
    match d.datatype().map_err(error)? {
        Type::String => d.str().map_err(error),
        Type::U8
        | Type::U16
        | Type::U32
        | Type::U64
        | Type::I8
        | Type::I16
        | Type::I32
        | Type::I64 => Ok(match d.i64().map_err(error)? {
            -1 => "bver",
            -2 => "bn",
            -3 => "bt",
            -4 => "bu",
            -5 => "bv",
            -6 => "bs",
            0 => "n",
            1 => "u",
            2 => "v",
            3 => "vs",
            4 => "vb",
            5 => "s",
            6 => "t",
            7 => "ut",
            8 => "vd",
            _ => "",
        }),
        _ => Err(CodecError::BadValue),
    }
}

/// One record to write: the instance's base name (first record only), resource ID, resource
/// instance ID, value.
type Field<'a> = (Option<(u16, u16)>, u16, Option<u16>, &'a Value);

/// Encodes instances of `object` as SenML CBOR: the records of
/// [`super::senml_json::encode`] (base name `/O/I/` in each instance's first record, names
/// `R` or `R/RI`) with integer labels, `vd` as a byte string, definite lengths. A non-finite
/// float is left out as there (no resource of /0, /1, /2 is a Float).
pub fn encode(object: u16, instances: &[(u16, &Instance)]) -> Vec<u8> {
    let mut fields: Vec<Field<'_>> = Vec::new();
    for (iid, instance) in instances {
        let mut base = Some((object, *iid));
        for (rid, value) in instance.resources.iter() {
            let values: Vec<(Option<u16>, &Value)> = match value {
                ResourceValue::Single(v) => alloc::vec![(None, v)],
                ResourceValue::Multiple(values) => {
                    values.iter().map(|(riid, v)| (Some(*riid), v)).collect()
                }
            };
            for (riid, v) in values.into_iter().filter(|(_, v)| encodable(v)) {
                fields.push((base.take(), *rid, riid, v));
            }
        }
    }
    let mut e = minicbor::Encoder::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = e.array(fields.len() as u64);
    for (base, rid, riid, value) in fields {
        let _ = e.map(if base.is_some() { 3 } else { 2 });
        if let Some((object, iid)) = base {
            let _ = e.i8(-2).and_then(|e| e.str(&base_name(object, iid)));
        }
        let _ = e.u8(0).and_then(|e| e.str(&relative_name(rid, riid)));
        let _ = match value {
            Value::String(s) | Value::CoreLink(s) => e.u8(3).and_then(|e| e.str(s)),
            Value::Integer(v) | Value::Time(v) => e.u8(2).and_then(|e| e.i64(*v)),
            Value::Unsigned(v) => e.u8(2).and_then(|e| e.u64(*v)),
            Value::Float(v) => e.u8(2).and_then(|e| e.f64(*v)),
            Value::Boolean(b) => e.u8(4).and_then(|e| e.bool(*b)),
            Value::Opaque(bytes) => e.u8(8).and_then(|e| e.bytes(bytes)),
            Value::ObjLnk(o, i) => {
                let mut link = String::new();
                push_u64(&mut link, (*o).into());
                link.push(':');
                push_u64(&mut link, (*i).into());
                e.str("vlo").and_then(|e| e.str(&link))
            }
        };
    }
    e.into_writer()
}

/// Whether `value` has a SenML CBOR form (finite floats only, and only with `float`).
fn encodable(value: &Value) -> bool {
    match value {
        #[cfg(feature = "float")]
        Value::Float(v) => v.is_finite(),
        #[cfg(not(feature = "float"))]
        Value::Float(_) => false,
        _ => true,
    }
}

/// Encodes one resource `/O/I/R` (all its instances when multiple).
pub fn encode_resource(path: &Path, value: &ResourceValue) -> Vec<u8> {
    let (Some(object), Some(iid), Some(rid)) =
        (path.object_id(), path.instance_id(), path.resource_id())
    else {
        return alloc::vec![0x80];
    };
    let mut resources = crate::model::VecMap::new();
    resources.insert(rid, value.clone());
    let instance =
        crate::model::Instance { resources, origin: crate::model::Origin::BootstrapServer };
    encode(object, &[(iid, &instance)])
}

#[cfg(test)]
mod tests {
    use super::super::cbor::widen;
    use super::super::senml::{decode_records, Number, RecordValue};
    use super::*;
    use crate::model::{Origin, SECURITY};

    fn value(bytes: &[u8]) -> Result<Option<RecordValue>, CodecError> {
        // [{0: "/0/1/2", 2: <bytes>}]
        let mut payload = alloc::vec![0x81, 0xA2, 0x00, 0x66];
        payload.extend_from_slice(b"/0/1/2");
        payload.push(0x02);
        payload.extend_from_slice(bytes);
        parse(&payload).map(|r| r[0].value.clone())
    }

    #[test]
    fn numbers_of_every_width_and_half_floats() {
        let number = |n| Ok(Some(RecordValue::Number(n)));
        assert_eq!(value(&[0x17]), number(Number::Signed(23)));
        assert_eq!(value(&[0x39, 0x01, 0x00]), number(Number::Signed(-257)));
        assert_eq!(
            value(&[0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            number(Number::Unsigned(u64::MAX))
        );
        assert_eq!(
            value(&[0x3B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            number(Number::Signed(i64::MIN))
        );
        assert_eq!(value(&[0x3B, 0x80, 0, 0, 0, 0, 0, 0, 0]), Err(CodecError::BadNumber));
        // RFC 8949 Appendix A.
        for (bytes, expected) in [
            (&[0xF9, 0x3C, 0x00][..], 1.0),
            (&[0xF9, 0xC4, 0x00], -4.0),
            (&[0xF9, 0x7B, 0xFF], 65504.0),
            (&[0xF9, 0x00, 0x01], 5.960_464_477_539_063e-8),
            (&[0xF9, 0x04, 0x00], 6.103_515_625e-5),
            (&[0xF9, 0x03, 0xFF], 6.097_555_160_522_461e-5),
            (&[0xF9, 0x7C, 0x00], f64::INFINITY),
            (&[0xFA, 0x47, 0xC3, 0x50, 0x00], 100_000.0),
            (&[0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A], 1.1),
        ] {
            assert_eq!(value(bytes), number(Number::Float(expected)), "{bytes:02x?}");
        }
        assert_eq!(value(&[0xF9, 0x3C]), Err(CodecError::Truncated));
    }

    #[test]
    fn single_floats_widen_exactly() {
        for v in [
            0.0f32,
            -0.0,
            1.5,
            -3.25e-7,
            f32::MAX,
            f32::MIN_POSITIVE,
            1e-45,
            1.17e-38,
            f32::INFINITY,
        ] {
            assert_eq!(widen(v.to_bits().into(), 8, 23).to_bits(), f64::from(v).to_bits(), "{v}");
        }
        assert!(widen(f32::NAN.to_bits().into(), 8, 23).is_nan());
    }

    #[test]
    fn shapes_that_are_refused() {
        for bad in [
            &[][..],
            &[0xA0],                                     // a map, not an array
            &[0x81],                                     // truncated
            &[0x80, 0x00],                               // trailing bytes
            &[0x81, 0x80],                               // a record that is an array
            &[0x81, 0xA1, 0x00, 0xF6],                   // null
            &[0x81, 0xA1, 0x00, 0x81, 0x00],             // nested array as value
            &[0x81, 0xA1, 0x00, 0xC1, 0x00],             // tag
            &[0x81, 0xA1, 0x00, 0x7F, 0x61, 0x61, 0xFF], // chunked string
            &[0x81, 0xA2, 0x02, 0x01, 0x02, 0x02],       // label twice
            &[0x81, 0xA2, 0x02, 0x01, 0x03, 0x60],       // two value fields
            &[0x81, 0xA1, 0x25, 0x01],                   // bv (-6 is bs, -5 bv)
            &[0x81, 0xA1, 0x04, 0x01],                   // vb not a bool
            &[0x81, 0xA1, 0x08, 0x60],                   // vd not bytes
            &[0x81, 0xA1, 0x62, b'x', b'_', 0x01],       // must-understand label
            &[0x81, 0xA1, 0xF5, 0x01],                   // a bool label
        ] {
            assert!(parse(bad).is_err(), "{bad:02x?}");
        }
        // Indefinite-length array and map; unknown labels ignored.
        let records = parse(&[0x9F, 0xBF, 0x04, 0xF5, 0x18, 0x64, 0x00, 0xFF, 0xFF]).unwrap();
        assert_eq!(records[0].value, Some(RecordValue::Boolean(true)));
        assert_eq!(parse(&[0x80]), Ok(Vec::new()));
    }

    #[test]
    fn a_security_instance_round_trips() {
        let mut resources = crate::model::VecMap::new();
        resources.insert(0, ResourceValue::Single(Value::String("coap://h".into())));
        resources.insert(1, ResourceValue::Single(Value::Boolean(false)));
        resources.insert(2, ResourceValue::Single(Value::Integer(-3)));
        resources.insert(3, ResourceValue::Single(Value::opaque(b"id")));
        resources.insert(13, ResourceValue::Single(Value::Unsigned(u64::MAX)));
        let mut suites = crate::model::VecMap::new();
        suites.insert(7, Value::Unsigned(49320));
        resources.insert(16, ResourceValue::Multiple(suites));
        resources.insert(17, ResourceValue::Single(Value::ObjLnk(21, 0)));
        let instance = Instance { resources, origin: Origin::BootstrapServer };
        let bytes = encode(0, &[(4, &instance)]);
        // The first record: {-2: "/0/4/", 0: "0", 3: "coap://h"}.
        assert_eq!(&bytes[..4], &[0x87, 0xA3, 0x21, 0x65]);
        let decoded = decode_records(&parse(&bytes).unwrap(), &Path::object(0), &SECURITY);
        assert_eq!(decoded, Ok(alloc::vec![(4, instance.resources.clone())]));
    }
}
