//! The parts of a server URI (/0/x/0) the engine needs: scheme, host, port, path and query.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// URI schemes LwM2M servers use over UDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `coap://` (NoSec).
    Coap,
    /// `coaps://` (DTLS).
    Coaps,
}

/// A parsed `coap://` or `coaps://` URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerUri {
    /// The scheme.
    pub scheme: Scheme,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port (5683 / 5684 by default).
    pub port: u16,
    /// Non-empty path segments, in order.
    pub path: Vec<String>,
    /// Query parameters as raw `name=value` strings, in order.
    pub query: Vec<String>,
}

/// Why a string is not a usable server URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriError {
    /// Not `coap://` or `coaps://` (TCP, SMS and others are not supported).
    UnsupportedScheme,
    /// Empty or malformed host.
    BadHost,
    /// Port not a number in 1..=65535.
    BadPort,
}

impl ServerUri {
    /// Parses `scheme://host[:port][/path][?query]`.
    pub fn parse(uri: &str) -> Result<ServerUri, UriError> {
        let (scheme, rest) = split_scheme(uri)?;
        // `split_at_checked`: `find` gives a char boundary, and no panic path (its message
        // would pull `char`'s Debug and the Unicode tables into firmware).
        let at = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at_checked(at).unwrap_or((rest, ""));
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let (host, port) = split_authority(authority, scheme)?;
        Ok(ServerUri {
            scheme,
            host,
            port,
            path: path.split('/').filter(|s| !s.is_empty()).map(ToString::to_string).collect(),
            query: query
                .map(|q| q.split('&').filter(|s| !s.is_empty()).map(ToString::to_string).collect())
                .unwrap_or_default(),
        })
    }
}

fn split_scheme(uri: &str) -> Result<(Scheme, &str), UriError> {
    let (scheme, rest) = uri.split_once("://").ok_or(UriError::UnsupportedScheme)?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "coap" => Scheme::Coap,
        "coaps" => Scheme::Coaps,
        _ => return Err(UriError::UnsupportedScheme),
    };
    Ok((scheme, rest))
}

fn split_authority(authority: &str, scheme: Scheme) -> Result<(String, u16), UriError> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(UriError::BadHost)?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains(['@', ' ']) {
        return Err(UriError::BadHost);
    }
    let default_port = if scheme == Scheme::Coaps { 5684 } else { 5683 };
    let port = match port {
        None => default_port,
        Some(p) => p.parse::<u16>().ok().filter(|&p| p != 0).ok_or(UriError::BadPort)?,
    };
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parts() {
        let u = ServerUri::parse("coaps://bs.example.com:15684/lwm2m/x?tenant=a&b=1").unwrap();
        assert_eq!(u.scheme, Scheme::Coaps);
        assert_eq!((u.host.as_str(), u.port), ("bs.example.com", 15684));
        assert_eq!(u.path, ["lwm2m", "x"]);
        assert_eq!(u.query, ["tenant=a", "b=1"]);
        let v6 = ServerUri::parse("coap://[::1]").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 5683));
        assert_eq!(ServerUri::parse("coap://127.0.0.1?x=1").unwrap().query, ["x=1"]);
    }

    #[test]
    fn refuses_bad_uris() {
        assert_eq!(ServerUri::parse("http://a"), Err(UriError::UnsupportedScheme));
        assert_eq!(ServerUri::parse("coap+tcp://a"), Err(UriError::UnsupportedScheme));
        assert_eq!(ServerUri::parse("coap://"), Err(UriError::BadHost));
        assert_eq!(ServerUri::parse("coap://a:0"), Err(UriError::BadPort));
        assert_eq!(ServerUri::parse("coap://a:99999"), Err(UriError::BadPort));
        assert_eq!(ServerUri::parse("coap://[::1"), Err(UriError::BadHost));
    }
}
