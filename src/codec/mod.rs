//! Payload codecs of the Bootstrap Interface, all `no_std` + `alloc` and panic-free on any
//! input:
//! - [`tlv`]: OMA-TLV (content formats 11542 and 1542), Write payloads and Read responses;
//! - [`text`]: plain text (0) and opaque (42) for resource-level writes;
//! - `senml_json`, `senml_cbor`, `lwm2m_cbor` (features `senml-json`, `senml-cbor`,
//!   `lwm2m-cbor`): SenML JSON (110), SenML CBOR (112) and LwM2M CBOR (11544), decoded
//!   through the records of `senml` and encoded for reads;
//! - [`link`]: CoRE link-format (RFC 6690, content format 40) for Register and
//!   Bootstrap-Discover.
//!
//! Every decoder borrows its input and returns a [`CodecError`] on malformed data; none
//! reads out of bounds.

use core::fmt;

#[cfg(any(feature = "senml-cbor", feature = "lwm2m-cbor"))]
mod cbor;
#[cfg(feature = "float")]
mod decimal;
pub mod link;
#[cfg(feature = "lwm2m-cbor")]
pub mod lwm2m_cbor;
#[cfg(any(feature = "senml-json", feature = "senml-cbor", feature = "lwm2m-cbor"))]
pub mod senml;
#[cfg(feature = "senml-cbor")]
pub mod senml_cbor;
#[cfg(feature = "senml-json")]
pub mod senml_json;
pub mod text;
pub mod tlv;

pub use link::{encode_links, parse_links, Link, LinkAttribute};
pub use text::{decode_opaque, decode_text, encode_text};
pub use tlv::{decode_instances, encode_instances, encode_resource, Tlv, TlvKind};

use crate::coap::content_format as cf;
use crate::model::{Instance, Path, ResourceValue};
use alloc::vec::Vec;

/// The Content-Format of a Read response for the request's Accept option: TLV without one;
/// `None` (4.06 Not Acceptable) for a format this build cannot write.
pub fn read_format(accept: Option<u16>) -> Option<u16> {
    match accept {
        None | Some(cf::TLV) => Some(cf::TLV),
        Some(cf::OLD_TLV) => Some(cf::OLD_TLV),
        #[cfg(feature = "senml-json")]
        Some(cf::SENML_JSON) => Some(cf::SENML_JSON),
        #[cfg(feature = "senml-cbor")]
        Some(cf::SENML_CBOR) => Some(cf::SENML_CBOR),
        #[cfg(feature = "lwm2m-cbor")]
        Some(cf::LWM2M_CBOR) => Some(cf::LWM2M_CBOR),
        _ => None,
    }
}

/// Instances of `object` in `format` (from [`read_format`]); `wrap`: TLV Object Instance
/// wrappers (an object-level read).
pub fn encode_read(
    format: u16,
    object: u16,
    instances: &[(u16, &Instance)],
    wrap: bool,
) -> Vec<u8> {
    let _ = object;
    match format {
        #[cfg(feature = "senml-json")]
        cf::SENML_JSON => senml_json::encode(object, instances),
        #[cfg(feature = "senml-cbor")]
        cf::SENML_CBOR => senml_cbor::encode(object, instances),
        #[cfg(feature = "lwm2m-cbor")]
        cf::LWM2M_CBOR => lwm2m_cbor::encode(object, instances),
        _ => encode_instances(instances, wrap),
    }
}

/// One resource `/O/I/R` in `format` (from [`read_format`], or text/plain for a single
/// value: [`resource_read_format`]).
pub fn encode_read_resource(format: u16, path: &Path, value: &ResourceValue) -> Vec<u8> {
    match (format, value) {
        (cf::TEXT_PLAIN, ResourceValue::Single(v)) => encode_text(v).into_bytes(),
        #[cfg(feature = "senml-json")]
        (cf::SENML_JSON, _) => senml_json::encode_resource(path, value),
        #[cfg(feature = "senml-cbor")]
        (cf::SENML_CBOR, _) => senml_cbor::encode_resource(path, value),
        #[cfg(feature = "lwm2m-cbor")]
        (cf::LWM2M_CBOR, _) => lwm2m_cbor::encode_resource(path, value),
        _ => encode_resource(path.resource_id().unwrap_or(0), value),
    }
}

/// The format of a resource-level Read: [`read_format`], plus text/plain for a single value.
pub fn resource_read_format(accept: Option<u16>, value: &ResourceValue) -> Option<u16> {
    match (accept, value) {
        (Some(cf::TEXT_PLAIN), ResourceValue::Single(_)) => Some(cf::TEXT_PLAIN),
        _ => read_format(accept),
    }
}

/// The records of a payload in a SenML or LwM2M CBOR `format`; `None` for another format.
#[cfg(any(feature = "senml-json", feature = "senml-cbor", feature = "lwm2m-cbor"))]
pub fn parse_records(
    format: u16,
    payload: &[u8],
) -> Option<Result<Vec<senml::Record>, CodecError>> {
    match format {
        #[cfg(feature = "senml-json")]
        cf::SENML_JSON => Some(senml_json::parse(payload)),
        #[cfg(feature = "senml-cbor")]
        cf::SENML_CBOR => Some(senml_cbor::parse(payload)),
        #[cfg(feature = "lwm2m-cbor")]
        cf::LWM2M_CBOR => Some(lwm2m_cbor::parse(payload)),
        _ => None,
    }
}

/// A Bootstrap-Pack's records as one TLV write per object (`PUT /O`), in the order the
/// objects first appear: base names resolved, each object's records checked as a write of
/// `/O` ([`senml::decode_records`]). Records of an object other than /0, /1, /2 are
/// [`CodecError::BadPath`].
#[cfg(any(feature = "senml-json", feature = "senml-cbor", feature = "lwm2m-cbor"))]
pub fn pack_writes(records: &[senml::Record]) -> Result<Vec<(u16, Vec<u8>)>, CodecError> {
    use alloc::string::String;
    let mut base = String::new();
    let mut by_object: Vec<(u16, Vec<senml::Record>)> = Vec::new();
    for record in records {
        if let Some(base_name) = &record.base_name {
            base.clone_from(base_name);
        }
        if record.name.is_none() && record.value.is_none() {
            continue;
        }
        let mut name = base.clone();
        name.push_str(record.name.as_deref().unwrap_or(""));
        let object = name
            .strip_prefix('/')
            .and_then(|p| p.split('/').next())
            .and_then(|id| id.parse::<u16>().ok())
            .ok_or(CodecError::BadPath)?;
        let record =
            senml::Record { base_name: None, name: Some(name), value: record.value.clone() };
        match by_object.iter_mut().find(|(o, _)| *o == object) {
            Some((_, group)) => group.push(record),
            None => by_object.push((object, alloc::vec![record])),
        }
    }
    let mut writes = Vec::new();
    for (object, group) in by_object {
        let def = crate::model::object_definition(object).ok_or(CodecError::BadPath)?;
        let instances = senml::decode_records(&group, &Path::object(object), def)?;
        let instances: Vec<(u16, Instance)> = instances
            .into_iter()
            .map(|(iid, resources)| {
                (iid, Instance { resources, origin: crate::model::Origin::BootstrapServer })
            })
            .collect();
        let refs: Vec<(u16, &Instance)> = instances.iter().map(|(iid, i)| (*iid, i)).collect();
        writes.push((object, encode_instances(&refs, true)));
    }
    Ok(writes)
}

/// Why a payload could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The input ends inside a header or a value.
    Truncated,
    /// Bytes are left after a value that must fill its input.
    TrailingBytes,
    /// A value's length is not valid for its data type (e.g. a 3-byte integer).
    BadLength,
    /// The data type cannot be carried in this format (e.g. an executable resource).
    BadType,
    /// Text is not valid UTF-8.
    BadUtf8,
    /// A textual number is malformed or out of range.
    BadNumber,
    /// A value is out of its domain (e.g. a boolean byte other than 0 or 1, bad base64).
    BadValue,
    /// A TLV of an unexpected kind (e.g. a Multiple Resource for a single resource).
    UnexpectedTlv,
    /// A TLV identifier does not match the request path.
    IdMismatch,
    /// The same instance, resource or resource-instance ID appears twice.
    Duplicate,
    /// The path depth is not valid for this operation.
    BadPath,
    /// Malformed CoRE link-format.
    BadLink,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodecError::Truncated => "input truncated",
            CodecError::TrailingBytes => "trailing bytes after value",
            CodecError::BadLength => "invalid value length for data type",
            CodecError::BadType => "data type not supported by this format",
            CodecError::BadUtf8 => "invalid UTF-8",
            CodecError::BadNumber => "malformed or out-of-range number",
            CodecError::BadValue => "value out of domain",
            CodecError::UnexpectedTlv => "unexpected TLV kind",
            CodecError::IdMismatch => "TLV identifier does not match the path",
            CodecError::Duplicate => "duplicate identifier",
            CodecError::BadPath => "invalid path depth",
            CodecError::BadLink => "malformed link-format",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn errors_display() {
        assert_eq!(CodecError::Truncated.to_string(), "input truncated");
        assert_eq!(CodecError::BadLink.to_string(), "malformed link-format");
    }
}
