//! Step 1 of the Bootstrap Sequence: Bootstrap from Smartcard (Core 1.1 §5.2.3.2, Appendix G).
//!
//! The firmware gives the client a [`Smartcard`]: its APDU transport ([`CardTransport`]: is a
//! card present, transmit one APDU) and how to read the card ([`SmartcardConfig`]: logical
//! channel, chunk size, PIN, SCP03 keys). The client then
//!
//! 1. at `start`, walks the card ([`CardReader`](crate::smartcard::CardReader)), parses EF
//!    LwM2M_Bootstrap ([`parse_ef`]) and [`prepare`]s the configuration it describes: the
//!    card's /0, /1, /2 instances (origin smartcard) plus, when the card has no
//!    Bootstrap-Server account of its own, the existing (factory or restored) one. It must pass
//!    the Bootstrap-Finish validation and hold at least one LwM2M Server account or a
//!    Bootstrap-Server account (a card may provision only the latter: the client then
//!    bootstraps from it). The configuration it replaces is *shelved*, not deleted: the
//!    factory servers are inactive while the card's configuration is applied;
//! 2. before each Register, Update and Bootstrap-Request while a card configuration is
//!    applied, reads the EF again (through the path the first walk found) and compares its
//!    [`Digest`] with the applied one, without parsing: unchanged → go on; changed → the old
//!    configuration is dropped (sessions closed) and the new one applied; removed or
//!    unreadable → the card's configuration is deleted and the shelved one comes back.
//!
//! Nothing read from the card is persisted (see the client's storage commands).
//!
//! The transport is called synchronously, inside the client call that needs the card (`start`,
//! or the `handle_*` call that makes a Register or Update due). The walk itself stays a
//! sans-IO state machine for firmware that wants to drive it asynchronously.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use crate::bootstrap::{validate, Inconsistency, ValidationPolicy};
use crate::model::{DataModel, Origin, OBJ_SECURITY};
use crate::smartcard::{
    parse_ef, BlockCipher, CardError, CardReader, Digest, EfContent, EfError, NoCipher, Pin,
    RawObject, ReaderConfig, Scp03Config, StaticKeys, MAX_EF_SIZE,
};

/// What step 1 did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmartcardOutcome {
    /// No smartcard (or no support for one): go on with the factory configuration.
    NoCard,
    /// The card's Bootstrap Information replaced the configuration.
    Provisioned,
    /// A card is present but its content was refused: go on with the factory configuration.
    Rejected,
}

/// The firmware's access to the card (`AT+CSIM`, PC/SC, a UART driver, a simulator).
pub trait CardTransport: Send {
    /// Whether a card is present (inserted and powered). `false` means "no card": its
    /// configuration, if applied, is deleted.
    fn present(&mut self) -> bool;
    /// Sends one command APDU and returns the card's complete answer (data and the two status
    /// bytes), or `None` when there is no answer (the card was removed, the modem failed).
    fn transmit(&mut self, apdu: &[u8]) -> Option<Vec<u8>>;
}

/// SCP03 static keys and parameters (LwM2M Core Appendix H). The host challenge of each
/// session comes from the client's seeded random generator.
#[derive(Clone, Debug)]
pub struct Scp03Keys {
    /// KEY_ENC, KEY_MAC, KEY_DEK (wiped on drop).
    pub keys: StaticKeys,
    /// Key version number (0: the card chooses).
    pub key_version: u8,
    /// Security level: `0x33` (the appendix's choice), or `0x01`, `0x03`, `0x11`, `0x13`.
    pub security_level: u8,
}

/// How to read the card.
#[derive(Clone, Debug)]
pub struct SmartcardConfig {
    /// Open a logical channel with MANAGE CHANNEL (default); `false` uses the basic channel.
    pub logical_channel: bool,
    /// Largest READ BINARY chunk, 1..=256 (default 255).
    pub max_chunk: u16,
    /// The PIN for files behind a PIN.
    pub pin: Option<Pin>,
    /// Read through a GlobalPlatform SCP03 secure channel (needs a [`BlockCipher`]: see
    /// [`Smartcard::with_cipher`]).
    pub scp03: Option<Scp03Keys>,
}

impl Default for SmartcardConfig {
    fn default() -> Self {
        SmartcardConfig { logical_channel: true, max_chunk: 255, pin: None, scp03: None }
    }
}

/// Why a card's content was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmartcardRejection {
    /// The walk failed (status word, malformed PKCS#15 structure, no answer, secure channel).
    Card(CardError),
    /// EF LwM2M_Bootstrap is malformed.
    Ef(EfError),
    /// The configuration fails the Bootstrap-Finish validation (the first finding).
    Invalid(Inconsistency),
    /// The card holds neither an LwM2M Server account nor a Bootstrap-Server account.
    NoAccount,
    /// The firmware refused the card's objects of its own (`FirmwareObjects::validate`).
    FirmwareVeto,
}

impl fmt::Display for SmartcardRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Card(e) => write!(f, "card unreadable: {e}"),
            Self::Ef(e) => write!(f, "{e}"),
            Self::Invalid(i) => write!(f, "card configuration invalid: {i}"),
            Self::NoAccount => f.write_str("card holds no server or Bootstrap-Server account"),
            Self::FirmwareVeto => f.write_str("the firmware refused the card's objects"),
        }
    }
}

/// What reading the card gave.
#[derive(Debug)]
pub enum CardRead {
    /// `present()` said no card.
    Absent,
    /// A card, but the walk failed.
    Unreadable(CardError),
    /// The raw EF.
    Read(EfContent),
}

/// The configuration a card describes, ready to replace the committed one.
#[derive(Debug)]
pub struct Prepared {
    /// The card's /0, /1, /2 instances (origin smartcard), plus the existing Bootstrap-Server
    /// account when the card has none.
    pub model: DataModel,
    /// Objects the library does not own, for the firmware's bootstrap transaction.
    pub other_objects: Vec<RawObject>,
    /// LwM2M Server accounts on the card.
    pub accounts: usize,
    /// Whether the card has its own Bootstrap-Server account.
    pub bootstrap_account: bool,
}

/// Parses and validates `ef` against the configuration `base` it would replace. Never
/// panics; on any error nothing is returned.
pub fn prepare(
    ef: &[u8],
    base: &DataModel,
    policy: &ValidationPolicy,
) -> Result<Prepared, SmartcardRejection> {
    let data = parse_ef(ef).map_err(SmartcardRejection::Ef)?;
    let mut model = data.model;
    let bootstrap_account = model.bootstrap_account().is_some();
    let accounts = model.server_account_pairs().count();
    if accounts == 0 && !bootstrap_account {
        return Err(SmartcardRejection::NoAccount);
    }
    if !bootstrap_account {
        if let Some(bs) = base.bootstrap_account() {
            let instance = bs.instance.clone();
            let iid = if model.instance(OBJ_SECURITY, bs.instance_id).is_some() {
                model.free_instance_id(OBJ_SECURITY).unwrap_or(u16::MAX)
            } else {
                bs.instance_id
            };
            model.insert(OBJ_SECURITY, iid, instance);
        }
    }
    let policy = ValidationPolicy { require_server_account: false, ..*policy };
    if let Some(first) = validate(&model, &policy).first() {
        return Err(SmartcardRejection::Invalid(*first));
    }
    Ok(Prepared { model, other_objects: data.other_objects, accounts, bootstrap_account })
}

/// Removes every instance with [`Origin::Smartcard`] from `model` (card data never outlives
/// the card, even when an older image holds some).
pub fn strip_smartcard(model: &mut DataModel) -> bool {
    let doomed: Vec<(u16, u16)> = model
        .object_ids()
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|o| {
            model
                .instances(o)
                .filter(|(_, i)| i.origin == Origin::Smartcard)
                .map(move |(iid, _)| (o, iid))
                .collect::<Vec<_>>()
        })
        .collect();
    for (object, iid) in &doomed {
        model.remove(*object, *iid);
    }
    !doomed.is_empty()
}

/// A card configuration in effect.
#[derive(Debug)]
pub struct Applied {
    /// Digest of the EF that was applied.
    pub digest: Digest,
    /// Where the EF was found (re-walks go there directly).
    pub path: Vec<u8>,
    /// The configuration the card's replaced; it comes back when the card goes.
    pub shelved: DataModel,
}

type Walk = fn(ReaderConfig, &mut dyn CardTransport) -> Result<EfContent, CardError>;

fn walk<C: BlockCipher>(
    config: ReaderConfig,
    transport: &mut dyn CardTransport,
) -> Result<EfContent, CardError> {
    CardReader::<C>::with_cipher(config).run(|apdu| transport.transmit(apdu))
}

/// The firmware's card: transport, configuration, and what the client applied from it.
pub struct Smartcard {
    transport: Box<dyn CardTransport>,
    config: SmartcardConfig,
    walk: Walk,
    /// The card configuration in effect, if any.
    pub applied: Option<Applied>,
    /// When the card was last read (one read per client call is enough).
    pub checked_at: Option<u64>,
}

impl fmt::Debug for Smartcard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smartcard")
            .field("config", &self.config)
            .field("applied", &self.applied.as_ref().map(|a| a.digest))
            .finish_non_exhaustive()
    }
}

impl Smartcard {
    /// A card without SCP03 (configured SCP03 keys make every read fail with
    /// `Scp03Error::NoCipher`).
    pub fn new(transport: Box<dyn CardTransport>, config: SmartcardConfig) -> Smartcard {
        Smartcard::with_cipher::<NoCipher>(transport, config)
    }

    /// A card whose SCP03 secure channel uses the AES `C` (the firmware's, e.g. mbedtls or a
    /// hardware engine, behind [`BlockCipher`]).
    pub fn with_cipher<C: BlockCipher>(
        transport: Box<dyn CardTransport>,
        config: SmartcardConfig,
    ) -> Smartcard {
        Smartcard { transport, config, walk: walk::<C>, applied: None, checked_at: None }
    }

    /// The configuration.
    pub fn config(&self) -> &SmartcardConfig {
        &self.config
    }

    /// Changes the configuration (PIN, keys); takes effect at the next read.
    pub fn set_config(&mut self, config: SmartcardConfig) {
        self.config = config;
    }

    /// Reads EF LwM2M_Bootstrap now: presence, then the walk (straight to the known path when
    /// a configuration is applied). `host_challenge` seeds an SCP03 session.
    pub fn read(&mut self, host_challenge: [u8; 8]) -> CardRead {
        if !self.transport.present() {
            return CardRead::Absent;
        }
        let config = ReaderConfig {
            logical_channel: self.config.logical_channel,
            max_chunk: self.config.max_chunk,
            max_file_size: MAX_EF_SIZE,
            known_path: self.applied.as_ref().map(|a| a.path.clone()),
            pin: self.config.pin.clone(),
            scp03: self.config.scp03.as_ref().map(|k| Scp03Config {
                keys: k.keys.clone(),
                key_version: k.key_version,
                security_level: k.security_level,
                host_challenge,
            }),
        };
        match (self.walk)(config, &mut *self.transport) {
            Ok(content) => CardRead::Read(content),
            Err(e) => CardRead::Unreadable(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{security_res, server_res, Instance, Value};
    use crate::smartcard::build_ef;

    fn security(uri: &str, bootstrap: bool, ssid: Option<i64>, origin: Origin) -> Instance {
        let mut i = Instance::new(origin)
            .with(security_res::URI, Value::String(uri.into()))
            .with(security_res::BOOTSTRAP_SERVER, Value::Boolean(bootstrap))
            .with(security_res::MODE, Value::Integer(3));
        if let Some(ssid) = ssid {
            i.set(security_res::SSID, Value::Integer(ssid));
        }
        i
    }

    fn ef_of(model: &DataModel) -> Vec<u8> {
        let tlvs: Vec<(u16, Vec<u8>)> = model
            .object_ids()
            .map(|o| {
                let instances: Vec<_> = model.instances(o).collect();
                (o, crate::codec::encode_instances(&instances, true))
            })
            .collect();
        let entries: Vec<_> = tlvs.iter().map(|(o, t)| (*o, None, &t[..])).collect();
        build_ef(&entries).unwrap()
    }

    fn factory() -> DataModel {
        let mut m = DataModel::new();
        m.insert(0, 0, security("coap://127.0.0.1:5783", true, None, Origin::Factory));
        m.insert(0, 1, security("coap://127.0.0.1:5683", false, Some(1), Origin::Factory));
        m.insert(
            1,
            0,
            Instance::new(Origin::Factory)
                .with(server_res::SSID, Value::Integer(1))
                .with(server_res::LIFETIME, Value::Integer(86400))
                .with(server_res::NOTIFICATION_STORING, Value::Boolean(false))
                .with(server_res::BINDING, Value::String("U".into())),
        );
        m
    }

    #[test]
    fn a_card_with_two_bootstrap_server_accounts_is_refused() {
        // Found by the smartcard_ef fuzz target: the EF parser keeps both instances (it only
        // decodes); the check before applying refuses the card, for either base.
        let mut card = DataModel::new();
        card.insert(0, 0, security("coap://127.0.0.1:5783", true, None, Origin::Smartcard));
        card.insert(0, 1, security("coap://127.0.0.1:5784", true, None, Origin::Smartcard));
        let ef = ef_of(&card);
        let parsed = parse_ef(&ef).unwrap();
        assert_eq!(parsed.model.security_accounts().filter(|a| a.is_bootstrap()).count(), 2);
        for base in [DataModel::new(), factory()] {
            let refused = prepare(&ef, &base, &ValidationPolicy::default()).err();
            assert_eq!(
                refused,
                Some(SmartcardRejection::Invalid(Inconsistency::SeveralBootstrapAccounts))
            );
        }
    }

    #[test]
    fn a_bootstrap_only_card_is_accepted_and_replaces_the_factory_bootstrap_account() {
        let mut card = DataModel::new();
        card.insert(0, 0, security("coap://127.0.0.1:5999", true, None, Origin::Smartcard));
        let prepared = prepare(&ef_of(&card), &factory(), &ValidationPolicy::default()).unwrap();
        assert!(prepared.bootstrap_account);
        assert_eq!(prepared.accounts, 0);
        assert_eq!(
            prepared.model.bootstrap_account().unwrap().uri(),
            Some("coap://127.0.0.1:5999")
        );
        assert_eq!(prepared.model.server_accounts().count(), 0, "factory servers inactive");
    }

    #[test]
    fn a_server_only_card_keeps_the_factory_bootstrap_account() {
        let mut card = factory();
        card.remove(0, 0);
        let ef = ef_of(&card);
        let prepared = prepare(&ef, &factory(), &ValidationPolicy::default()).unwrap();
        assert_eq!(prepared.accounts, 1);
        assert!(!prepared.bootstrap_account);
        let bs = prepared.model.bootstrap_account().unwrap();
        assert_eq!((bs.instance_id, bs.instance.origin), (0, Origin::Factory));
        assert_eq!(prepared.model.instance(0, 1).unwrap().origin, Origin::Smartcard);
    }

    #[test]
    fn empty_or_invalid_cards_are_refused() {
        let empty = build_ef(&[]).unwrap();
        assert_eq!(
            prepare(&empty, &factory(), &ValidationPolicy::default()).unwrap_err(),
            SmartcardRejection::NoAccount
        );
        let mut unpaired = DataModel::new();
        unpaired.insert(0, 0, security("coap://127.0.0.1:5999", true, None, Origin::Smartcard));
        unpaired.insert(0, 1, security("coap://127.0.0.1:5683", false, Some(4), Origin::Smartcard));
        assert!(matches!(
            prepare(&ef_of(&unpaired), &DataModel::new(), &ValidationPolicy::default()),
            Err(SmartcardRejection::Invalid(Inconsistency::Unpaired(0, 1)))
        ));
        assert!(matches!(
            prepare(&[0, 1, 0, 9, 0], &DataModel::new(), &ValidationPolicy::default()),
            Err(SmartcardRejection::Ef(_))
        ));
    }

    #[test]
    fn strip_removes_only_card_instances() {
        let mut m = factory();
        m.insert(1, 7, Instance::new(Origin::Smartcard));
        assert!(strip_smartcard(&mut m));
        assert_eq!(m, factory());
        assert!(!strip_smartcard(&mut m));
    }
}
