//! Secure sessions: a small sans-IO [`SecureChannel`] contract between a connection's CoAP
//! endpoint and the transport, and its DTLS 1.2 implementation over Mbed TLS (feature `dtls`).
//! NoSec connections have no channel, nor do the connections the platform secures itself
//! ([`PlatformSecurity`]).
//!
//! Which Security Modes a build can use is [`supports_mode`]: NoSec always; PSK and X.509
//! certificates with `dtls`. RPK needs RFC 7250 raw public keys, which Mbed TLS 2.28 does not
//! implement; certificate mode with EST is not implemented either.

mod channel;
#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
mod credentials;
#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
mod dtls;
mod entropy;
mod params;
mod platform;
#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
mod sys;
mod target;

pub use channel::{ChannelFailure, ChannelState, FailureKind, SavedSession, SecureChannel};
#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
pub use credentials::{CertificateUsage, Credentials, CredentialsError, CERTIFICATE_USAGE};
#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
pub use dtls::{DtlsChannel, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, TLS_PSK_WITH_AES_128_CCM_8};
#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
pub(crate) use entropy::session_seed;
pub use entropy::Entropy;
pub use params::DtlsParams;
pub use platform::{ModeSet, ModeSupport, PlatformSecurity};
pub use target::{session_material, Target, SESSION_RESOURCES};

use crate::model::SecurityMode;

/// The Security Modes this build's own stack can use (the platform may add more:
/// [`ModeSupport`]).
pub fn supports_mode(mode: SecurityMode) -> bool {
    match mode {
        SecurityMode::NoSec => true,
        SecurityMode::Psk | SecurityMode::Certificate => {
            cfg!(any(feature = "dtls", feature = "dtls-nostd"))
        }
        SecurityMode::Rpk | SecurityMode::CertificateEst => false,
    }
}
