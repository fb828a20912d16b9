//! Content-Format identifiers (RFC 7252 §12.3, LwM2M TS Core §7 and its registry).

/// text/plain; charset=utf-8.
pub const TEXT_PLAIN: u16 = 0;
/// application/link-format (RFC 6690).
pub const LINK_FORMAT: u16 = 40;
/// application/xml.
pub const XML: u16 = 41;
/// application/octet-stream.
pub const OCTET_STREAM: u16 = 42;
/// application/exi.
pub const EXI: u16 = 47;
/// application/json.
pub const JSON: u16 = 50;
/// application/cbor.
pub const CBOR: u16 = 60;
/// application/senml+json.
pub const SENML_JSON: u16 = 110;
/// application/senml+cbor.
pub const SENML_CBOR: u16 = 112;
/// Pre-registration OMA-TLV number used by some LwM2M 1.0 implementations.
pub const OLD_TLV: u16 = 1542;
/// Pre-registration LwM2M JSON number used by some LwM2M 1.0 implementations.
pub const OLD_JSON: u16 = 1543;
/// application/vnd.oma.lwm2m+tlv.
pub const TLV: u16 = 11542;
/// application/vnd.oma.lwm2m+json.
pub const LWM2M_JSON: u16 = 11543;
/// application/vnd.oma.lwm2m+cbor.
pub const LWM2M_CBOR: u16 = 11544;
