//! Client configuration and the factory-provisioning account descriptions.

use alloc::string::String;
use alloc::vec::Vec;

use crate::bootstrap::ValidationPolicy;
use crate::coap::{content_format, TransmissionParams};
use crate::model::{
    security_res as sec, server_res as srv, Instance, ObjectInfo, Origin, Secret, SecurityMode,
    Value, Version,
};
use crate::rules::{backoff, RetryParams};
use crate::security::{DtlsParams, Entropy};

/// What the client is and how it behaves.
#[derive(Clone, Debug)]
pub struct Config {
    /// Endpoint Client Name (`ep=` of Bootstrap-Request and Register).
    pub endpoint_name: String,
    /// Enabler version spoken (1.1 by default).
    pub version: Version,
    /// CoAP timers (RFC 7252 defaults).
    pub transmission: TransmissionParams,
    /// The firmware's own objects, listed in Register and Discover (for example `/3/0`).
    pub objects: Vec<ObjectInfo>,
    /// Seed for message IDs, tokens and jitter (the firmware passes entropy here).
    pub seed: u64,
    /// Bootstrap-Finish validation policy, with the Security Modes the client can use:
    /// `policy.modes.platform` are the modes the platform secures itself (a modem's or the
    /// firmware's DTLS): their connections come as [`super::Event::ConnectSecure`] and carry
    /// plain CoAP between the engine and the platform.
    pub policy: ValidationPolicy,
    /// The preferred content format (OMA-TLV by default): `pct=` of a 1.1 Bootstrap-Request
    /// and `ct=` of the Register payload's root link. One this build reads and writes
    /// ([`Config::check`]).
    pub preferred_format: u16,
    /// Bootstrap with a Bootstrap-Pack-Request (LwM2M 1.2, `GET /bspack`) before the classic
    /// Bootstrap-Request ([`Config::pack_format`]); off by default.
    pub bootstrap_pack: bool,
    /// The registration procedure's parameters used when a Server instance lacks the
    /// resource (/1/x/13..20): the defaults of Core 1.1.1 Table 6.2.1.1-1 unless changed (a
    /// lab shortens the timers here).
    pub retry_defaults: RetryParams,
    /// Delay after the first failed bootstrap before the next one (doubling, with jitter).
    pub bootstrap_backoff_base_ms: u64,
    /// Cap of the delay between failed bootstraps.
    pub bootstrap_backoff_cap_ms: u64,
    /// DTLS handshake timeouts and MTU (feature `dtls`).
    pub dtls: DtlsParams,
    /// 32 bytes from the firmware's entropy source for the DTLS sessions' DRBGs (each
    /// session adds a nonce from the generator seeded with `seed`). Leave it all-zero only
    /// in tests: the sessions' randomness then rests on `seed` alone.
    pub entropy: Entropy,
    /// Hand out the saved DTLS sessions of LwM2M Server accounts as
    /// [`super::Event::SessionsWrite`] whenever they change, for
    /// [`super::Client::restore_sessions`] after a restart (an abbreviated handshake instead
    /// of a full one). Off by default: sessions then live in RAM only.
    pub persist_sessions: bool,
}

impl Config {
    /// The format a Bootstrap-Pack-Request asks for: the preferred format when it is SenML
    /// or LwM2M CBOR or SenML JSON, else the first of them built in; `None` without any (no
    /// Bootstrap-Pack then).
    pub fn pack_format(&self) -> Option<u16> {
        use content_format as cf;
        let built = |f: u16| crate::codec::read_format(Some(f)) == Some(f);
        let packable = [cf::SENML_CBOR, cf::LWM2M_CBOR, cf::SENML_JSON];
        if packable.contains(&self.preferred_format) && built(self.preferred_format) {
            return Some(self.preferred_format);
        }
        packable.into_iter().find(|f| built(*f))
    }

    /// A configuration with defaults for the Endpoint Client Name `endpoint_name`, listing
    /// the Device instance /3/0.
    pub fn new(endpoint_name: &str) -> Config {
        Config {
            endpoint_name: endpoint_name.into(),
            version: Version::V1_1,
            transmission: TransmissionParams::default(),
            objects: alloc::vec![ObjectInfo { id: 3, version: None, instances: alloc::vec![0] }],
            seed: 0x5eed,
            policy: ValidationPolicy::default(),
            preferred_format: content_format::TLV,
            bootstrap_pack: false,
            retry_defaults: RetryParams::default(),
            bootstrap_backoff_base_ms: backoff::DEFAULT_BASE_MS,
            bootstrap_backoff_cap_ms: backoff::DEFAULT_CAP_MS,
            dtls: DtlsParams::default(),
            entropy: Entropy::default(),
            persist_sessions: false,
        }
    }
}

/// A [`Config`] value the wire cannot carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgumentError {
    /// The Endpoint Client Name is empty.
    EmptyEndpointName,
    /// The Endpoint Client Name is longer than [`MAX_ENDPOINT_NAME_LEN`] bytes: its length. It
    /// travels as the Uri-Query option `ep=NAME`, whose value is at most 255 bytes (RFC 7252
    /// §5.10), so NAME is at most 252.
    EndpointNameTooLong(usize),
    /// The preferred content format is not a hierarchical format this build reads and writes
    /// (TLV 11542; SenML JSON 110, SenML CBOR 112, LwM2M CBOR 11544 with their features).
    UnsupportedFormat(u16),
}

/// The longest Endpoint Client Name: 255 bytes of Uri-Query option value minus `ep=`.
pub const MAX_ENDPOINT_NAME_LEN: usize = crate::model::MAX_OPTION_VALUE - "ep=".len();

impl core::fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::EmptyEndpointName => f.write_str("Endpoint Client Name is empty"),
            Self::EndpointNameTooLong(len) => write!(
                f,
                "Endpoint Client Name of {len} bytes is too long: ep=NAME must fit one \
                 255-byte Uri-Query option, so NAME is at most {MAX_ENDPOINT_NAME_LEN} bytes"
            ),
            Self::UnsupportedFormat(format) => write!(
                f,
                "preferred format {format} is not one this build reads and writes (11542 TLV, \
                 or 110, 112, 11544 with their features)"
            ),
        }
    }
}

impl Config {
    /// Checks what the wire limits: the Endpoint Client Name is 1..=[`MAX_ENDPOINT_NAME_LEN`]
    /// bytes. (Numbers such as the lifetime always fit; account strings are checked when
    /// provisioned.)
    pub fn check(&self) -> Result<(), ArgumentError> {
        match self.endpoint_name.len() {
            0 => return Err(ArgumentError::EmptyEndpointName),
            n if n > MAX_ENDPOINT_NAME_LEN => return Err(ArgumentError::EndpointNameTooLong(n)),
            _ => {}
        }
        let hierarchical = self.preferred_format != crate::coap::content_format::OLD_TLV
            && crate::codec::read_format(Some(self.preferred_format)).is_some();
        if !hierarchical {
            return Err(ArgumentError::UnsupportedFormat(self.preferred_format));
        }
        Ok(())
    }
}

/// Security material of one account (/0/x/0, 2, 3, 4, 5). The key fields are wiped on drop
/// and `Debug` shows only their lengths.
#[derive(Clone, Debug)]
pub struct SecurityConfig {
    /// Server URI, `coap://` or `coaps://`.
    pub uri: String,
    /// Security mode.
    pub mode: SecurityMode,
    /// PSK identity, or own certificate / public key.
    pub identity: Secret,
    /// Server certificate or public key.
    pub server_key: Secret,
    /// PSK or private key.
    pub secret_key: Secret,
}

impl SecurityConfig {
    /// A NoSec account for `uri`.
    pub fn nosec(uri: &str) -> SecurityConfig {
        SecurityConfig {
            uri: uri.into(),
            mode: SecurityMode::NoSec,
            identity: Secret::default(),
            server_key: Secret::default(),
            secret_key: Secret::default(),
        }
    }

    pub(crate) fn to_instance(&self, bootstrap: bool) -> Instance {
        Instance::new(Origin::Factory)
            .with(sec::URI, Value::String(self.uri.clone()))
            .with(sec::BOOTSTRAP_SERVER, Value::Boolean(bootstrap))
            .with(sec::MODE, Value::Integer(self.mode.as_i64()))
            .with(sec::PUBLIC_KEY_OR_IDENTITY, Value::opaque(&self.identity))
            .with(sec::SERVER_PUBLIC_KEY, Value::opaque(&self.server_key))
            .with(sec::SECRET_KEY, Value::opaque(&self.secret_key))
    }
}

/// A factory Bootstrap-Server account.
#[derive(Clone, Debug)]
pub struct BootstrapAccountConfig {
    /// Security material.
    pub security: SecurityConfig,
    /// Client Hold Off Time (/0/x/11), seconds.
    pub hold_off_s: u64,
    /// Bootstrap-Server Account Timeout (/0/x/12), seconds; 0 = never.
    pub account_timeout_s: u64,
}

impl BootstrapAccountConfig {
    pub(crate) fn to_instance(&self) -> Instance {
        self.security
            .to_instance(true)
            .with(sec::HOLD_OFF, Value::Integer(clamp(self.hold_off_s)))
            .with(sec::BS_ACCOUNT_TIMEOUT, Value::Integer(clamp(self.account_timeout_s)))
    }
}

/// A factory LwM2M Server account: a Security and a Server instance sharing `ssid`.
#[derive(Clone, Debug)]
pub struct ServerAccountConfig {
    /// Short Server ID, 1..=65534.
    pub ssid: u16,
    /// Security material.
    pub security: SecurityConfig,
    /// Registration lifetime (/1/x/1), seconds.
    pub lifetime_s: u64,
    /// Binding (/1/x/7), "U".
    pub binding: String,
}

impl ServerAccountConfig {
    pub(crate) fn to_instances(&self) -> (Instance, Instance) {
        let security =
            self.security.to_instance(false).with(sec::SSID, Value::Integer(self.ssid.into()));
        let server = Instance::new(Origin::Factory)
            .with(srv::SSID, Value::Integer(self.ssid.into()))
            .with(srv::LIFETIME, Value::Integer(clamp(self.lifetime_s)))
            .with(srv::NOTIFICATION_STORING, Value::Boolean(false))
            .with(srv::BINDING, Value::String(self.binding.clone()));
        (security, server)
    }
}

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SecurityAccount;

    #[test]
    fn debug_of_a_psk_account_shows_no_key_byte() {
        let security = SecurityConfig {
            uri: "coaps://bs.example".into(),
            mode: SecurityMode::Psk,
            identity: b"urn:dev:id".to_vec().into(),
            server_key: Secret::default(),
            secret_key: alloc::vec![0xA5; 16].into(),
        };
        let account = BootstrapAccountConfig { security, hold_off_s: 0, account_timeout_s: 0 };
        let text = alloc::format!("{account:?}");
        assert!(text.contains("coaps://bs.example"), "{text}");
        assert!(text.contains("secret_key: <16 bytes>"), "{text}");
        assert!(text.contains("identity: <10 bytes>"), "{text}");
        assert!(!text.contains("165"), "a key byte (0xA5) in {text}");
        // The same account in the data model (/0/x): a Security instance.
        let instance = account.to_instance();
        let view = SecurityAccount { instance_id: 0, instance: &instance };
        let text = alloc::format!("{view:?}");
        assert!(text.contains("Opaque(<16 bytes>)"), "{text}");
        assert!(!text.contains("165"), "a key byte (0xA5) in {text}");
    }
}
