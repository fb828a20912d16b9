//! Errors from decoding CoAP messages and option values.

use super::code::Code;
use core::fmt;

/// Why a datagram or an option value could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the header, the token or an option announces.
    Truncated,
    /// The version field is not 1 (RFC 7252 §3: such messages are silently ignored).
    UnsupportedVersion(u8),
    /// TKL 9..15 (RFC 7252 §3: message format error).
    InvalidTokenLength(u8),
    /// A code of reserved class 1, 6 or 7.
    ReservedCode(Code),
    /// An Empty message (0.00) with a token, options or payload after the header.
    NonEmptyEmptyMessage,
    /// Option delta or length nibble 15 outside the payload marker.
    InvalidOptionNibble,
    /// The option numbers add up past 65535.
    OptionNumberOverflow,
    /// A payload marker (0xFF) followed by no payload.
    EmptyPayload,
    /// A Uri-Path, Uri-Query or Location-* segment that is not UTF-8.
    InvalidUtf8,
    /// A Block1/Block2 value longer than 3 bytes or with SZX 7 (BERT is not supported).
    InvalidBlockOption,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("message truncated"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported CoAP version {v}"),
            DecodeError::InvalidTokenLength(l) => write!(f, "invalid token length {l}"),
            DecodeError::ReservedCode(c) => write!(f, "reserved code {c}"),
            DecodeError::NonEmptyEmptyMessage => f.write_str("empty message with content"),
            DecodeError::InvalidOptionNibble => f.write_str("reserved option nibble 15"),
            DecodeError::OptionNumberOverflow => f.write_str("option number above 65535"),
            DecodeError::EmptyPayload => f.write_str("payload marker without payload"),
            DecodeError::InvalidUtf8 => f.write_str("option value is not UTF-8"),
            DecodeError::InvalidBlockOption => f.write_str("invalid block option"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn display_mentions_details() {
        assert_eq!(DecodeError::UnsupportedVersion(2).to_string(), "unsupported CoAP version 2");
        assert_eq!(DecodeError::ReservedCode(Code::new(7, 1)).to_string(), "reserved code 7.01");
    }
}
