//! The key material of one account, copied out of its Security instance for one session and
//! wiped when the session is built (Mbed TLS keeps its own copies, which it wipes on free).

use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

use crate::model::{SecurityAccount, SecurityMode};

/// Security resource /0/x/15, Certificate Usage (RFC 6698 semantics).
pub const CERTIFICATE_USAGE: u16 = 15;

/// How the server's certificate is checked (/0/x/15; LwM2M default 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateUsage {
    /// 0, CA constraint: /0/x/4 is a CA the server's chain must lead to.
    CaConstraint,
    /// 1, service certificate constraint: the server's certificate is /0/x/4 (and its chain
    /// should validate against a public store, which a device does not have: treated as 3).
    ServiceCertificate,
    /// 2, trust anchor assertion: /0/x/4 is the trust anchor of the server's chain.
    TrustAnchor,
    /// 3, domain-issued certificate: the server's certificate is exactly /0/x/4 (pinned).
    DomainIssued,
}

impl CertificateUsage {
    /// From the resource value; absent means 3.
    pub fn from_resource(value: Option<i64>) -> Option<CertificateUsage> {
        match value {
            Some(0) => Some(Self::CaConstraint),
            Some(1) => Some(Self::ServiceCertificate),
            Some(2) => Some(Self::TrustAnchor),
            None | Some(3) => Some(Self::DomainIssued),
            _ => None,
        }
    }

    /// True when the server's leaf certificate must equal /0/x/4 byte for byte.
    pub fn pins_leaf(self) -> bool {
        matches!(self, Self::ServiceCertificate | Self::DomainIssued)
    }
}

/// Key material for one DTLS session. Every buffer is wiped on drop; `Debug` shows sizes only.
pub enum Credentials {
    /// Pre-shared key: identity (/0/x/3, UTF-8) and key (/0/x/5).
    Psk {
        /// PSK identity.
        identity: Zeroizing<Vec<u8>>,
        /// The key.
        key: Zeroizing<Vec<u8>>,
    },
    /// X.509: own certificate (/0/x/3, DER), private key (/0/x/5, RFC 5958 / PKCS#8 DER or
    /// SEC1), server certificate or trust anchor (/0/x/4, DER).
    Certificate {
        /// Own certificate.
        own_cert: Zeroizing<Vec<u8>>,
        /// Own private key.
        private_key: Zeroizing<Vec<u8>>,
        /// Server certificate or trust anchor.
        server_cert: Zeroizing<Vec<u8>>,
        /// How `server_cert` is used.
        usage: CertificateUsage,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Psk { identity, key } => {
                write!(f, "Psk {{ identity: {} B, key: {} B }}", identity.len(), key.len())
            }
            Self::Certificate { own_cert, private_key, server_cert, usage } => write!(
                f,
                "Certificate {{ own: {} B, key: {} B, server: {} B, usage: {usage:?} }}",
                own_cert.len(),
                private_key.len(),
                server_cert.len()
            ),
        }
    }
}

/// Why an account's credentials cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialsError {
    /// NoSec: no secure channel.
    NotSecure,
    /// A mode this build does not implement (RPK, certificate with EST).
    UnsupportedMode,
    /// Missing material or an unknown Certificate Usage (/0/x/15).
    Invalid,
}

impl Credentials {
    /// PSK credentials (copied).
    pub fn psk(identity: &[u8], key: &[u8]) -> Credentials {
        Credentials::Psk {
            identity: Zeroizing::new(identity.to_vec()),
            key: Zeroizing::new(key.to_vec()),
        }
    }

    /// Certificate credentials (copied): own DER certificate, PKCS#8/SEC1 DER key, server
    /// certificate or trust anchor (DER).
    pub fn certificate(
        own_cert: &[u8],
        private_key: &[u8],
        server_cert: &[u8],
        usage: CertificateUsage,
    ) -> Credentials {
        Credentials::Certificate {
            own_cert: Zeroizing::new(own_cert.to_vec()),
            private_key: Zeroizing::new(private_key.to_vec()),
            server_cert: Zeroizing::new(server_cert.to_vec()),
            usage,
        }
    }

    /// Copies the material the account's mode needs (its bounds are checked by
    /// [`SecurityAccount::target`], which calls this).
    pub fn from_account(account: &SecurityAccount<'_>) -> Result<Credentials, CredentialsError> {
        let bytes = |rid| {
            account
                .instance
                .bytes(rid)
                .filter(|b| !b.is_empty())
                .map(|b| Zeroizing::new(b.to_vec()))
                .ok_or(CredentialsError::Invalid)
        };
        use crate::model::security_res as sec;
        match account.mode() {
            Some(SecurityMode::NoSec) => Err(CredentialsError::NotSecure),
            Some(SecurityMode::Psk) => Ok(Credentials::Psk {
                identity: bytes(sec::PUBLIC_KEY_OR_IDENTITY)?,
                key: bytes(sec::SECRET_KEY)?,
            }),
            Some(SecurityMode::Certificate) => Ok(Credentials::Certificate {
                own_cert: bytes(sec::PUBLIC_KEY_OR_IDENTITY)?,
                private_key: bytes(sec::SECRET_KEY)?,
                server_cert: bytes(sec::SERVER_PUBLIC_KEY)?,
                usage: CertificateUsage::from_resource(account.instance.int(CERTIFICATE_USAGE))
                    .ok_or(CredentialsError::Invalid)?,
            }),
            _ => Err(CredentialsError::UnsupportedMode),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{security_res as sec, Instance, Origin, Value};

    fn account(mode: i64, identity: &[u8], key: &[u8]) -> Instance {
        Instance::new(Origin::Factory)
            .with(sec::URI, Value::String("coaps://s".into()))
            .with(sec::MODE, Value::Integer(mode))
            .with(sec::PUBLIC_KEY_OR_IDENTITY, Value::opaque(identity))
            .with(sec::SECRET_KEY, Value::opaque(key))
    }

    fn creds(instance: &Instance) -> Result<Credentials, CredentialsError> {
        Credentials::from_account(&SecurityAccount { instance_id: 0, instance })
    }

    #[test]
    fn the_material_of_the_mode_is_copied() {
        assert!(creds(&account(0, &[b'i'; 128], &[1; 64])).is_ok());
        assert_eq!(creds(&account(0, b"id", b"")).err(), Some(CredentialsError::Invalid));
        assert_eq!(creds(&account(3, b"", b"")).err(), Some(CredentialsError::NotSecure));
        assert_eq!(creds(&account(1, b"k", b"k")).err(), Some(CredentialsError::UnsupportedMode));
    }

    #[test]
    fn debug_shows_sizes_never_bytes() {
        let text = format!("{:?}", Credentials::psk(b"my-identity", b"TopSecretKey"));
        assert_eq!(text, "Psk { identity: 11 B, key: 12 B }");
    }

    #[test]
    fn certificate_usage_defaults_to_domain_issued() {
        assert_eq!(CertificateUsage::from_resource(None), Some(CertificateUsage::DomainIssued));
        assert_eq!(CertificateUsage::from_resource(Some(2)), Some(CertificateUsage::TrustAnchor));
        assert_eq!(CertificateUsage::from_resource(Some(4)), None);
        assert!(CertificateUsage::ServiceCertificate.pins_leaf());
        assert!(!CertificateUsage::CaConstraint.pins_leaf());
    }
}
