//! The persisted image of the committed configuration:
//!
//! ```text
//! magic "LWBS" | format u8 = 1 | reserved u8 x3 | generation u32 | length u32 | crc32 u32 | payload
//! payload = { object id u16 | length u32 | OMA-TLV object instances }*  then
//!           0xFFFF | count u16 | { object u16 | instance u16 | origin u8 }*
//! ```
//! Integers are big-endian; the CRC-32 (IEEE 802.3) covers everything before it and the payload.
//! A decoder never trusts an image: bad magic, version, length or CRC is an error. Bytes after
//! the declared length are ignored: a flash slot is usually larger than the image in it.

use alloc::vec::Vec;
use core::fmt;

use crate::codec::tlv;
use crate::model::{object_definition, DataModel, Instance, Origin, Path};

/// The first four bytes of every image.
pub const MAGIC: &[u8; 4] = b"LWBS";
/// The image format this version writes and reads.
pub const FORMAT: u8 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 20;
const ORIGINS_TAG: u16 = 0xFFFF;

/// Why an image was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Shorter than a header, or the length field disagrees with the data.
    Truncated,
    /// Not an lwm2m-bootstrap image.
    BadMagic,
    /// An image format this version does not read.
    UnsupportedFormat(u8),
    /// The CRC does not match: corrupt or partially written.
    BadChecksum,
    /// The payload does not decode.
    BadPayload,
}

impl ImageError {
    /// True when the image is not one of ours at all (other magic) or from a format this
    /// version does not know (a newer firmware wrote it); false when it is ours but damaged
    /// (torn write, bit flips).
    pub fn is_foreign(self) -> bool {
        matches!(self, ImageError::BadMagic | ImageError::UnsupportedFormat(_))
    }
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::Truncated => f.write_str("truncated image"),
            ImageError::BadMagic => f.write_str("not an lwm2m-bootstrap image (bad magic)"),
            ImageError::UnsupportedFormat(v) => write!(f, "unsupported image format {v}"),
            ImageError::BadChecksum => f.write_str("CRC-32 mismatch"),
            ImageError::BadPayload => f.write_str("payload does not decode"),
        }
    }
}

/// Encodes `model` as an image with `generation`.
pub fn encode_image(model: &DataModel, generation: u32) -> Vec<u8> {
    let payload = encode_payload(model);
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[FORMAT, 0, 0, 0]);
    out.extend_from_slice(&generation.to_be_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    let crc = crc32(&[&out[..], &payload[..]]);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Decodes an image into the configuration and its generation. Bytes after the image are
/// ignored.
pub fn decode_image(image: &[u8]) -> Result<(DataModel, u32), ImageError> {
    let header = image.get(..HEADER_LEN).ok_or(ImageError::Truncated)?;
    if &header[..4] != MAGIC {
        return Err(ImageError::BadMagic);
    }
    if header[4] != FORMAT {
        return Err(ImageError::UnsupportedFormat(header[4]));
    }
    let generation = be_u32(&header[8..12]);
    let length = be_u32(&header[12..16]) as usize;
    let end = HEADER_LEN.checked_add(length).ok_or(ImageError::Truncated)?;
    let payload = image.get(HEADER_LEN..end).ok_or(ImageError::Truncated)?;
    if crc32(&[&header[..16], payload]) != be_u32(&header[16..20]) {
        return Err(ImageError::BadChecksum);
    }
    Ok((decode_payload(payload).ok_or(ImageError::BadPayload)?, generation))
}

fn encode_payload(model: &DataModel) -> Vec<u8> {
    let mut out = Vec::new();
    let mut origins = Vec::new();
    for object in model.object_ids() {
        // Nothing from a smartcard is persisted: the card is read again at every start.
        let instances: Vec<(u16, &Instance)> =
            model.instances(object).filter(|(_, i)| i.origin != Origin::Smartcard).collect();
        if instances.is_empty() {
            continue;
        }
        let body = tlv::encode_instances(&instances, true);
        out.extend_from_slice(&object.to_be_bytes());
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
        origins.extend(instances.iter().map(|(iid, inst)| (object, *iid, inst.origin)));
    }
    out.extend_from_slice(&ORIGINS_TAG.to_be_bytes());
    out.extend_from_slice(&(origins.len() as u16).to_be_bytes());
    for (object, iid, origin) in origins {
        out.extend_from_slice(&object.to_be_bytes());
        out.extend_from_slice(&iid.to_be_bytes());
        out.push(origin_code(origin));
    }
    out
}

fn decode_payload(mut rest: &[u8]) -> Option<DataModel> {
    let mut model = DataModel::new();
    loop {
        let object = u16::from_be_bytes(rest.get(..2)?.try_into().ok()?);
        rest = &rest[2..];
        if object == ORIGINS_TAG {
            return apply_origins(&mut model, rest).then_some(model);
        }
        let len = be_u32(rest.get(..4)?) as usize;
        let body = rest.get(4..4usize.checked_add(len)?)?;
        rest = &rest[4 + len..];
        let def = object_definition(object)?;
        for (iid, resources) in tlv::decode_instances(body, &Path::object(object), def).ok()? {
            model.insert(object, iid, Instance { resources, origin: Origin::Factory });
        }
    }
}

fn apply_origins(model: &mut DataModel, rest: &[u8]) -> bool {
    let Some(count) = rest.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]) as usize) else {
        return false;
    };
    let entries = &rest[2..];
    if entries.len() != count * 5 {
        return false;
    }
    for e in entries.chunks_exact(5) {
        let (object, iid) = (u16::from_be_bytes([e[0], e[1]]), u16::from_be_bytes([e[2], e[3]]));
        let (Some(instance), Some(origin)) = (model.instance_mut(object, iid), origin_from(e[4]))
        else {
            return false;
        };
        instance.origin = origin;
    }
    true
}

fn origin_code(origin: Origin) -> u8 {
    match origin {
        Origin::Factory => 0,
        Origin::Smartcard => 1,
        Origin::BootstrapServer => 2,
    }
}

fn origin_from(code: u8) -> Option<Origin> {
    Some(match code {
        0 => Origin::Factory,
        1 => Origin::Smartcard,
        2 => Origin::BootstrapServer,
        _ => return None,
    })
}

fn be_u32(b: &[u8]) -> u32 {
    b.iter().take(4).fold(0, |acc, &x| (acc << 8) | u32::from(x))
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) over several slices.
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for &byte in parts.iter().flat_map(|p| p.iter()) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{security_res, Value};

    fn sample() -> DataModel {
        let mut m = DataModel::new();
        m.insert(
            0,
            1,
            Instance::new(Origin::BootstrapServer)
                .with(security_res::URI, Value::String("coap://127.0.0.1:5683".into()))
                .with(security_res::BOOTSTRAP_SERVER, Value::Boolean(false))
                .with(security_res::MODE, Value::Integer(0))
                .with(security_res::SECRET_KEY, Value::opaque(&[1, 2, 3]))
                .with(security_res::SSID, Value::Integer(1)),
        );
        m.insert(1, 0, Instance::new(Origin::Factory).with(0, Value::Integer(1)));
        m
    }

    #[test]
    fn smartcard_instances_are_never_persisted() {
        let mut m = sample();
        m.insert(1, 5, Instance::new(Origin::Smartcard).with(0, Value::Integer(9)));
        m.insert(2, 0, Instance::new(Origin::Smartcard).with(0, Value::Integer(1)));
        assert_eq!(decode_image(&encode_image(&m, 2)).unwrap().0, sample());
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
    }

    #[test]
    fn round_trip_keeps_values_and_origins() {
        let image = encode_image(&sample(), 7);
        let (model, generation) = decode_image(&image).unwrap();
        assert_eq!((model, generation), (sample(), 7));
        let (empty, _) = decode_image(&encode_image(&DataModel::new(), 0)).unwrap();
        assert_eq!(empty, DataModel::new());
    }

    #[test]
    fn every_corruption_is_refused() {
        let image = encode_image(&sample(), 1);
        for cut in 0..image.len() {
            assert!(decode_image(&image[..cut]).is_err(), "truncated at {cut}");
        }
        for i in 0..image.len() {
            let mut bad = image.clone();
            bad[i] ^= 0x40;
            assert!(decode_image(&bad).is_err(), "flipped byte {i}");
        }
        assert_eq!(decode_image(b"XXXX0000000000000000"), Err(ImageError::BadMagic));
        let mut future = image.clone();
        future[4] = FORMAT + 1;
        assert_eq!(decode_image(&future), Err(ImageError::UnsupportedFormat(2)));
        assert!(ImageError::UnsupportedFormat(2).is_foreign() && ImageError::BadMagic.is_foreign());
        assert!(!ImageError::BadChecksum.is_foreign() && !ImageError::Truncated.is_foreign());
    }

    #[test]
    fn bytes_after_the_image_are_ignored() {
        let mut slot = encode_image(&sample(), 3);
        slot.resize(slot.len() + 100, 0xFF);
        assert_eq!(decode_image(&slot), Ok((sample(), 3)));
        let mut huge = encode_image(&sample(), 3);
        huge[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(decode_image(&huge), Err(ImageError::Truncated));
    }
}
