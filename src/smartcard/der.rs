//! A minimal, strict BER-TLV / DER reader for the PKCS#15 and ISO 7816-4 structures the walk
//! reads (EF DIR records, EF ODF, EF DODF, FCP templates).
//!
//! - tags of one to three bytes (low-tag-number form, or `x1F` followed by up to two bytes);
//! - definite lengths only, in the forms `0x00-0x7F`, `81 xx`, `82 xx xx` (one to three
//!   bytes); the indefinite form and longer length fields are refused;
//! - every length is checked against the input; nothing is ever read out of bounds.
//!
//! Files on cards are often padded: [`parse_padded`] stops at the first `00` or `FF` where a
//! tag would start, and requires the rest to be padding too.

use alloc::vec::Vec;
use core::fmt;

/// Why bytes are not well-formed BER-TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DerError {
    /// The input ends inside a tag, a length or a value.
    Truncated,
    /// A tag longer than three bytes.
    TagTooLong,
    /// The indefinite length form, or a length field longer than three bytes.
    BadLength,
    /// Bytes that are neither a TLV nor padding follow the last TLV.
    TrailingBytes,
    /// Constructed values nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DerError::Truncated => "TLV truncated",
            DerError::TagTooLong => "tag longer than three bytes",
            DerError::BadLength => "indefinite or over-long length field",
            DerError::TrailingBytes => "bytes after the last TLV are not padding",
            DerError::TooDeep => "TLV nesting too deep",
        })
    }
}

/// Deepest nesting the searches descend into.
pub const MAX_DEPTH: usize = 8;

/// One TLV, borrowing its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag bytes as a big-endian number (`0x30`, `0xA7`, `0x5F2D`, ...).
    pub tag: u32,
    /// Bit 6 of the first tag byte: the value holds nested TLVs.
    pub constructed: bool,
    /// The value bytes.
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The nested TLVs of a constructed value (which must fill it exactly).
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, DerError> {
        parse_all(self.value)
    }
}

/// Reads one TLV from the front of `input`; returns it and the rest.
pub fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (&first, mut rest) = input.split_first().ok_or(DerError::Truncated)?;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        let mut extra = 0;
        loop {
            let (&b, tail) = rest.split_first().ok_or(DerError::Truncated)?;
            rest = tail;
            extra += 1;
            if extra > 2 {
                return Err(DerError::TagTooLong);
            }
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let (&len0, tail) = rest.split_first().ok_or(DerError::Truncated)?;
    rest = tail;
    let len = match len0 {
        0x00..=0x7F => usize::from(len0),
        0x81 | 0x82 => {
            let n = usize::from(len0 & 0x7F);
            let (bytes, tail) = rest.split_at_checked(n).ok_or(DerError::Truncated)?;
            rest = tail;
            bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        }
        _ => return Err(DerError::BadLength),
    };
    let (value, rest) = rest.split_at_checked(len).ok_or(DerError::Truncated)?;
    Ok((Tlv { tag, constructed: first & 0x20 != 0, value }, rest))
}

/// A sequence of TLVs that must fill `input` exactly.
pub fn parse_all(input: &[u8]) -> Result<Vec<Tlv<'_>>, DerError> {
    let mut rest = input;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (tlv, tail) = read_tlv(rest)?;
        out.push(tlv);
        rest = tail;
    }
    Ok(out)
}

/// A sequence of TLVs followed by optional padding (`00` or `FF` bytes only), as in a
/// transparent file or a linear-fixed record that is longer than its content.
pub fn parse_padded(input: &[u8]) -> Result<Vec<Tlv<'_>>, DerError> {
    let mut rest = input;
    let mut out = Vec::new();
    while let Some(&first) = rest.first() {
        if first == 0x00 || first == 0xFF {
            if rest.iter().all(|&b| b == 0x00 || b == 0xFF) {
                break;
            }
            return Err(DerError::TrailingBytes);
        }
        let (tlv, tail) = read_tlv(rest)?;
        out.push(tlv);
        rest = tail;
    }
    Ok(out)
}

/// Depth-first search of `tlvs` and their constructed descendants (down to [`MAX_DEPTH`]) for
/// the first TLV satisfying `pred`.
pub fn find<'a>(
    tlvs: &[Tlv<'a>],
    pred: &dyn Fn(&Tlv<'a>) -> bool,
) -> Result<Option<Tlv<'a>>, DerError> {
    find_at(tlvs, pred, 0)
}

fn find_at<'a>(
    tlvs: &[Tlv<'a>],
    pred: &dyn Fn(&Tlv<'a>) -> bool,
    depth: usize,
) -> Result<Option<Tlv<'a>>, DerError> {
    if depth > MAX_DEPTH {
        return Err(DerError::TooDeep);
    }
    for tlv in tlvs {
        if pred(tlv) {
            return Ok(Some(*tlv));
        }
        if tlv.constructed {
            if let Some(found) = find_at(&tlv.children()?, pred, depth + 1)? {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_length_forms() {
        let (t, rest) = read_tlv(&[0x04, 0x02, 0x64, 0x30, 0xAA]).unwrap();
        assert_eq!(
            (t.tag, t.constructed, t.value, rest),
            (4, false, &[0x64, 0x30][..], &[0xAA][..])
        );
        let mut long = alloc::vec![0x30, 0x81, 0x80];
        long.extend_from_slice(&[0u8; 0x80]);
        assert_eq!(read_tlv(&long).unwrap().0.value.len(), 0x80);
        let mut longer = alloc::vec![0x04, 0x82, 0x01, 0x00];
        longer.extend_from_slice(&[7u8; 0x100]);
        assert_eq!(read_tlv(&longer).unwrap().0.value.len(), 0x100);
        assert_eq!(read_tlv(&[0x30, 0x80, 0, 0]), Err(DerError::BadLength));
        assert_eq!(read_tlv(&[0x30, 0x83, 0, 0, 1, 0]), Err(DerError::BadLength));
        assert_eq!(read_tlv(&[0x30, 0x05, 1]), Err(DerError::Truncated));
        assert_eq!(read_tlv(&[0x04, 0x82, 0x01]), Err(DerError::Truncated));
    }

    #[test]
    fn reads_multi_byte_tags() {
        let (t, _) = read_tlv(&[0x5F, 0x2D, 0x01, 0x65]).unwrap();
        assert_eq!(t.tag, 0x5F2D);
        let (t, _) = read_tlv(&[0xBF, 0x81, 0x01, 0x00]).unwrap();
        assert_eq!(t.tag, 0xBF8101);
        assert!(t.constructed);
        assert_eq!(read_tlv(&[0x5F, 0x81, 0x81, 0x01, 0x00]), Err(DerError::TagTooLong));
    }

    #[test]
    fn padding_is_tolerated_only_at_the_end() {
        let odf = [0xA7, 0x06, 0x30, 0x04, 0x04, 0x02, 0x64, 0x30, 0xFF, 0xFF, 0x00];
        assert_eq!(parse_padded(&odf).unwrap().len(), 1);
        assert_eq!(parse_padded(&[0xFF, 0x04, 0x00]), Err(DerError::TrailingBytes));
        assert_eq!(parse_all(&[0x04, 0x00, 0xFF]), Err(DerError::Truncated));
    }

    #[test]
    fn search_is_depth_limited() {
        let mut nested = alloc::vec![0x04, 0x00];
        for _ in 0..20 {
            let len = u8::try_from(nested.len()).unwrap();
            nested.splice(0..0, [0x30, len]);
        }
        let tlvs = parse_all(&nested).unwrap();
        assert_eq!(find(&tlvs, &|t| t.tag == 0x04), Err(DerError::TooDeep));
    }
}
