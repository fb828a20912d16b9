//! Typed view of a Server (/1) instance.

use super::instance::Instance;
use super::security::valid_ssid;

/// Resource IDs of the Server object.
pub mod server_res {
    /// Short Server ID.
    pub const SSID: u16 = 0;
    /// Lifetime (s).
    pub const LIFETIME: u16 = 1;
    /// Disable (executable).
    pub const DISABLE: u16 = 4;
    /// Notification Storing When Disabled or Offline.
    pub const NOTIFICATION_STORING: u16 = 6;
    /// Binding.
    pub const BINDING: u16 = 7;
    /// Registration Update Trigger (executable).
    pub const UPDATE_TRIGGER: u16 = 8;
    /// Bootstrap-Request Trigger (executable, 1.1).
    pub const BOOTSTRAP_TRIGGER: u16 = 9;
    /// TLS-DTLS Alert Code.
    pub const ALERT_CODE: u16 = 11;
    /// Last Bootstrapped.
    pub const LAST_BOOTSTRAPPED: u16 = 12;
}

/// Lifetime used when /1/x/1 is absent or not positive (seconds).
pub const DEFAULT_LIFETIME_S: u64 = 86400;

/// A read-only typed view of one Server instance.
#[derive(Clone, Copy, Debug)]
pub struct ServerAccount<'a> {
    /// Instance ID in /1.
    pub instance_id: u16,
    /// The instance.
    pub instance: &'a Instance,
}

impl<'a> ServerAccount<'a> {
    /// Short Server ID (/1/x/0) when in 1..=65534.
    pub fn ssid(&self) -> Option<u16> {
        valid_ssid(self.instance.int(server_res::SSID))
    }

    /// Registration lifetime in seconds (/1/x/1).
    pub fn lifetime_s(&self) -> u64 {
        self.instance.uint(server_res::LIFETIME).filter(|&v| v > 0).unwrap_or(DEFAULT_LIFETIME_S)
    }

    /// Binding (/1/x/7), "U" when absent.
    pub fn binding(&self) -> &'a str {
        self.instance.string(server_res::BINDING).unwrap_or("U")
    }
}
