//! Plain text (content format 0) and opaque (42) values for resource-level writes
//! (LwM2M Core TS 1.0 §6.4.1, §6.4.2; Transport TS 1.1 §7.4.1, §7.4.2).
//!
//! Numbers are decimal, booleans `0`/`1`, object links `O:I`, and opaque values in plain
//! text are base64 (RFC 4648 §4, with padding).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::CodecError;
use crate::model::{DataType, Value};

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Decodes a plain-text value of type `data_type`.
///
/// Integer/Time: decimal with an optional `-`; Unsigned: decimal; Float: decimal with optional
/// fraction and exponent (finite only); Boolean: `0` or `1`; String/CoreLink: UTF-8;
/// ObjLnk: `O:I`; Opaque: base64 with padding. `DataType::None` is [`CodecError::BadType`].
pub fn decode_text(bytes: &[u8], data_type: DataType) -> Result<Value, CodecError> {
    if data_type == DataType::Opaque {
        return decode_base64(bytes).map(Value::Opaque);
    }
    let text = core::str::from_utf8(bytes).map_err(|_| CodecError::BadUtf8)?;
    match data_type {
        DataType::Integer => parse_signed(text).map(Value::Integer),
        DataType::Time => parse_signed(text).map(Value::Time),
        DataType::Unsigned => parse_unsigned(text).map(Value::Unsigned),
        #[cfg(feature = "float")]
        DataType::Float => parse_float(text).map(Value::Float),
        #[cfg(not(feature = "float"))]
        DataType::Float => Err(CodecError::BadType),
        DataType::Boolean => parse_bool(text).map(Value::Boolean),
        DataType::ObjLnk => parse_objlnk(text),
        DataType::String => Ok(Value::String(String::from(text))),
        DataType::CoreLink => Ok(Value::CoreLink(String::from(text))),
        DataType::Opaque | DataType::None => Err(CodecError::BadType),
    }
}

/// Encodes a value as plain text, the inverse of [`decode_text`]. Floats use the shortest
/// decimal form that reads back exactly; non-finite floats give `NaN`/`inf`, which
/// [`decode_text`] refuses. Without the `float` feature a float is the empty text.
pub fn encode_text(value: &Value) -> String {
    match value {
        Value::Integer(v) | Value::Time(v) => v.to_string(),
        Value::Unsigned(v) => v.to_string(),
        #[cfg(feature = "float")]
        Value::Float(v) => v.to_string(),
        // Without the feature no decoder makes a Float (none of /0, /1, /2 is one), and core's
        // float printing (about 10 KB of Cortex-M4 flash) stays out.
        #[cfg(not(feature = "float"))]
        Value::Float(_) => String::new(),
        Value::Boolean(v) => String::from(if *v { "1" } else { "0" }),
        Value::ObjLnk(o, i) => format!("{o}:{i}"),
        Value::String(s) | Value::CoreLink(s) => s.clone(),
        Value::Opaque(b) => encode_base64(b),
    }
}

/// Decodes an `application/octet-stream` payload: only valid for Opaque resources, whose
/// value is the payload itself; any other type is [`CodecError::BadType`].
pub fn decode_opaque(bytes: &[u8], data_type: DataType) -> Result<Value, CodecError> {
    match data_type {
        DataType::Opaque => Ok(Value::opaque(bytes)),
        _ => Err(CodecError::BadType),
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_signed(text: &str) -> Result<i64, CodecError> {
    if !is_digits(text.strip_prefix('-').unwrap_or(text)) {
        return Err(CodecError::BadNumber);
    }
    text.parse().map_err(|_| CodecError::BadNumber)
}

fn parse_unsigned(text: &str) -> Result<u64, CodecError> {
    if !is_digits(text) {
        return Err(CodecError::BadNumber);
    }
    text.parse().map_err(|_| CodecError::BadNumber)
}

/// `[-]digits[.digits][(e|E)[+|-]digits]`, with at least one mantissa digit.
#[cfg(feature = "float")]
fn is_decimal_float(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (unsigned.get(..at), unsigned.get(at + 1..)),
        None => (Some(unsigned), None),
    };
    let Some(mantissa) = mantissa else {
        return false;
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits_ok(int) && digits_ok(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        is_digits(e.strip_prefix('+').or_else(|| e.strip_prefix('-')).unwrap_or(e))
    });
    mantissa_ok && exponent_ok
}

#[cfg(feature = "float")]
fn parse_float(text: &str) -> Result<f64, CodecError> {
    if !is_decimal_float(text) {
        return Err(CodecError::BadNumber);
    }
    Some(super::decimal::parse(text)).filter(|v| v.is_finite()).ok_or(CodecError::BadNumber)
}

fn parse_bool(text: &str) -> Result<bool, CodecError> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(CodecError::BadValue),
    }
}

fn parse_objlnk(text: &str) -> Result<Value, CodecError> {
    let (object, instance) = text.split_once(':').ok_or(CodecError::BadValue)?;
    let id = |s: &str| -> Result<u16, CodecError> {
        let v = parse_unsigned(s)?;
        u16::try_from(v).map_err(|_| CodecError::BadNumber)
    };
    Ok(Value::ObjLnk(id(object)?, id(instance)?))
}

/// Base64 with padding (RFC 4648 §4).
fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let b = [0, 1, 2].map(|i| chunk.get(i).copied().unwrap_or(0));
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(base64_symbol(n >> shift)));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_symbol(sextet: u32) -> u8 {
    BASE64_ALPHABET.get((sextet & 0x3F) as usize).copied().unwrap_or(b'A')
}

fn base64_value(symbol: u8) -> Option<u32> {
    let v = match symbol {
        b'A'..=b'Z' => symbol - b'A',
        b'a'..=b'z' => symbol - b'a' + 26,
        b'0'..=b'9' => symbol - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes padded base64 into a buffer allocated once at its final size, so that no
/// reallocation leaves copies of key material behind.
fn decode_base64(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, CodecError> {
    if text.len() % 4 != 0 {
        return Err(CodecError::BadValue);
    }
    let padding = text.iter().rev().take_while(|&&b| b == b'=').count();
    if padding > 2 {
        return Err(CodecError::BadValue);
    }
    let capacity = (text.len() / 4).saturating_mul(3).saturating_sub(padding);
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    let chunks = text.chunks(4);
    let last = chunks.len().saturating_sub(1);
    for (index, chunk) in chunks.enumerate() {
        let pad = if index == last { padding } else { 0 };
        decode_quantum(chunk, pad, &mut out)?;
    }
    Ok(out)
}

/// One 4-symbol group ending in `pad` `=` signs; appends its 3 - pad bytes.
fn decode_quantum(chunk: &[u8], pad: usize, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let symbols = chunk.len().saturating_sub(pad);
    let mut n: u32 = 0;
    for (i, &symbol) in chunk.iter().enumerate() {
        let v = if i < symbols { base64_value(symbol).ok_or(CodecError::BadValue)? } else { 0 };
        n = (n << 6) | v;
    }
    let bytes = n.to_be_bytes();
    out.extend_from_slice(bytes.get(1..4 - pad).ok_or(CodecError::BadValue)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(s: &str, t: DataType) -> Result<Value, CodecError> {
        decode_text(s.as_bytes(), t)
    }

    #[test]
    fn numbers() {
        assert_eq!(text("42", DataType::Integer), Ok(Value::Integer(42)));
        assert_eq!(text("-42", DataType::Integer), Ok(Value::Integer(-42)));
        let min = i64::MIN.to_string();
        assert_eq!(text(&min, DataType::Time), Ok(Value::Time(i64::MIN)));
        let max = u64::MAX.to_string();
        assert_eq!(text(&max, DataType::Unsigned), Ok(Value::Unsigned(u64::MAX)));
        for bad in ["", "-", "+1", " 1", "1 ", "1.0", "0x10", "9223372036854775808", "--1"] {
            assert_eq!(text(bad, DataType::Integer), Err(CodecError::BadNumber), "{bad:?}");
        }
        for bad in ["-1", "", "18446744073709551616", "1e3"] {
            assert_eq!(text(bad, DataType::Unsigned), Err(CodecError::BadNumber), "{bad:?}");
        }
    }

    #[test]
    #[cfg(feature = "float")]
    fn floats() {
        for (s, v) in [("1.5", 1.5), ("-0.25", -0.25), ("3", 3.0), ("1e3", 1000.0), (".5", 0.5)] {
            assert_eq!(text(s, DataType::Float), Ok(Value::Float(v)), "{s}");
        }
        assert_eq!(text("2.5E-1", DataType::Float), Ok(Value::Float(0.25)));
        assert_eq!(text("5.", DataType::Float), Ok(Value::Float(5.0)));
        for bad in ["", ".", "-", "inf", "NaN", "1e", "1e+", "+1", "1.2.3", "1e999", "e5"] {
            assert_eq!(text(bad, DataType::Float), Err(CodecError::BadNumber), "{bad:?}");
        }
        assert_eq!(encode_text(&Value::Float(1.5)), "1.5");
        assert_eq!(encode_text(&Value::Float(3.0)), "3");
    }

    #[test]
    #[cfg(not(feature = "float"))]
    fn floats_refused_without_the_feature() {
        assert_eq!(text("1.5", DataType::Float), Err(CodecError::BadType));
        assert_eq!(text("3", DataType::Float), Err(CodecError::BadType));
    }

    #[test]
    fn booleans_strings_links() {
        assert_eq!(text("1", DataType::Boolean), Ok(Value::Boolean(true)));
        assert_eq!(text("0", DataType::Boolean), Ok(Value::Boolean(false)));
        assert_eq!(text("true", DataType::Boolean), Err(CodecError::BadValue));
        assert_eq!(text("2", DataType::Boolean), Err(CodecError::BadValue));
        assert_eq!(text("héllo", DataType::String), Ok(Value::String("héllo".into())));
        assert_eq!(text("</1>", DataType::CoreLink), Ok(Value::CoreLink("</1>".into())));
        assert_eq!(decode_text(&[0xFF], DataType::String), Err(CodecError::BadUtf8));
        assert_eq!(text("3:0", DataType::ObjLnk), Ok(Value::ObjLnk(3, 0)));
        assert_eq!(text("65535:65535", DataType::ObjLnk), Ok(Value::ObjLnk(65535, 65535)));
        for bad in ["3", "3:", ":0", "65536:0", "a:b", "1:2:3"] {
            assert!(text(bad, DataType::ObjLnk).is_err(), "{bad:?}");
        }
        assert_eq!(text("", DataType::None), Err(CodecError::BadType));
        assert_eq!(encode_text(&Value::ObjLnk(3, 0)), "3:0");
        assert_eq!(encode_text(&Value::Boolean(true)), "1");
        assert_eq!(encode_text(&Value::Time(-5)), "-5");
    }

    #[test]
    fn base64_vectors() {
        // RFC 4648 §10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let value = Value::opaque(plain.as_bytes());
            assert_eq!(encode_text(&value), encoded);
            assert_eq!(text(encoded, DataType::Opaque), Ok(value));
        }
        assert_eq!(encode_text(&Value::opaque(&[0xFB, 0xFF])), "+/8=");
        for bad in ["Zg", "Zg=", "Z===", "====", "Zm9v!A==", "Zg==Zg==", "Z=g=", "é"] {
            assert_eq!(text(bad, DataType::Opaque), Err(CodecError::BadValue), "{bad:?}");
        }
    }

    #[test]
    fn opaque_format() {
        assert_eq!(decode_opaque(&[1, 2], DataType::Opaque), Ok(Value::opaque(&[1, 2])));
        assert_eq!(decode_opaque(&[1], DataType::Integer), Err(CodecError::BadType));
        assert_eq!(decode_opaque(b"x", DataType::String), Err(CodecError::BadType));
    }

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            "\\PC{0,30}".prop_map(Value::String),
            "\\PC{0,30}".prop_map(Value::CoreLink),
            any::<i64>().prop_map(Value::Integer),
            any::<i64>().prop_map(Value::Time),
            any::<u64>().prop_map(Value::Unsigned),
            float_values(),
            any::<bool>().prop_map(Value::Boolean),
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Value::opaque(&b)),
            (any::<u16>(), any::<u16>()).prop_map(|(o, i)| Value::ObjLnk(o, i)),
        ]
    }

    /// Finite floats; integers without the `float` feature (floats do not decode then).
    fn float_values() -> BoxedStrategy<Value> {
        #[cfg(feature = "float")]
        return any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float)
            .boxed();
        #[cfg(not(feature = "float"))]
        any::<i64>().prop_map(Value::Integer).boxed()
    }

    proptest! {
        #[test]
        fn text_round_trip(value in any_value()) {
            let encoded = encode_text(&value);
            prop_assert_eq!(decode_text(encoded.as_bytes(), value.data_type()), Ok(value));
        }

        #[test]
        fn decode_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            for t in [DataType::Integer, DataType::Unsigned, DataType::Float, DataType::Opaque,
                      DataType::ObjLnk, DataType::Boolean, DataType::Time, DataType::None] {
                let _ = decode_text(&bytes, t);
            }
        }

        #[test]
        fn base64_never_panics(s in "[A-Za-z0-9+/=]{0,16}") {
            let _ = decode_text(s.as_bytes(), DataType::Opaque);
        }
    }
}
