//! The EF LwM2M_Bootstrap format (LwM2M Core 1.1 Appendix G.3.3): a
//! big-endian binary wrapper around OMA-TLV.
//!
//! ```text
//! bootstrap_data       ::= number_of_objects:u16  size:u16  single_lwm2m_object{number_of_objects}
//! single_lwm2m_object  ::= object_id:u16  object_version  length_of_object:u16  OMA-TLV instances
//! object_version       ::= 0x00 (implicit)  |  MAJOR(0x01-0xFF) MINOR(0x00-0xFF)
//! ```
//!
//! `size` is the byte length of the object collection. Bytes after it must be `FF` (the
//! erased state of the file); anything else is an error.
//!
//! Objects the library owns (/0, /1, /2) are decoded with [`decode_instances`] against their
//! definitions into a [`DataModel`] whose instances have [`Origin::Smartcard`]. Other objects
//! (e.g. Device /3, Connectivity /4 settings a card issuer provisions) are kept as raw OMA-TLV in
//! [`BootstrapData::other_objects`]: at integration they go to the firmware's object model in
//! the same transaction, like a Bootstrap-Write on `/O`. Parsing is all or nothing: any error
//! and the caller gets no data at all.

use crate::model::VecSet;
use alloc::vec::Vec;
use core::fmt;

use crate::codec::{decode_instances, CodecError};
use crate::model::{object_definition, DataModel, Origin, Path};

/// Largest EF LwM2M_Bootstrap the specification allows (32 KB).
pub const MAX_EF_SIZE: usize = 32 * 1024;

/// Why an EF LwM2M_Bootstrap is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EfError {
    /// The file ends inside the header, an object header or an object.
    Truncated,
    /// The header's size does not match the objects it announces.
    SizeMismatch,
    /// Bytes after the object collection that are not `FF` padding.
    TrailingBytes,
    /// A version byte pair with MAJOR 0 cannot occur; `0x00` alone means implicit.
    BadVersion,
    /// The same object ID appears twice.
    DuplicateObject(u16),
    /// The OMA-TLV of an object does not decode: `(object ID, error)`.
    Tlv(u16, CodecError),
    /// Larger than [`MAX_EF_SIZE`].
    TooLarge,
}

impl fmt::Display for EfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EfError::Truncated => f.write_str("EF LwM2M_Bootstrap truncated"),
            EfError::SizeMismatch => f.write_str("EF size field does not match its objects"),
            EfError::TrailingBytes => f.write_str("EF has non-padding bytes after its objects"),
            EfError::BadVersion => f.write_str("EF object version is malformed"),
            EfError::DuplicateObject(id) => write!(f, "EF lists object {id} twice"),
            EfError::Tlv(id, e) => write!(f, "EF object {id}: {e}"),
            EfError::TooLarge => f.write_str("EF larger than 32 KB"),
        }
    }
}

/// An object's version from the EF: `None` for the implicit `0x00`.
pub type ObjectVersion = Option<(u8, u8)>;

/// One object of the EF that the library does not own, as raw OMA-TLV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawObject {
    /// Object ID.
    pub object_id: u16,
    /// Version from the EF.
    pub version: ObjectVersion,
    /// The object's OMA-TLV (Object Instance TLVs), as a Bootstrap-Write on `/O` would carry.
    pub tlv: Vec<u8>,
}

/// The decoded content of EF LwM2M_Bootstrap.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BootstrapData {
    /// Instances of /0, /1 and /2, each with [`Origin::Smartcard`]; resources the library does
    /// not define are dropped, as in a Bootstrap-Write.
    pub model: DataModel,
    /// Versions of the objects decoded into `model`, in EF order.
    pub versions: Vec<(u16, ObjectVersion)>,
    /// Every other object, raw, in EF order.
    pub other_objects: Vec<RawObject>,
}

/// Parses a whole EF LwM2M_Bootstrap. Never panics; on any error nothing is returned.
pub fn parse_ef(ef: &[u8]) -> Result<BootstrapData, EfError> {
    if ef.len() > MAX_EF_SIZE {
        return Err(EfError::TooLarge);
    }
    let count = be16(ef, 0)?;
    let size = usize::from(be16(ef, 2)?);
    let body_end = 4usize.checked_add(size).ok_or(EfError::SizeMismatch)?;
    let body = ef.get(4..body_end).ok_or(EfError::Truncated)?;
    let padding = ef.get(body_end..).unwrap_or_default();
    if padding.iter().any(|&b| b != 0xFF) {
        return Err(EfError::TrailingBytes);
    }
    let mut data = BootstrapData::default();
    let mut seen = VecSet::new();
    let mut rest = body;
    for _ in 0..count {
        let object_id = be16(rest, 0)?;
        let (version, at) = match rest.get(2) {
            None => return Err(EfError::Truncated),
            Some(0x00) => (None, 3),
            Some(&major) => (Some((major, *rest.get(3).ok_or(EfError::Truncated)?)), 4),
        };
        let len = usize::from(be16(rest, at)?);
        let start = at + 2;
        let tlv = rest.get(start..start + len).ok_or(EfError::SizeMismatch)?;
        rest = rest.get(start + len..).unwrap_or_default();
        if !seen.add(object_id) {
            return Err(EfError::DuplicateObject(object_id));
        }
        match object_definition(object_id) {
            Some(def) => {
                let instances = decode_instances(tlv, &Path::object(object_id), def)
                    .map_err(|e| EfError::Tlv(object_id, e))?;
                for (iid, resources) in instances {
                    data.model.write(object_id, iid, resources, Origin::Smartcard);
                }
                data.versions.push((object_id, version));
            }
            None => {
                // Unknown objects are still checked for TLV well-formedness so that a corrupt
                // EF is refused as a whole.
                for instance in
                    crate::codec::tlv::parse(tlv).map_err(|e| EfError::Tlv(object_id, e))?
                {
                    crate::codec::tlv::parse(instance.value)
                        .map_err(|e| EfError::Tlv(object_id, e))?;
                }
                data.other_objects.push(RawObject { object_id, version, tlv: tlv.to_vec() });
            }
        }
    }
    if !rest.is_empty() {
        return Err(EfError::SizeMismatch);
    }
    Ok(data)
}

/// Builds an EF LwM2M_Bootstrap from `(object ID, version, OMA-TLV instances)` entries, without
/// padding: the inverse of [`parse_ef`] for tests, tools and simulated cards.
/// Returns `None` when the collection does not fit the 16-bit size field.
pub fn build_ef(objects: &[(u16, ObjectVersion, &[u8])]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    for (id, version, tlv) in objects {
        body.extend_from_slice(&id.to_be_bytes());
        match version {
            None => body.push(0),
            Some((major, minor)) => body.extend_from_slice(&[*major, *minor]),
        }
        body.extend_from_slice(&u16::try_from(tlv.len()).ok()?.to_be_bytes());
        body.extend_from_slice(tlv);
    }
    let mut ef = Vec::with_capacity(4 + body.len());
    ef.extend_from_slice(&u16::try_from(objects.len()).ok()?.to_be_bytes());
    ef.extend_from_slice(&u16::try_from(body.len()).ok()?.to_be_bytes());
    ef.extend_from_slice(&body);
    Some(ef)
}

fn be16(bytes: &[u8], at: usize) -> Result<u16, EfError> {
    match bytes.get(at..at + 2) {
        Some(&[hi, lo]) => Ok(u16::from_be_bytes([hi, lo])),
        _ => Err(EfError::Truncated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{security_res, server_res, SecurityMode};
    use alloc::vec;

    /// A 58-byte EF of a real card, with two bytes of padding.
    pub(crate) fn nordic_ef() -> Vec<u8> {
        let mut ef = vec![0x00, 0x01, 0x00, 0x36, 0x00, 0x00, 0x00, 0x00, 0x31, 0x08, 0x00, 0x2E];
        ef.extend_from_slice(&[0xC8, 0x00, 0x25]);
        ef.extend_from_slice(b"coap://leshan.eclipseprojects.io:5783");
        ef.extend_from_slice(&[0xC1, 0x01, 0x01, 0xC1, 0x02, 0x03]);
        assert_eq!(ef.len(), 58);
        ef.extend_from_slice(&[0xFF, 0xFF]);
        ef
    }

    /// A published 126-byte EF example, all 126 bytes as its documentation
    /// prints them.
    fn anjay_ef() -> Vec<u8> {
        let mut ef = vec![0x00, 0x02, 0x00, 0x7A, 0x00, 0x00, 0x00, 0x00, 0x5E, 0x08, 0x01, 0x5B];
        ef.extend_from_slice(&[0xC8, 0x00, 0x22]);
        ef.extend_from_slice(b"coaps://eu.iot.avsystem.cloud:5684");
        ef.extend_from_slice(&[0xC1, 0x01, 0x00, 0xC1, 0x02, 0x00, 0xC8, 0x03, 0x14]);
        ef.extend_from_slice(b"example-psk-identity");
        ef.extend_from_slice(&[0xC8, 0x05, 0x13]);
        ef.extend_from_slice(b"3x@mpl3P5K53cr3tK3y");
        ef.extend_from_slice(&[0xC1, 0x0A, 0x01]);
        ef.extend_from_slice(&[0x00, 0x01, 0x00, 0x00, 0x12, 0x08, 0x01, 0x0F]);
        ef.extend_from_slice(&[0xC1, 0x00, 0x01, 0xC4, 0x01, 0x00, 0x01, 0x51, 0x80]);
        ef.extend_from_slice(&[0xC1, 0x06, 0x00, 0xC1, 0x07, 0x55]);
        ef
    }

    #[test]
    fn nordic_fixture_byte_for_byte() {
        let data = parse_ef(&nordic_ef()).unwrap();
        let sec = data.model.instance(0, 0).unwrap();
        assert_eq!(sec.origin, Origin::Smartcard);
        assert_eq!(sec.string(security_res::URI), Some("coap://leshan.eclipseprojects.io:5783"));
        assert_eq!(sec.boolean(security_res::BOOTSTRAP_SERVER), Some(true));
        assert_eq!(sec.int(security_res::MODE), Some(SecurityMode::NoSec.as_i64()));
        assert_eq!(data.versions, vec![(0, None)]);
        assert!(data.other_objects.is_empty());
        let rebuilt = build_ef(&[(0, None, &nordic_ef()[9..58])]).unwrap();
        assert_eq!(rebuilt, nordic_ef()[..58]);
    }

    #[test]
    fn anjay_example_byte_for_byte() {
        let ef = anjay_ef();
        assert_eq!(ef.len(), 0x7E);
        let data = parse_ef(&ef).unwrap();
        let sec = data.model.instance(0, 1).unwrap();
        assert_eq!(sec.string(security_res::URI), Some("coaps://eu.iot.avsystem.cloud:5684"));
        assert_eq!(sec.boolean(security_res::BOOTSTRAP_SERVER), Some(false));
        assert_eq!(sec.int(security_res::MODE), Some(0));
        assert_eq!(
            sec.bytes(security_res::PUBLIC_KEY_OR_IDENTITY),
            Some(&b"example-psk-identity"[..])
        );
        assert_eq!(sec.bytes(security_res::SECRET_KEY), Some(&b"3x@mpl3P5K53cr3tK3y"[..]));
        assert_eq!(sec.int(security_res::SSID), Some(1));
        let srv = data.model.instance(1, 1).unwrap();
        assert_eq!(srv.int(server_res::SSID), Some(1));
        assert_eq!(srv.int(server_res::LIFETIME), Some(86400));
        assert_eq!(srv.boolean(server_res::NOTIFICATION_STORING), Some(false));
        assert_eq!(srv.string(server_res::BINDING), Some("U"));
        assert_eq!(srv.origin, Origin::Smartcard);
    }

    #[test]
    fn two_byte_versions_and_unknown_objects() {
        let device = [0x08, 0x00, 0x03, 0xC1, 0x00, 0x05];
        let sec = &nordic_ef()[9..58];
        let ef = build_ef(&[(0, Some((1, 1)), sec), (3, Some((1, 2)), &device)]).unwrap();
        let data = parse_ef(&ef).unwrap();
        assert_eq!(data.versions, vec![(0, Some((1, 1)))]);
        assert_eq!(
            data.other_objects,
            vec![RawObject { object_id: 3, version: Some((1, 2)), tlv: device.to_vec() }]
        );
        assert!(data.model.instance(0, 0).is_some());
    }

    #[test]
    fn corrupt_files_are_refused_whole() {
        let ef = nordic_ef();
        assert_eq!(parse_ef(&ef[..3]), Err(EfError::Truncated));
        assert_eq!(parse_ef(&ef[..40]), Err(EfError::Truncated));
        let mut bad = ef.clone();
        bad[59] = 0x00;
        assert_eq!(parse_ef(&bad), Err(EfError::TrailingBytes));
        let mut bad = ef.clone();
        bad[1] = 2; // announces two objects, holds one
        assert_eq!(parse_ef(&bad), Err(EfError::Truncated));
        let mut bad = ef.clone();
        bad[14] = 0x26; // URI length one too long
        assert!(matches!(parse_ef(&bad), Err(EfError::Tlv(0, _))));
        let mut bad = ef.clone();
        bad[8] = 0x32; // object length past the collection
        assert_eq!(parse_ef(&bad), Err(EfError::SizeMismatch));
        assert_eq!(parse_ef(&[0xFF; 64]), Err(EfError::Truncated), "erased file");
        let sec = &nordic_ef()[9..58];
        let dup = build_ef(&[(0, None, sec), (0, None, sec)]).unwrap();
        assert_eq!(parse_ef(&dup), Err(EfError::DuplicateObject(0)));
        assert_eq!(parse_ef(&vec![0; MAX_EF_SIZE + 1]), Err(EfError::TooLarge));
    }

    #[test]
    fn empty_collection_is_valid() {
        assert_eq!(parse_ef(&[0, 0, 0, 0, 0xFF]).unwrap(), BootstrapData::default());
    }
}
