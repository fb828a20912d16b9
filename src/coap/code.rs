//! Message types (RFC 7252 §3) and method / response codes (RFC 7252 §5.8, §5.9, §12.1;
//! RFC 7959 §2.9; RFC 8132 §2).

use core::fmt;

/// The message type (the 2-bit T field of the header, RFC 7252 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageType {
    /// CON (0): requires an acknowledgement, retransmitted until acknowledged.
    Confirmable,
    /// NON (1): no acknowledgement, no retransmission.
    NonConfirmable,
    /// ACK (2): acknowledges a CON, optionally carrying a piggy-backed response.
    Acknowledgement,
    /// RST (3): the receiver could not process a message.
    Reset,
}

impl MessageType {
    /// The 2-bit wire value.
    pub const fn bits(self) -> u8 {
        match self {
            MessageType::Confirmable => 0,
            MessageType::NonConfirmable => 1,
            MessageType::Acknowledgement => 2,
            MessageType::Reset => 3,
        }
    }

    /// The type for a 2-bit wire value (only the two low bits of `bits` are used).
    pub const fn from_bits(bits: u8) -> MessageType {
        match bits & 0b11 {
            0 => MessageType::Confirmable,
            1 => MessageType::NonConfirmable,
            2 => MessageType::Acknowledgement,
            _ => MessageType::Reset,
        }
    }
}

/// A CoAP code: `(class << 5) | detail`, written `c.dd` (e.g. `4.04`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Code(pub u8);

impl Code {
    /// 0.00: the Empty message (pings, empty ACKs, RSTs).
    pub const EMPTY: Code = Code::new(0, 0);
    /// 0.01 GET.
    pub const GET: Code = Code::new(0, 1);
    /// 0.02 POST.
    pub const POST: Code = Code::new(0, 2);
    /// 0.03 PUT.
    pub const PUT: Code = Code::new(0, 3);
    /// 0.04 DELETE.
    pub const DELETE: Code = Code::new(0, 4);
    /// 0.05 FETCH (RFC 8132).
    pub const FETCH: Code = Code::new(0, 5);
    /// 0.06 PATCH (RFC 8132).
    pub const PATCH: Code = Code::new(0, 6);
    /// 0.07 iPATCH (RFC 8132).
    pub const IPATCH: Code = Code::new(0, 7);
    /// 2.01 Created.
    pub const CREATED: Code = Code::new(2, 1);
    /// 2.02 Deleted.
    pub const DELETED: Code = Code::new(2, 2);
    /// 2.03 Valid.
    pub const VALID: Code = Code::new(2, 3);
    /// 2.04 Changed.
    pub const CHANGED: Code = Code::new(2, 4);
    /// 2.05 Content.
    pub const CONTENT: Code = Code::new(2, 5);
    /// 2.31 Continue (RFC 7959).
    pub const CONTINUE: Code = Code::new(2, 31);
    /// 4.00 Bad Request.
    pub const BAD_REQUEST: Code = Code::new(4, 0);
    /// 4.01 Unauthorized.
    pub const UNAUTHORIZED: Code = Code::new(4, 1);
    /// 4.02 Bad Option.
    pub const BAD_OPTION: Code = Code::new(4, 2);
    /// 4.03 Forbidden.
    pub const FORBIDDEN: Code = Code::new(4, 3);
    /// 4.04 Not Found.
    pub const NOT_FOUND: Code = Code::new(4, 4);
    /// 4.05 Method Not Allowed.
    pub const METHOD_NOT_ALLOWED: Code = Code::new(4, 5);
    /// 4.06 Not Acceptable.
    pub const NOT_ACCEPTABLE: Code = Code::new(4, 6);
    /// 4.08 Request Entity Incomplete (RFC 7959).
    pub const REQUEST_ENTITY_INCOMPLETE: Code = Code::new(4, 8);
    /// 4.12 Precondition Failed.
    pub const PRECONDITION_FAILED: Code = Code::new(4, 12);
    /// 4.13 Request Entity Too Large.
    pub const REQUEST_ENTITY_TOO_LARGE: Code = Code::new(4, 13);
    /// 4.15 Unsupported Content-Format.
    pub const UNSUPPORTED_CONTENT_FORMAT: Code = Code::new(4, 15);
    /// 5.00 Internal Server Error.
    pub const INTERNAL_SERVER_ERROR: Code = Code::new(5, 0);
    /// 5.01 Not Implemented.
    pub const NOT_IMPLEMENTED: Code = Code::new(5, 1);
    /// 5.02 Bad Gateway.
    pub const BAD_GATEWAY: Code = Code::new(5, 2);
    /// 5.03 Service Unavailable.
    pub const SERVICE_UNAVAILABLE: Code = Code::new(5, 3);
    /// 5.04 Gateway Timeout.
    pub const GATEWAY_TIMEOUT: Code = Code::new(5, 4);
    /// 5.05 Proxying Not Supported.
    pub const PROXYING_NOT_SUPPORTED: Code = Code::new(5, 5);

    /// The code `class.detail`; `class` is masked to 3 bits and `detail` to 5 bits.
    pub const fn new(class: u8, detail: u8) -> Code {
        Code(((class & 0x07) << 5) | (detail & 0x1f))
    }

    /// The class (0 request, 2 success, 4 client error, 5 server error).
    pub fn class(self) -> u8 {
        self.0 >> 5
    }

    /// The detail (the two digits after the dot).
    pub fn detail(self) -> u8 {
        self.0 & 0x1f
    }

    /// 0.00, the code of Empty messages.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// A method code: class 0 with a non-zero detail.
    pub fn is_request(self) -> bool {
        self.class() == 0 && self.detail() != 0
    }

    /// A response code: class 2, 4 or 5.
    pub fn is_response(self) -> bool {
        matches!(self.class(), 2 | 4 | 5)
    }

    /// A success response code (class 2).
    pub fn is_success(self) -> bool {
        self.class() == 2
    }

    /// A class RFC 7252 §12.1 reserves and this crate rejects on decode (1, 6, 7).
    pub fn is_reserved(self) -> bool {
        matches!(self.class(), 1 | 6 | 7)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.class(), self.detail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn class_and_detail() {
        assert_eq!(Code::NOT_ACCEPTABLE.0, 0x86);
        assert_eq!(Code::CONTINUE.0, 0x5f);
        assert_eq!(Code::CONTENT.class(), 2);
        assert_eq!(Code::CONTENT.detail(), 5);
        assert_eq!(Code::new(9, 40), Code::new(1, 8));
    }

    #[test]
    fn display() {
        assert_eq!(format!("{}", Code::NOT_ACCEPTABLE), "4.06");
        assert_eq!(format!("{}", Code::CONTINUE), "2.31");
        assert_eq!(format!("{}", Code::EMPTY), "0.00");
    }

    #[test]
    fn predicates() {
        assert!(Code::GET.is_request() && !Code::GET.is_response());
        assert!(!Code::EMPTY.is_request() && Code::EMPTY.is_empty());
        assert!(Code::CHANGED.is_success() && Code::CHANGED.is_response());
        assert!(Code::NOT_FOUND.is_response() && !Code::NOT_FOUND.is_success());
        assert!(Code::new(1, 0).is_reserved() && Code::new(7, 1).is_reserved());
        assert!(!Code::new(3, 0).is_response() && !Code::new(3, 0).is_reserved());
    }

    #[test]
    fn type_bits_round_trip() {
        for b in 0..4 {
            assert_eq!(MessageType::from_bits(b).bits(), b);
        }
    }
}
