//! Why an account (a Security instance, with its Server partner) cannot be used: one small
//! enum with a `Display`, shared by provisioning, the C ABI's detail text and the logs.

use core::fmt;

use super::{Scheme, SecurityMode, ServerUri, UriError};

/// The longest value of one CoAP option the URI parts and queries travel in (RFC 7252 §5.10:
/// Uri-Host 1..255, Uri-Path 0..255, Uri-Query 0..255 bytes).
pub const MAX_OPTION_VALUE: usize = 255;

/// Which part of a server URI is too long for its CoAP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriPart {
    /// The host (Uri-Host).
    Host,
    /// One path segment (Uri-Path).
    PathSegment,
    /// One query parameter (Uri-Query, sent with the Bootstrap-Request).
    Query,
}

/// Why an account is unusable. `Display` gives a short English reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountError {
    /// The URI does not parse (scheme, host, port).
    Uri(UriError),
    /// A part of the URI is longer than its CoAP option allows (255 bytes).
    UriPartTooLong {
        /// Which part.
        part: UriPart,
        /// Its length in bytes.
        len: usize,
    },
    /// `coaps://` with Security Mode NoSec: a secure URI needs a secure mode and credentials.
    CoapsWithoutSecurity,
    /// `coap://` with a secure mode: the mode needs DTLS, that is a `coaps://` URI.
    SecureModeWithCoap(SecurityMode),
    /// The Security Mode is not implemented by this build (DTLS feature off, RPK, EST).
    UnsupportedMode(SecurityMode),
    /// The credentials the mode needs are missing or out of bounds (PSK identity 1..=128
    /// bytes, key 1..=64 bytes; certificates: all three fields).
    Credentials(SecurityMode),
    /// A PSK credential is longer than the library's bound: identity 128 bytes, key 64 bytes.
    CredentialTooLong {
        /// "PSK identity" or "PSK".
        which: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// Short Server ID outside 1..=65534.
    ShortServerId(u16),
    /// The binding (/1/x/7) is longer than its `b=` Uri-Query option allows: length in bytes.
    BindingTooLong(usize),
}

impl AccountError {
    /// True for a value longer than the wire (or the library's bound) carries: the C ABI
    /// reports these as `LWBS_ERR_INVALID_ARGUMENT`, the others as `LWBS_ERR_INVALID_ACCOUNT`.
    pub fn is_length(&self) -> bool {
        matches!(
            self,
            Self::UriPartTooLong { .. } | Self::CredentialTooLong { .. } | Self::BindingTooLong(_)
        )
    }
}

/// The longest PSK identity accepted.
pub const MAX_PSK_IDENTITY: usize = 128;
/// The longest PSK accepted.
pub const MAX_PSK: usize = 64;

/// The name of a Security Mode for messages.
fn mode_name(mode: SecurityMode) -> &'static str {
    match mode {
        SecurityMode::Psk => "PSK",
        SecurityMode::Rpk => "RPK",
        SecurityMode::Certificate => "certificate",
        SecurityMode::NoSec => "NoSec",
        SecurityMode::CertificateEst => "certificate with EST",
    }
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UriError::UnsupportedScheme => "unknown URI scheme (coap:// or coaps:// expected)",
            UriError::BadHost => "missing or malformed host in the URI",
            UriError::BadPort => "bad port in the URI (1..65535)",
        })
    }
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Uri(e) => write!(f, "{e}"),
            Self::UriPartTooLong { part, len } => {
                let (what, option) = match part {
                    UriPart::Host => ("host", "Uri-Host"),
                    UriPart::PathSegment => ("path segment", "Uri-Path"),
                    UriPart::Query => ("query parameter", "Uri-Query"),
                };
                write!(f, "URI {what} of {len} bytes exceeds the {MAX_OPTION_VALUE}-byte {option} option")
            }
            Self::CoapsWithoutSecurity => {
                f.write_str("coaps:// URI with Security Mode NoSec: coaps needs PSK or certificate credentials")
            }
            Self::SecureModeWithCoap(m) => {
                write!(f, "Security Mode {} needs a coaps:// URI, not coap://", mode_name(m))
            }
            Self::UnsupportedMode(m) if matches!(m, SecurityMode::Psk | SecurityMode::Certificate) => {
                write!(f, "Security Mode {} needs DTLS, which this build lacks (feature `dtls`)", mode_name(m))
            }
            Self::UnsupportedMode(m) => {
                write!(f, "Security Mode {} is not supported", mode_name(m))
            }
            Self::Credentials(SecurityMode::Psk) => f.write_str(
                "PSK credentials missing or out of bounds (identity 1..128 bytes, key 1..64 bytes)",
            ),
            Self::Credentials(m) => write!(
                f,
                "{} credentials missing (own certificate or key, server certificate or key, private key)",
                mode_name(m)
            ),
            Self::CredentialTooLong { which, len, max } => {
                write!(f, "{which} of {len} bytes is longer than {max} bytes")
            }
            Self::ShortServerId(ssid) => write!(f, "Short Server ID {ssid} outside 1..65534"),
            Self::BindingTooLong(len) => write!(
                f,
                "binding of {len} bytes exceeds the {MAX_OPTION_VALUE}-byte Uri-Query option (b=)"
            ),
        }
    }
}

/// Checks that `uri`'s parts fit their CoAP options.
pub fn check_uri_lengths(uri: &ServerUri) -> Result<(), AccountError> {
    let too_long = |part, len: usize| {
        (len > MAX_OPTION_VALUE).then_some(AccountError::UriPartTooLong { part, len })
    };
    if let Some(e) = too_long(UriPart::Host, uri.host.len()) {
        return Err(e);
    }
    for segment in &uri.path {
        if let Some(e) = too_long(UriPart::PathSegment, segment.len()) {
            return Err(e);
        }
    }
    for query in &uri.query {
        if let Some(e) = too_long(UriPart::Query, query.len()) {
            return Err(e);
        }
    }
    Ok(())
}

/// Whether an account with `uri`, `mode` and these credentials can be used by a build that
/// supports the modes `supports_mode` accepts; the first reason it cannot.
pub fn check_account(
    uri: &str,
    mode: SecurityMode,
    identity: &[u8],
    server_key: &[u8],
    secret_key: &[u8],
    supports_mode: fn(SecurityMode) -> bool,
) -> Result<ServerUri, AccountError> {
    let parsed = ServerUri::parse(uri).map_err(AccountError::Uri)?;
    check_uri_lengths(&parsed)?;
    let secure = parsed.scheme == Scheme::Coaps;
    if secure && mode == SecurityMode::NoSec {
        return Err(AccountError::CoapsWithoutSecurity);
    }
    if !secure && mode != SecurityMode::NoSec {
        return Err(AccountError::SecureModeWithCoap(mode));
    }
    if !supports_mode(mode) {
        return Err(AccountError::UnsupportedMode(mode));
    }
    if mode == SecurityMode::Psk {
        for (which, len, max) in
            [("PSK identity", identity.len(), MAX_PSK_IDENTITY), ("PSK", secret_key.len(), MAX_PSK)]
        {
            if len > max {
                return Err(AccountError::CredentialTooLong { which, len, max });
            }
        }
    }
    if !crate::security::credentials_complete(mode, identity, server_key, secret_key) {
        return Err(AccountError::Credentials(mode));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn all(_: SecurityMode) -> bool {
        true
    }

    fn nosec_only(mode: SecurityMode) -> bool {
        mode == SecurityMode::NoSec
    }

    #[test]
    fn each_reason_is_named() {
        let check = |uri: &str, mode, id: &[u8], key: &[u8], supports| {
            check_account(uri, mode, id, &[], key, supports).map(|_| ()).map_err(|e| e.to_string())
        };
        let nosec = SecurityMode::NoSec;
        let psk = SecurityMode::Psk;
        assert_eq!(check("coap://h", nosec, b"", b"", all), Ok(()));
        assert_eq!(check("coaps://h", psk, b"id", b"key", all), Ok(()));
        let err = |uri: &str, mode, supports| check(uri, mode, b"", b"", supports).unwrap_err();
        assert!(err("http://h", nosec, all).starts_with("unknown URI scheme"));
        assert!(err("coap://", nosec, all).starts_with("missing or malformed host"));
        assert!(err("coap://h:0", nosec, all).starts_with("bad port"));
        assert!(err("coaps://h", nosec, all).starts_with("coaps:// URI with Security Mode NoSec"));
        assert_eq!(
            err("coap://h", psk, all),
            "Security Mode PSK needs a coaps:// URI, not coap://"
        );
        assert!(err("coaps://h", psk, nosec_only).contains("needs DTLS, which this build lacks"));
        assert_eq!(
            err("coaps://h", SecurityMode::Rpk, crate::security::supports_mode),
            "Security Mode RPK is not supported"
        );
        assert!(err("coaps://h", psk, all).starts_with("PSK credentials missing"));
        let long_id = check("coaps://h", psk, &[b'i'; 129], b"k", all).unwrap_err();
        assert_eq!(long_id, "PSK identity of 129 bytes is longer than 128 bytes");
        assert_eq!(check("coaps://h", psk, &[b'i'; 128], &[7; 64], all), Ok(()));
        let long_key = check("coaps://h", psk, b"i", &[7; 65], all).unwrap_err();
        assert_eq!(long_key, "PSK of 65 bytes is longer than 64 bytes");
        let host = alloc::format!("coap://{}", "h".repeat(256));
        assert_eq!(
            err(&host, nosec, all),
            "URI host of 256 bytes exceeds the 255-byte Uri-Host option"
        );
        let segment = alloc::format!("coap://h/{}", "p".repeat(256));
        assert!(err(&segment, nosec, all).starts_with("URI path segment of 256 bytes"));
        let query = alloc::format!("coap://h?{}", "q".repeat(256));
        assert!(err(&query, nosec, all).starts_with("URI query parameter of 256 bytes"));
        let fits =
            alloc::format!("coap://{}/{}?{}", "h".repeat(255), "p".repeat(255), "q".repeat(255));
        assert_eq!(check(&fits, nosec, b"", b"", all), Ok(()), "255 bytes each fit");
    }
}
