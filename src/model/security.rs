//! Typed view of a Security (/0) instance: a Bootstrap-Server or LwM2M Server account.

use super::instance::Instance;

/// Resource IDs of the Security object.
pub mod security_res {
    /// LwM2M Server URI.
    pub const URI: u16 = 0;
    /// Bootstrap-Server flag.
    pub const BOOTSTRAP_SERVER: u16 = 1;
    /// Security Mode.
    pub const MODE: u16 = 2;
    /// Public Key or Identity.
    pub const PUBLIC_KEY_OR_IDENTITY: u16 = 3;
    /// Server Public Key.
    pub const SERVER_PUBLIC_KEY: u16 = 4;
    /// Secret Key.
    pub const SECRET_KEY: u16 = 5;
    /// Short Server ID.
    pub const SSID: u16 = 10;
    /// Client Hold Off Time (s).
    pub const HOLD_OFF: u16 = 11;
    /// Bootstrap-Server Account Timeout (s).
    pub const BS_ACCOUNT_TIMEOUT: u16 = 12;
}

/// Security Mode (/0/x/2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityMode {
    /// Pre-shared key (0).
    Psk,
    /// Raw public key (1).
    Rpk,
    /// X.509 certificate (2).
    Certificate,
    /// No security (3).
    NoSec,
    /// Certificate with EST (4).
    CertificateEst,
}

impl SecurityMode {
    /// Maps the resource value; `None` outside 0..=4.
    pub fn from_i64(v: i64) -> Option<SecurityMode> {
        Some(match v {
            0 => SecurityMode::Psk,
            1 => SecurityMode::Rpk,
            2 => SecurityMode::Certificate,
            3 => SecurityMode::NoSec,
            4 => SecurityMode::CertificateEst,
            _ => return None,
        })
    }

    /// The resource value.
    pub fn as_i64(self) -> i64 {
        match self {
            SecurityMode::Psk => 0,
            SecurityMode::Rpk => 1,
            SecurityMode::Certificate => 2,
            SecurityMode::NoSec => 3,
            SecurityMode::CertificateEst => 4,
        }
    }
}

/// A read-only typed view of one Security instance.
#[derive(Clone, Copy, Debug)]
pub struct SecurityAccount<'a> {
    /// Instance ID in /0.
    pub instance_id: u16,
    /// The instance.
    pub instance: &'a Instance,
}

impl<'a> SecurityAccount<'a> {
    /// Server URI (/0/x/0).
    pub fn uri(&self) -> Option<&'a str> {
        self.instance.string(security_res::URI)
    }

    /// True for the Bootstrap-Server account (/0/x/1).
    pub fn is_bootstrap(&self) -> bool {
        self.instance.boolean(security_res::BOOTSTRAP_SERVER) == Some(true)
    }

    /// Security mode (/0/x/2), `None` when absent or out of range.
    pub fn mode(&self) -> Option<SecurityMode> {
        self.instance.int(security_res::MODE).and_then(SecurityMode::from_i64)
    }

    /// Short Server ID (/0/x/10) when in 1..=65534.
    pub fn ssid(&self) -> Option<u16> {
        valid_ssid(self.instance.int(security_res::SSID))
    }

    /// Client Hold Off Time in seconds (/0/x/11), 0 when absent.
    pub fn hold_off_s(&self) -> u64 {
        self.instance.uint(security_res::HOLD_OFF).unwrap_or(0)
    }

    /// Bootstrap-Server Account Timeout in seconds (/0/x/12); 0 means never.
    pub fn account_timeout_s(&self) -> u64 {
        self.instance.uint(security_res::BS_ACCOUNT_TIMEOUT).unwrap_or(0)
    }
}

/// An SSID value if it is in the valid range 1..=65534.
pub(crate) fn valid_ssid(v: Option<i64>) -> Option<u16> {
    v.filter(|v| (1..=65534).contains(v)).map(|v| v as u16)
}
