//! CBOR pieces shared by SenML CBOR and LwM2M CBOR, on `minicbor`'s `Decoder`: container
//! iteration, errors, scalars, and floats widened to `f64` by integer operations.

use alloc::string::String;
use minicbor::data::{Tag, Type};
use minicbor::Decoder;
use zeroize::Zeroizing;

use super::senml::{push_u64, Number, Scalar};
use super::CodecError;

/// Whether another item of a definite (`count`) or indefinite container follows; consumes
/// the indefinite container's break.
pub(super) fn more(
    d: &mut Decoder<'_>,
    count: Option<u64>,
    index: u64,
) -> Result<bool, CodecError> {
    match (count, d.input().get(d.position())) {
        (Some(n), _) => Ok(index < n),
        (None, Some(0xFF)) => {
            d.set_position(d.position() + 1);
            Ok(false)
        }
        (None, Some(_)) => Ok(true),
        (None, None) => Err(CodecError::Truncated),
    }
}

pub(super) fn error(e: minicbor::decode::Error) -> CodecError {
    if e.is_end_of_input() {
        CodecError::Truncated
    } else {
        CodecError::BadValue
    }
}

/// A scalar value: booleans, definite text and byte strings, integers of any width that fit
/// `i64` or `u64`, half/single/double floats; with `tags`, also an epoch time (tag 1 on an
/// integer) and a decimal fraction (tag 4, `[exponent, mantissa]`, kept as decimal text).
/// Anything else is refused: chunked strings, other tags, `null`, `undefined`, simple values,
/// arrays and maps.
pub(super) fn scalar(d: &mut Decoder<'_>, tags: bool) -> Result<Scalar, CodecError> {
    Ok(match d.datatype().map_err(error)? {
        Type::Bool => Scalar::Boolean(d.bool().map_err(error)?),
        Type::String => Scalar::String(String::from(d.str().map_err(error)?)),
        Type::Bytes => Scalar::Bytes(Zeroizing::new(d.bytes().map_err(error)?.to_vec())),
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => {
            let v = d.u64().map_err(error)?;
            Scalar::Number(i64::try_from(v).map_or(Number::Unsigned(v), Number::Signed))
        }
        Type::I8 | Type::I16 | Type::I32 | Type::I64 => {
            Scalar::Number(Number::Signed(d.i64().map_err(error)?))
        }
        Type::Int => return Err(CodecError::BadNumber),
        Type::Tag if tags => return tagged(d),
        Type::F16 => Scalar::Number(Number::Float(widen(float_bits(d, 2)?, 5, 10))),
        Type::F32 => Scalar::Number(Number::Float(widen(float_bits(d, 4)?, 8, 23))),
        Type::F64 => Scalar::Number(Number::Float(f64::from_bits(float_bits(d, 8)?))),
        _ => return Err(CodecError::BadValue),
    })
}

/// The bits of the float at the decoder's position (its initial byte, then `len` bytes).
/// Read by hand: minicbor's float readers convert between widths with float operations.
pub(super) fn float_bits(d: &mut Decoder<'_>, len: usize) -> Result<u64, CodecError> {
    let at = d.position() + 1;
    let bytes = d.input().get(at..at + len).ok_or(CodecError::Truncated)?;
    d.set_position(at + len);
    Ok(bytes.iter().fold(0u64, |n, &b| n << 8 | u64::from(b)))
}

/// An IEEE 754 binary float of `exponent_bits` and `fraction_bits` as `f64`, exactly, by
/// integer operations: a float conversion would link the soft-float double library (about
/// 2 KB on Cortex-M4F, whose FPU is single precision) into a build without Float resources.
pub(super) fn widen(bits: u64, exponent_bits: u32, fraction_bits: u32) -> f64 {
    let sign = (bits >> (exponent_bits + fraction_bits)) << 63;
    let max_exponent = (1u64 << exponent_bits) - 1;
    let bias = (1u64 << (exponent_bits - 1)) - 1;
    let exponent = (bits >> fraction_bits) & max_exponent;
    let fraction = bits & ((1u64 << fraction_bits) - 1);
    let to_52 = 52 - fraction_bits;
    let magnitude = match exponent {
        0 if fraction == 0 => 0,
        0 => {
            // Subnormal: fraction × 2^(1 - bias - fraction_bits), normalised for binary64.
            let shift = fraction.leading_zeros() - (63 - fraction_bits);
            let fraction = (fraction << shift) & ((1u64 << fraction_bits) - 1);
            ((1023 - bias + 1 - u64::from(shift)) << 52) | (fraction << to_52)
        }
        e if e == max_exponent => (0x7FF << 52) | (fraction << to_52),
        e => ((e + 1023 - bias) << 52) | (fraction << to_52),
    };
    f64::from_bits(sign | magnitude)
}

/// After a tag: an epoch time (tag 1) on an integer, or a decimal fraction (tag 4) as its
/// decimal text `MANTISSAeEXPONENT`.
fn tagged(d: &mut Decoder<'_>) -> Result<Scalar, CodecError> {
    let tag = d.tag().map_err(error)?;
    if tag == Tag::new(1) {
        return match scalar(d, false)? {
            n @ Scalar::Number(Number::Signed(_) | Number::Unsigned(_)) => Ok(n),
            _ => Err(CodecError::BadValue),
        };
    }
    if tag != Tag::new(4) || d.array().map_err(error)? != Some(2) {
        return Err(CodecError::BadValue);
    }
    let exponent = d.i64().map_err(error)?;
    let mantissa = d.i64().map_err(error)?;
    let mut text = String::new();
    if mantissa < 0 {
        text.push('-');
    }
    push_u64(&mut text, mantissa.unsigned_abs());
    text.push('e');
    if exponent < 0 {
        text.push('-');
    }
    push_u64(&mut text, exponent.unsigned_abs());
    Ok(Scalar::Number(Number::Decimal(text)))
}
