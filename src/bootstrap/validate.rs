//! Bootstrap-Finish validation (LwM2M Core 1.1 §5.2.6): is the loaded
//! configuration consistent? Any finding means 4.06 Not Acceptable.

use crate::model::VecSet;
use alloc::vec::Vec;
use core::fmt;

use crate::model::{
    security_res as sec, AccountError, DataModel, ObjectDefinition, SecurityAccount,
    ACCESS_CONTROL, OBJ_SECURITY, OBJ_SERVER, SECURITY, SERVER,
};

/// One reason a configuration is inconsistent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inconsistency {
    /// More than one Security instance has /0/x/1 = true.
    SeveralBootstrapAccounts,
    /// No LwM2M Server account (Security + Server pair) exists.
    NoServerAccount,
    /// A mandatory resource is missing: `(object, instance, resource)`.
    MissingResource(u16, u16, u16),
    /// Short Server ID absent or outside 1..=65534: `(object, instance)`.
    BadShortServerId(u16, u16),
    /// Two instances of the object share a Short Server ID: `(object, ssid)`.
    DuplicateShortServerId(u16, u16),
    /// A Security instance has no Server partner, or a Server no Security: `(object, instance)`.
    Unpaired(u16, u16),
    /// The URI is not a `coap://` or `coaps://` URI: Security instance ID.
    BadUri(u16),
    /// `coap://` with a secure mode or `coaps://` with NoSec: Security instance ID.
    SchemeModeMismatch(u16),
    /// Security Mode out of range or not supported by this build: Security instance ID.
    UnsupportedMode(u16),
    /// The credentials the mode needs are missing, or a PSK identity is longer than 128
    /// bytes or a PSK longer than 64 (no connection would accept them): Security instance ID.
    MissingCredentials(u16),
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::SeveralBootstrapAccounts => f.write_str("more than one Bootstrap-Server account"),
            Self::NoServerAccount => f.write_str("no LwM2M Server account"),
            Self::MissingResource(o, i, r) => write!(f, "/{o}/{i}/{r} is mandatory and missing"),
            Self::BadShortServerId(o, i) => {
                write!(f, "/{o}/{i}: Short Server ID missing or out of range")
            }
            Self::DuplicateShortServerId(o, s) => write!(f, "/{o}: Short Server ID {s} used twice"),
            Self::Unpaired(o, i) => {
                write!(f, "/{o}/{i} has no partner with the same Short Server ID")
            }
            Self::BadUri(i) => write!(f, "/0/{i}/0 is not a coap:// or coaps:// URI"),
            Self::SchemeModeMismatch(i) => {
                write!(f, "/0/{i}: URI scheme does not match the Security Mode")
            }
            Self::UnsupportedMode(i) => write!(f, "/0/{i}/2: Security Mode not supported"),
            Self::MissingCredentials(i) => {
                write!(f, "/0/{i}: credentials for the Security Mode missing or too long")
            }
        }
    }
}

/// What the validation may assume about this build.
#[derive(Clone, Copy, Debug)]
pub struct ValidationPolicy {
    /// Security modes the client can use: NoSec always, the built-in DTLS's (feature `dtls`)
    /// and the platform's own.
    pub modes: crate::security::ModeSupport,
    /// Require at least one LwM2M Server account (Core §5.2.2); on by default.
    pub require_server_account: bool,
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        ValidationPolicy {
            // NoSec, plus PSK and certificates when built with DTLS (feature `dtls`).
            modes: crate::security::ModeSupport::default(),
            require_server_account: true,
        }
    }
}

/// Checks the whole validation list and returns every finding (empty = consistent).
pub fn validate(model: &DataModel, policy: &ValidationPolicy) -> Vec<Inconsistency> {
    let mut found = Vec::new();
    check_mandatory(model, &SECURITY, &[0, 1, 2], &mut found);
    check_mandatory(model, &SERVER, &[0, 1, 6, 7], &mut found);
    check_mandatory(model, &ACCESS_CONTROL, &[0, 1, 3], &mut found);
    if model.security_accounts().filter(SecurityAccount::is_bootstrap).count() > 1 {
        found.push(Inconsistency::SeveralBootstrapAccounts);
    }
    for account in model.security_accounts() {
        check_security(account, policy, &mut found);
    }
    check_pairing(model, &mut found);
    if policy.require_server_account && model.server_account_pairs().next().is_none() {
        found.push(Inconsistency::NoServerAccount);
    }
    found
}

fn check_mandatory(
    model: &DataModel,
    def: &ObjectDefinition,
    ids: &[u16],
    found: &mut Vec<Inconsistency>,
) {
    for (iid, instance) in model.instances(def.id) {
        for &rid in ids.iter().filter(|&&rid| !instance.has(rid)) {
            found.push(Inconsistency::MissingResource(def.id, iid, rid));
        }
    }
}

/// The account's usability ([`SecurityAccount::target`], the rule connections follow) as
/// findings. An absent URI or mode is a missing mandatory resource, reported already.
fn check_security(
    account: SecurityAccount<'_>,
    policy: &ValidationPolicy,
    found: &mut Vec<Inconsistency>,
) {
    let iid = account.instance_id;
    if account.uri().is_none() || !account.instance.has(sec::MODE) {
        return;
    }
    let Err(e) = account.target(policy.modes) else { return };
    found.push(match e {
        AccountError::Uri(_) | AccountError::UriPartTooLong { .. } => Inconsistency::BadUri(iid),
        AccountError::CoapsWithoutSecurity | AccountError::SecureModeWithCoap(_) => {
            Inconsistency::SchemeModeMismatch(iid)
        }
        AccountError::CredentialTooLong { .. } | AccountError::Credentials(_) => {
            Inconsistency::MissingCredentials(iid)
        }
        // A mode out of range, or one this build lacks.
        _ => Inconsistency::UnsupportedMode(iid),
    });
}

fn check_pairing(model: &DataModel, found: &mut Vec<Inconsistency>) {
    let mut security_ssids = VecSet::new();
    for account in model.security_accounts().filter(|a| !a.is_bootstrap()) {
        match account.ssid() {
            None => found.push(Inconsistency::BadShortServerId(OBJ_SECURITY, account.instance_id)),
            Some(ssid) if !security_ssids.add(ssid) => {
                found.push(Inconsistency::DuplicateShortServerId(OBJ_SECURITY, ssid))
            }
            Some(ssid) if model.server_for_ssid(ssid).is_none() => {
                found.push(Inconsistency::Unpaired(OBJ_SECURITY, account.instance_id))
            }
            Some(_) => {}
        }
    }
    let mut server_ssids = VecSet::new();
    for server in model.server_accounts() {
        match server.ssid() {
            None if server.instance.has(0) => {
                found.push(Inconsistency::BadShortServerId(OBJ_SERVER, server.instance_id))
            }
            None => {}
            Some(ssid) if !server_ssids.add(ssid) => {
                found.push(Inconsistency::DuplicateShortServerId(OBJ_SERVER, ssid))
            }
            Some(ssid) if !security_ssids.contains_key(&ssid) => {
                found.push(Inconsistency::Unpaired(OBJ_SERVER, server.instance_id))
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{server_res as srv, Instance, Origin, Value};

    fn security(uri: &str, bootstrap: bool, mode: i64, ssid: Option<i64>) -> Instance {
        let mut i = Instance::new(Origin::BootstrapServer)
            .with(sec::URI, Value::String(uri.into()))
            .with(sec::BOOTSTRAP_SERVER, Value::Boolean(bootstrap))
            .with(sec::MODE, Value::Integer(mode));
        if let Some(ssid) = ssid {
            i.set(sec::SSID, Value::Integer(ssid));
        }
        i
    }

    fn server(ssid: i64) -> Instance {
        Instance::new(Origin::BootstrapServer)
            .with(srv::SSID, Value::Integer(ssid))
            .with(srv::LIFETIME, Value::Integer(60))
            .with(srv::NOTIFICATION_STORING, Value::Boolean(false))
            .with(srv::BINDING, Value::String("U".into()))
    }

    fn consistent() -> DataModel {
        let mut m = DataModel::new();
        m.insert(0, 0, security("coap://bs", true, 3, None));
        m.insert(0, 1, security("coap://dm", false, 3, Some(1)));
        m.insert(1, 0, server(1));
        m
    }

    #[test]
    fn a_complete_account_is_consistent() {
        assert_eq!(validate(&consistent(), &ValidationPolicy::default()), []);
    }

    #[test]
    fn psk_and_certificates_are_supported_exactly_with_dtls() {
        let policy = ValidationPolicy::default();
        for (mode, dtls_mode) in [(0, true), (1, false), (2, true), (3, true), (4, false)] {
            let mut m = consistent();
            let uri = if mode == 3 { "coap://dm" } else { "coaps://dm" };
            m.insert(0, 1, security(uri, false, mode, Some(1)));
            let supported = !validate(&m, &policy).contains(&Inconsistency::UnsupportedMode(1));
            assert_eq!(supported, mode == 3 || (dtls_mode && cfg!(feature = "dtls")), "{mode}");
        }
    }

    #[test]
    fn each_rule_reports_its_finding() {
        let policy = ValidationPolicy::default();
        let mut m = consistent();
        m.insert(0, 5, security("coap://bs2", true, 3, None));
        assert!(validate(&m, &policy).contains(&Inconsistency::SeveralBootstrapAccounts));

        let mut m = consistent();
        m.insert(0, 1, security("coaps://dm", false, 3, Some(1)));
        assert_eq!(validate(&m, &policy), [Inconsistency::SchemeModeMismatch(1)]);

        // RPK (1): Mbed TLS 2.28 has no raw public keys, so no build supports it. The first
        // reason an account is unusable is its finding.
        let mut m = consistent();
        m.insert(0, 1, security("coaps://dm", false, 1, Some(1)));
        assert_eq!(validate(&m, &policy), [Inconsistency::UnsupportedMode(1)]);
        let psk_ok = ValidationPolicy {
            modes: crate::security::ModeSupport {
                builtin: crate::security::ModeSet::ALL_SECURE,
                platform: crate::security::ModeSet::NONE,
            },
            ..policy
        };
        assert_eq!(validate(&m, &psk_ok), [Inconsistency::MissingCredentials(1)]);

        let mut m = consistent();
        m.insert(0, 1, security("http://dm", false, 3, Some(1)));
        assert_eq!(validate(&m, &policy), [Inconsistency::BadUri(1)]);

        let mut m = consistent();
        m.insert(0, 1, security("coap://dm", false, 3, Some(0)));
        let found = validate(&m, &policy);
        assert!(found.contains(&Inconsistency::BadShortServerId(0, 1)), "{found:?}");

        let mut m = consistent();
        m.instance_mut(1, 0).unwrap().resources.remove(&srv::BINDING);
        assert_eq!(validate(&m, &policy), [Inconsistency::MissingResource(1, 0, 7)]);

        let mut m = consistent();
        m.insert(1, 1, server(2));
        assert_eq!(validate(&m, &policy), [Inconsistency::Unpaired(1, 1)]);

        let mut m = consistent();
        m.insert(2, 0, Instance::default().with(0, Value::Integer(3)));
        let found = validate(&m, &policy);
        assert_eq!(
            found,
            [Inconsistency::MissingResource(2, 0, 1), Inconsistency::MissingResource(2, 0, 3)]
        );
    }

    /// Every rule of [`SecurityAccount::target`] is a finding at Finish: the account a
    /// Bootstrap-Server commits is one a connection accepts.
    #[test]
    fn an_account_no_connection_would_accept_is_refused() {
        let any_mode = ValidationPolicy {
            modes: crate::security::ModeSupport {
                builtin: crate::security::ModeSet::ALL_SECURE,
                platform: crate::security::ModeSet::NONE,
            },
            ..ValidationPolicy::default()
        };
        let psk = |identity: &[u8], key: &[u8]| {
            let mut m = consistent();
            let dm = security("coaps://dm", false, 0, Some(1))
                .with(sec::PUBLIC_KEY_OR_IDENTITY, Value::opaque(identity))
                .with(sec::SECRET_KEY, Value::opaque(key));
            m.insert(0, 1, dm);
            validate(&m, &any_mode)
        };
        assert_eq!(psk(b"id", &[7; 64]), []);
        assert_eq!(psk(&[b'i'; 128], b"k"), []);
        assert_eq!(psk(b"id", &[7; 65]), [Inconsistency::MissingCredentials(1)]);
        assert_eq!(psk(&[b'i'; 129], b"k"), [Inconsistency::MissingCredentials(1)]);
        assert_eq!(psk(b"id", b""), [Inconsistency::MissingCredentials(1)]);
        assert_eq!(psk(b"", b"k"), [Inconsistency::MissingCredentials(1)]);

        let with = |uri: &str, mode: i64| {
            let mut m = consistent();
            m.insert(0, 1, security(uri, false, mode, Some(1)));
            validate(&m, &any_mode)
        };
        let host = alloc::format!("coap://{}", "h".repeat(256));
        assert_eq!(with(&host, 3), [Inconsistency::BadUri(1)], "a host over 255 bytes");
        assert_eq!(with("coap://dm:0", 3), [Inconsistency::BadUri(1)]);
        assert_eq!(with("coap://dm", 0), [Inconsistency::SchemeModeMismatch(1)]);
        assert_eq!(with("coaps://dm", 3), [Inconsistency::SchemeModeMismatch(1)]);
        assert_eq!(with("coap://dm", 9), [Inconsistency::UnsupportedMode(1)]);
        let none = crate::security::ModeSet::NONE;
        let modes = crate::security::ModeSupport { builtin: none, platform: none };
        let nosec_only = ValidationPolicy { modes, ..any_mode };
        let mut m = consistent();
        m.insert(0, 1, security("coaps://dm", false, 2, Some(1)));
        assert_eq!(validate(&m, &nosec_only), [Inconsistency::UnsupportedMode(1)]);
        // The Bootstrap-Server account follows the same rule.
        let mut m = consistent();
        m.insert(0, 0, security("coap://bs", true, 0, None));
        assert_eq!(validate(&m, &any_mode), [Inconsistency::SchemeModeMismatch(0)]);
    }

    #[test]
    fn a_server_account_is_required_unless_the_policy_says_otherwise() {
        let mut m = DataModel::new();
        m.insert(0, 0, security("coap://bs", true, 3, None));
        let strict = ValidationPolicy::default();
        assert_eq!(validate(&m, &strict), [Inconsistency::NoServerAccount]);
        let lax = ValidationPolicy { require_server_account: false, ..strict };
        assert_eq!(validate(&m, &lax), []);
    }
}
