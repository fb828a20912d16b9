//! Whether an account can be used, decided once: [`SecurityAccount::target`] checks a
//! Security instance against what this build supports and returns everything a connection
//! needs ([`Target`]). Factory provisioning, Bootstrap-Finish validation (LwM2M Core 1.1
//! §5.2.6), the bootstrap after the hold-off and registration all ask it.

use alloc::string::String;

use crate::model::{
    check_uri_lengths, security_res as sec, AccountError, Scheme, SecurityAccount, SecurityMode,
    ServerUri, Value, MAX_PSK, MAX_PSK_IDENTITY,
};
use crate::smartcard::digest::Fnv64;

/// What a connection to one account needs: the URI (its text for the firmware's `open`,
/// parsed for the requests), the Security Mode, the fingerprint of its session material and,
/// with DTLS, the credentials. `Debug` shows no key byte.
#[derive(Debug)]
pub struct Target {
    /// The Server URI as written in /0/x/0.
    pub uri_text: String,
    /// The same URI, parsed.
    pub uri: ServerUri,
    /// The Security Mode (/0/x/2).
    pub mode: SecurityMode,
    /// [`session_material`] of the account: a DTLS session built from it may be resumed
    /// only while the account still has the same fingerprint.
    pub material: u64,
    /// The key material of a secure mode, copied for one session (wiped on drop); `None`
    /// for NoSec.
    #[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
    pub credentials: Option<super::Credentials>,
    /// What the platform needs when it secures this account's mode itself (then there are
    /// no `credentials`: the built-in stack is not used).
    pub platform: Option<super::PlatformSecurity>,
}

impl SecurityAccount<'_> {
    /// The connection target of this account, or the first reason it cannot be used by a
    /// client that supports the modes of `modes` (this build's stack and the platform's). In order: the URI is present,
    /// parses (`coap://` or `coaps://`, host, port) and each part fits its CoAP option
    /// (RFC 7252 §5.10); the Security Mode is present and matches the scheme (`coaps` for the
    /// DTLS modes, LwM2M Transport 1.1 §5.2.8); the mode is supported; PSK identity at most
    /// 128 and key at most 64 bytes (Transport §5.2.8.1); the credentials the mode needs are
    /// present (PSK: identity and key; certificates: all three; EST: the server key).
    pub fn target(&self, modes: super::ModeSupport) -> Result<Target, AccountError> {
        let uri_text = self.uri().ok_or(AccountError::MissingResource(sec::URI))?;
        let uri = ServerUri::parse(uri_text).map_err(AccountError::Uri)?;
        check_uri_lengths(&uri)?;
        let mode = self.mode().ok_or(AccountError::MissingResource(sec::MODE))?;
        let secure = uri.scheme == Scheme::Coaps;
        if secure && mode == SecurityMode::NoSec {
            return Err(AccountError::CoapsWithoutSecurity);
        }
        if !secure && mode != SecurityMode::NoSec {
            return Err(AccountError::SecureModeWithCoap(mode));
        }
        if !modes.supports(mode) {
            return Err(AccountError::UnsupportedMode(mode));
        }
        let len = |rid| self.instance.bytes(rid).map_or(0, <[u8]>::len);
        let (identity, server_key, secret_key) =
            (len(sec::PUBLIC_KEY_OR_IDENTITY), len(sec::SERVER_PUBLIC_KEY), len(sec::SECRET_KEY));
        if mode == SecurityMode::Psk {
            for (which, len, max) in
                [("PSK identity", identity, MAX_PSK_IDENTITY), ("PSK", secret_key, MAX_PSK)]
            {
                if len > max {
                    return Err(AccountError::CredentialTooLong { which, len, max });
                }
            }
        }
        let complete = match mode {
            SecurityMode::NoSec => true,
            SecurityMode::Psk => identity > 0 && secret_key > 0,
            SecurityMode::Rpk | SecurityMode::Certificate => {
                identity > 0 && server_key > 0 && secret_key > 0
            }
            SecurityMode::CertificateEst => server_key > 0,
        };
        if !complete {
            return Err(AccountError::Credentials(mode));
        }
        let by_platform = modes.by_platform(mode);
        Ok(Target {
            uri_text: String::from(uri_text),
            uri,
            mode,
            material: session_material(Some(*self)),
            #[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
            credentials: if by_platform { None } else { credentials(self, mode)? },
            platform: by_platform.then(|| super::PlatformSecurity::from_account(self, mode)),
        })
    }
}

/// The key material of a secure mode.
#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
fn credentials(
    account: &SecurityAccount<'_>,
    mode: SecurityMode,
) -> Result<Option<super::Credentials>, AccountError> {
    use super::CredentialsError;
    match super::Credentials::from_account(account) {
        Ok(credentials) => Ok(Some(credentials)),
        Err(CredentialsError::NotSecure) => Ok(None),
        Err(CredentialsError::UnsupportedMode) => Err(AccountError::UnsupportedMode(mode)),
        Err(CredentialsError::Invalid) => Err(AccountError::Credentials(mode)),
    }
}

/// The Security resources a session is built from (LwM2M Core 1.1 §5.2.5: "LwM2M Server
/// URI, Security Mode, and Security Key"): URI (0), Security Mode (2), identity or public key
/// (3), server key (4), secret key (5), Matching Type (13), SNI (14), Certificate Usage (15),
/// DTLS/TLS Ciphersuite (16), OSCORE Security Mode (17).
pub const SESSION_RESOURCES: [u16; 10] = [
    sec::URI,
    sec::MODE,
    sec::PUBLIC_KEY_OR_IDENTITY,
    sec::SERVER_PUBLIC_KEY,
    sec::SECRET_KEY,
    13,
    14,
    15,
    16,
    17,
];

/// A 64-bit FNV-1a fingerprint of the account's [`SESSION_RESOURCES`] (id, then a tagged,
/// length-prefixed value; absent resources count too); 0 without an account. It stands in
/// for a copy of the keys, which would be one more place holding secrets: never shown,
/// stored only in the session record beside the session it binds to its account
/// ([`crate::persist::sessions`]), where storage also holds the keys themselves.
pub fn session_material(account: Option<SecurityAccount<'_>>) -> u64 {
    let Some(account) = account else { return 0 };
    let mut h = Fnv64::new();
    for id in SESSION_RESOURCES {
        h.feed(&id.to_be_bytes());
        match account.instance.value(id) {
            None => field(&mut h, 0, &[]),
            Some(Value::String(v) | Value::CoreLink(v)) => field(&mut h, 1, v.as_bytes()),
            Some(Value::Opaque(v)) => field(&mut h, 2, v),
            Some(Value::Integer(v) | Value::Time(v)) => field(&mut h, 3, &v.to_be_bytes()),
            Some(Value::Unsigned(v)) => field(&mut h, 4, &v.to_be_bytes()),
            Some(Value::Float(v)) => field(&mut h, 5, &v.to_bits().to_be_bytes()),
            Some(Value::Boolean(v)) => field(&mut h, 6, &[u8::from(*v)]),
            Some(Value::ObjLnk(o, i)) => {
                field(&mut h, 7, &[o.to_be_bytes(), i.to_be_bytes()].concat())
            }
        }
    }
    h.finish()
}

/// Hashes a tagged, length-prefixed field.
fn field(h: &mut Fnv64, tag: u8, bytes: &[u8]) {
    h.feed(&[tag]);
    h.feed(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
    h.feed(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Instance, Origin};
    use alloc::string::ToString;

    use crate::security::{ModeSet, ModeSupport};

    const ALL: ModeSupport = ModeSupport { builtin: ModeSet::ALL_SECURE, platform: ModeSet::NONE };
    const NOSEC_ONLY: ModeSupport = ModeSupport { builtin: ModeSet::NONE, platform: ModeSet::NONE };

    fn instance(uri: &str, mode: SecurityMode, id: &[u8], server: &[u8], key: &[u8]) -> Instance {
        Instance::new(Origin::Factory)
            .with(sec::URI, Value::String(uri.into()))
            .with(sec::MODE, Value::Integer(mode.as_i64()))
            .with(sec::PUBLIC_KEY_OR_IDENTITY, Value::opaque(id))
            .with(sec::SERVER_PUBLIC_KEY, Value::opaque(server))
            .with(sec::SECRET_KEY, Value::opaque(key))
    }

    fn check(
        i: &Instance,
        supports: ModeSupport,
    ) -> Result<Target, (AccountError, alloc::string::String)> {
        SecurityAccount { instance_id: 0, instance: i }
            .target(supports)
            .map_err(|e| (e, e.to_string()))
    }

    fn err(
        uri: &str,
        mode: SecurityMode,
        id: &[u8],
        key: &[u8],
        supports: ModeSupport,
    ) -> (AccountError, alloc::string::String) {
        check(&instance(uri, mode, id, &[], key), supports).unwrap_err()
    }

    const NOSEC: SecurityMode = SecurityMode::NoSec;
    const PSK: SecurityMode = SecurityMode::Psk;

    #[test]
    fn a_usable_account_gives_its_target() {
        let t = check(&instance("coap://h:5690/rd?x=1", NOSEC, b"", b"", b""), ALL).unwrap();
        assert_eq!(
            (t.uri_text.as_str(), t.uri.port, t.mode),
            ("coap://h:5690/rd?x=1", 5690, NOSEC)
        );
        assert_eq!((t.uri.path.len(), t.uri.query.len()), (1, 1));
        assert_ne!(t.material, 0);
        let psk = instance("coaps://h", PSK, &[b'i'; 128], b"", &[7; 64]);
        assert_eq!(check(&psk, ALL).unwrap().uri.port, 5684, "128-byte identity, 64-byte key fit");
    }

    #[test]
    fn the_uri_must_be_present() {
        let i = Instance::new(Origin::Factory).with(sec::MODE, Value::Integer(3));
        assert_eq!(check(&i, ALL).unwrap_err().0, AccountError::MissingResource(sec::URI));
    }

    #[test]
    fn the_uri_must_parse() {
        assert!(err("http://h", NOSEC, b"", b"", ALL).1.starts_with("unknown URI scheme"));
        assert!(err("coap://", NOSEC, b"", b"", ALL).1.starts_with("missing or malformed host"));
        assert!(err("coap://h:0", NOSEC, b"", b"", ALL).1.starts_with("bad port"));
    }

    #[test]
    fn each_uri_part_fits_its_option() {
        let host = alloc::format!("coap://{}", "h".repeat(256));
        assert_eq!(
            err(&host, NOSEC, b"", b"", ALL).1,
            "URI host of 256 bytes exceeds the 255-byte Uri-Host option"
        );
        let segment = alloc::format!("coap://h/{}", "p".repeat(256));
        assert!(err(&segment, NOSEC, b"", b"", ALL).1.starts_with("URI path segment of 256 bytes"));
        let query = alloc::format!("coap://h?{}", "q".repeat(256));
        assert!(err(&query, NOSEC, b"", b"", ALL)
            .1
            .starts_with("URI query parameter of 256 bytes"));
        let fits =
            alloc::format!("coap://{}/{}?{}", "h".repeat(255), "p".repeat(255), "q".repeat(255));
        assert!(check(&instance(&fits, NOSEC, b"", b"", b""), ALL).is_ok(), "255 bytes each fit");
    }

    #[test]
    fn the_mode_must_be_present_and_in_range() {
        let i = Instance::new(Origin::Factory).with(sec::URI, Value::String("coap://h".into()));
        assert_eq!(check(&i, ALL).unwrap_err().0, AccountError::MissingResource(sec::MODE));
        let i = i.with(sec::MODE, Value::Integer(9));
        assert_eq!(check(&i, ALL).unwrap_err().0, AccountError::MissingResource(sec::MODE));
    }

    #[test]
    fn the_scheme_matches_the_mode() {
        assert!(err("coaps://h", NOSEC, b"", b"", ALL)
            .1
            .starts_with("coaps:// URI with Security Mode NoSec"));
        assert_eq!(
            err("coap://h", PSK, b"id", b"k", ALL).1,
            "Security Mode PSK needs a coaps:// URI, not coap://"
        );
    }

    #[test]
    fn the_mode_is_supported_by_this_build() {
        assert!(err("coaps://h", PSK, b"id", b"k", NOSEC_ONLY)
            .1
            .contains("needs DTLS, which this build lacks"));
        assert_eq!(
            err("coaps://h", SecurityMode::Rpk, b"id", b"k", ModeSupport::default()).1,
            "Security Mode RPK is not supported"
        );
    }

    #[test]
    fn psk_identity_and_key_are_bounded() {
        let (e, text) = err("coaps://h", PSK, &[b'i'; 129], b"k", ALL);
        assert!(e.is_length());
        assert_eq!(text, "PSK identity of 129 bytes is longer than 128 bytes");
        assert_eq!(
            err("coaps://h", PSK, b"i", &[7; 65], ALL).1,
            "PSK of 65 bytes is longer than 64 bytes"
        );
    }

    #[test]
    fn the_credentials_of_the_mode_are_present() {
        assert!(err("coaps://h", PSK, b"id", b"", ALL).1.starts_with("PSK credentials missing"));
        assert!(err("coaps://h", PSK, b"", b"key", ALL).1.starts_with("PSK credentials missing"));
        let cert = SecurityMode::Certificate;
        assert_eq!(err("coaps://h", cert, b"own", b"key", ALL).0, AccountError::Credentials(cert));
    }

    #[test]
    fn the_material_fingerprint_follows_the_session_resources() {
        let a = instance("coap://h", NOSEC, b"", b"", b"");
        let b = a.clone().with(sec::SECRET_KEY, Value::opaque(b"x"));
        let c = a.clone().with(sec::HOLD_OFF, Value::Integer(5));
        let material =
            |i: &Instance| session_material(Some(SecurityAccount { instance_id: 0, instance: i }));
        assert_ne!(material(&a), material(&b));
        assert_eq!(material(&a), material(&c), "the hold-off is not session material");
        assert_eq!(session_material(None), 0);
    }
}
