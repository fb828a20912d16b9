//! Option numbers (RFC 7252 §12.2, RFC 7641, RFC 7959 §6).

/// If-Match (1), critical, repeatable.
pub const IF_MATCH: u16 = 1;
/// Uri-Host (3), critical.
pub const URI_HOST: u16 = 3;
/// ETag (4), repeatable in requests.
pub const ETAG: u16 = 4;
/// If-None-Match (5), critical, empty.
pub const IF_NONE_MATCH: u16 = 5;
/// Observe (6, RFC 7641).
pub const OBSERVE: u16 = 6;
/// Uri-Port (7), critical.
pub const URI_PORT: u16 = 7;
/// Location-Path (8), repeatable.
pub const LOCATION_PATH: u16 = 8;
/// Uri-Path (11), critical, repeatable.
pub const URI_PATH: u16 = 11;
/// Content-Format (12).
pub const CONTENT_FORMAT: u16 = 12;
/// Max-Age (14).
pub const MAX_AGE: u16 = 14;
/// Uri-Query (15), critical, repeatable.
pub const URI_QUERY: u16 = 15;
/// Accept (17), critical.
pub const ACCEPT: u16 = 17;
/// Location-Query (20), repeatable.
pub const LOCATION_QUERY: u16 = 20;
/// Block2 (23, RFC 7959), critical.
pub const BLOCK2: u16 = 23;
/// Block1 (27, RFC 7959), critical.
pub const BLOCK1: u16 = 27;
/// Size2 (28, RFC 7959).
pub const SIZE2: u16 = 28;
/// Proxy-Uri (35), critical.
pub const PROXY_URI: u16 = 35;
/// Proxy-Scheme (39), critical.
pub const PROXY_SCHEME: u16 = 39;
/// Size1 (60).
pub const SIZE1: u16 = 60;

/// Critical options have an odd number (RFC 7252 §5.4.6).
pub const fn is_critical(number: u16) -> bool {
    number & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criticality() {
        assert!(is_critical(URI_PATH) && is_critical(BLOCK1) && is_critical(BLOCK2));
        assert!(!is_critical(CONTENT_FORMAT) && !is_critical(SIZE1) && !is_critical(ETAG));
    }
}
