//! Security done by the platform (a modem's DTLS, the firmware's own TLS stack): which Security
//! Modes it takes over ([`ModeSet`], [`ModeSupport`]) and what it is handed for one connection
//! ([`PlatformSecurity`]). The engine keeps every session rule; only the record layer moves out.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

use crate::model::{security_res as sec, SecurityAccount, SecurityMode};

/// Security Resource /0/x/13, Matching Type.
const MATCHING_TYPE: u16 = 13;
/// Security Resource /0/x/14, SNI.
const SNI: u16 = 14;
/// Security Resource /0/x/15, Certificate Usage.
const CERTIFICATE_USAGE: u16 = 15;

/// A set of Security Modes, one bit per /0/x/2 value (`1 << value`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModeSet(u8);

impl ModeSet {
    /// No mode.
    pub const NONE: ModeSet = ModeSet(0);
    /// Every secure mode: PSK, RPK, certificate, certificate with EST.
    pub const ALL_SECURE: ModeSet = ModeSet(0b1_0111);

    /// The set with the modes whose bits (`1 << /0/x/2 value`) are in `bits`; NoSec's bit and
    /// unknown bits are ignored (NoSec is never the platform's).
    pub fn from_bits(bits: u32) -> ModeSet {
        ModeSet((bits & u32::from(Self::ALL_SECURE.0)) as u8)
    }

    /// The bits of the set.
    pub fn bits(self) -> u32 {
        u32::from(self.0)
    }

    /// The set with `mode` added (NoSec is never added).
    pub fn with(self, mode: SecurityMode) -> ModeSet {
        ModeSet::from_bits(self.bits() | (1 << mode.as_i64()))
    }

    /// Whether `mode` is in the set.
    pub fn contains(self, mode: SecurityMode) -> bool {
        self.0 & (1 << mode.as_i64()) != 0
    }
}

/// Which Security Modes a client can use: NoSec always, `builtin` (the modes of this build's
/// own DTLS, feature `dtls`) and `platform` (the modes the platform secures itself, which it
/// takes over where both can).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeSupport {
    /// The modes this build's own stack secures.
    pub builtin: ModeSet,
    /// The modes the platform secures itself.
    pub platform: ModeSet,
}

impl Default for ModeSupport {
    /// This build's own modes, none of the platform.
    fn default() -> ModeSupport {
        let secure = [SecurityMode::Psk, SecurityMode::Rpk, SecurityMode::Certificate];
        let builtin = secure
            .into_iter()
            .filter(|m| super::supports_mode(*m))
            .fold(ModeSet::NONE, ModeSet::with);
        ModeSupport { builtin, platform: ModeSet::NONE }
    }
}

impl ModeSupport {
    /// This build's own modes plus the platform's `platform`.
    pub fn with_platform(platform: ModeSet) -> ModeSupport {
        ModeSupport { platform, ..ModeSupport::default() }
    }

    /// Whether an account of `mode` can be used.
    pub fn supports(self, mode: SecurityMode) -> bool {
        mode == SecurityMode::NoSec || self.platform.contains(mode) || self.builtin.contains(mode)
    }

    /// Whether the platform, not the built-in stack, secures an account of `mode`.
    pub fn by_platform(self, mode: SecurityMode) -> bool {
        self.platform.contains(mode)
    }
}

/// What the platform needs to secure one connection, copied from the account's Security
/// instance for that connection only: handed over once (`Event::ConnectSecure`), wiped on
/// drop. `Debug` shows lengths, never a key byte.
#[derive(Clone, PartialEq, Eq)]
pub struct PlatformSecurity {
    /// The Security Mode (/0/x/2): PSK, RPK, certificate or certificate with EST.
    pub mode: SecurityMode,
    /// True for the Bootstrap-Server account's connection.
    pub bootstrap: bool,
    /// /0/x/3: the PSK identity (PSK), own public key as SubjectPublicKeyInfo DER (RPK), own
    /// certificate DER (certificate modes).
    pub identity: Zeroizing<Vec<u8>>,
    /// /0/x/4: the server's public key as SubjectPublicKeyInfo DER (RPK), its certificate or
    /// trust anchor DER (certificate modes); empty for PSK.
    pub server_key: Zeroizing<Vec<u8>>,
    /// /0/x/5: the PSK (PSK), own private key (RFC 5958 / PKCS#8 DER) otherwise.
    pub secret_key: Zeroizing<Vec<u8>>,
    /// /0/x/15 Certificate Usage (0..3; 3 when absent).
    pub certificate_usage: u8,
    /// /0/x/13 Matching Type (0..3; 0 when absent).
    pub matching_type: u8,
    /// /0/x/14 SNI, when set.
    pub sni: Option<String>,
}

impl PlatformSecurity {
    /// Copies what a connection of `account` needs (its mode is a secure one, its material
    /// complete: [`SecurityAccount::target`] checked both).
    pub fn from_account(account: &SecurityAccount<'_>, mode: SecurityMode) -> PlatformSecurity {
        let bytes = |rid| Zeroizing::new(account.instance.bytes(rid).unwrap_or_default().to_vec());
        let small = |rid, absent: u8| {
            account.instance.int(rid).and_then(|v| u8::try_from(v).ok()).unwrap_or(absent)
        };
        PlatformSecurity {
            mode,
            bootstrap: account.is_bootstrap(),
            identity: bytes(sec::PUBLIC_KEY_OR_IDENTITY),
            server_key: bytes(sec::SERVER_PUBLIC_KEY),
            secret_key: bytes(sec::SECRET_KEY),
            certificate_usage: small(CERTIFICATE_USAGE, 3),
            matching_type: small(MATCHING_TYPE, 0),
            sni: account.instance.string(SNI).filter(|s| !s.is_empty()).map(String::from),
        }
    }
}

impl fmt::Debug for PlatformSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformSecurity")
            .field("mode", &self.mode)
            .field("bootstrap", &self.bootstrap)
            .field("identity_len", &self.identity.len())
            .field("server_key_len", &self.server_key.len())
            .field("secret_key_len", &self.secret_key.len())
            .field("certificate_usage", &self.certificate_usage)
            .field("matching_type", &self.matching_type)
            .field("sni", &self.sni)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Instance, Origin, Value};

    #[test]
    fn a_mode_set_holds_secure_modes_only() {
        let set = ModeSet::NONE.with(SecurityMode::Rpk).with(SecurityMode::NoSec);
        assert!(set.contains(SecurityMode::Rpk));
        assert!(!set.contains(SecurityMode::NoSec));
        assert!(!set.contains(SecurityMode::Psk));
        assert_eq!(set.bits(), 0b10);
        assert_eq!(ModeSet::from_bits(0xFFFF_FFFF), ModeSet::ALL_SECURE);
        assert!(!ModeSet::from_bits(1 << 3).contains(SecurityMode::NoSec));
    }

    #[test]
    fn the_platform_adds_modes_and_takes_over_the_ones_it_names() {
        let support = ModeSupport::with_platform(ModeSet::NONE.with(SecurityMode::Rpk));
        assert!(support.supports(SecurityMode::Rpk));
        assert!(support.by_platform(SecurityMode::Rpk));
        assert!(support.supports(SecurityMode::NoSec));
        assert!(!support.by_platform(SecurityMode::Psk));
        assert_eq!(
            support.supports(SecurityMode::Psk),
            super::super::supports_mode(SecurityMode::Psk)
        );
        let none = ModeSupport { builtin: ModeSet::NONE, platform: ModeSet::NONE };
        assert!(none.supports(SecurityMode::NoSec) && !none.supports(SecurityMode::Psk));
    }

    #[test]
    fn the_copy_carries_the_session_resources_and_debug_shows_no_key() {
        let instance = Instance::new(Origin::Factory)
            .with(sec::URI, Value::String("coaps://s".into()))
            .with(sec::MODE, Value::Integer(1))
            .with(sec::PUBLIC_KEY_OR_IDENTITY, Value::opaque(b"own-spki"))
            .with(sec::SERVER_PUBLIC_KEY, Value::opaque(b"server-spki"))
            .with(sec::SECRET_KEY, Value::opaque(b"TopSecretKey"))
            .with(SNI, Value::String("dm.example".into()));
        let account = SecurityAccount { instance_id: 2, instance: &instance };
        let security = PlatformSecurity::from_account(&account, SecurityMode::Rpk);
        assert_eq!(&security.secret_key[..], b"TopSecretKey");
        assert_eq!(&security.server_key[..], b"server-spki");
        assert_eq!(security.certificate_usage, 3);
        assert_eq!(security.sni.as_deref(), Some("dm.example"));
        assert!(!security.bootstrap);
        let text = alloc::format!("{security:?}");
        assert!(!text.contains("TopSecret") && text.contains("secret_key_len: 12"), "{text}");
    }
}
