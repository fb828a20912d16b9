//! The client's smartcard side (Core 1.1 §5.2.3.2): step 1 of the Bootstrap Sequence at
//! `start`, and the change and removal check before each Register, Update and
//! Bootstrap-Request while a card configuration is applied.
//!
//! A card configuration replaces the committed one as a whole: the previous (factory,
//! restored or bootstrapped) configuration is shelved and comes back, untouched, when the card
//! is removed or becomes unreadable. Everything that happens while a card configuration is
//! applied (DM writes, a bootstrap from the card's Bootstrap-Server) depends on the card and
//! goes with it; none of it is persisted.

#[cfg(feature = "smartcard")]
pub(super) use with_card::*;

#[cfg(not(feature = "smartcard"))]
pub(super) use without_card::*;

/// A build without the `smartcard` feature: step 1 finds no card, every check passes.
#[cfg(not(feature = "smartcard"))]
mod without_card {
    use crate::client::Client;

    /// The client's card side without smartcard support: only the change counter.
    #[derive(Default)]
    pub(in crate::client) struct CardSide {
        /// Never bumped without a card.
        pub epoch: u32,
    }

    impl Client {
        /// Always false: this build has no Bootstrap from Smartcard.
        pub fn smartcard_applied(&self) -> bool {
            false
        }

        /// Step 1: no card in this build.
        pub(in crate::client) fn smartcard_step(&mut self, _now: u64) -> bool {
            false
        }

        /// Nothing is applied, nothing to put back.
        pub(in crate::client) fn unapply_card(&mut self) {}

        /// No card configuration: the caller may go on.
        pub(in crate::client) fn card_check(&mut self, _now: u64) -> bool {
            true
        }
    }
}

#[cfg(feature = "smartcard")]
mod with_card {
    use alloc::vec::Vec;

    use crate::bootstrap::BootstrapFailure;
    use crate::client::{Client, ClientError, ConnId, Event, Run};
    use crate::coap::content_format;
    use crate::model::{Path, Store};
    use crate::rules::card_step::{prepare, strip_smartcard, Applied, CardRead};
    use crate::rules::{Smartcard, SmartcardRejection, StateReason};
    use crate::smartcard::EfContent;

    /// The client's card side: the firmware's smartcard (with the configuration applied from
    /// it, if any) and a counter of card changes.
    #[derive(Default)]
    pub(in crate::client) struct CardSide {
        /// The firmware's smartcard.
        pub card: Option<Smartcard>,
        /// Bumped whenever a card change replaces the configuration: loops over the old
        /// registration procedure stop.
        pub epoch: u32,
    }

    impl CardSide {
        /// Whether a card configuration is in effect.
        pub fn applied(&self) -> bool {
            self.card.as_ref().is_some_and(|c| c.applied.is_some())
        }
    }

    impl Client {
        /// Installs (or removes) the firmware's smartcard: step 1 of the Bootstrap Sequence reads
        /// it at every `start`, and while its configuration is applied it is read again before
        /// each Register, Update and Bootstrap-Request. Only while stopped.
        pub fn set_smartcard(&mut self, card: Option<Smartcard>) -> Result<(), ClientError> {
            if self.run != Run::Stopped {
                return Err(ClientError::AlreadyStarted);
            }
            self.unapply_card();
            self.card.card = card;
            Ok(())
        }

        /// The installed smartcard, if any (its configuration can be changed while stopped).
        pub fn smartcard_mut(&mut self) -> Option<&mut Smartcard> {
            if self.run != Run::Stopped {
                return None;
            }
            self.card.card.as_mut()
        }

        /// Whether a smartcard configuration is in effect (its servers are the ones used).
        pub fn smartcard_applied(&self) -> bool {
            self.card.applied()
        }

        /// Step 1 at `start`: reads the card and applies its configuration. True when applied.
        pub(in crate::client) fn smartcard_step(&mut self, now: u64) -> bool {
            self.unapply_card();
            if strip_smartcard(self.store.committed_mut()) {
                // Card data in a restored image (an older version wrote it): never trusted.
                self.configuration_changed();
            }
            match self.read_card(now) {
                None | Some(CardRead::Absent) => false,
                Some(CardRead::Unreadable(e)) => {
                    self.events.push_back(Event::SmartcardRejected {
                        reason: SmartcardRejection::Card(e),
                    });
                    false
                }
                Some(CardRead::Read(content)) => self.apply_card(content),
            }
        }

        fn read_card(&mut self, now: u64) -> Option<CardRead> {
            let challenge = self.rng.next_u64().to_be_bytes();
            let card = self.card.card.as_mut()?;
            card.checked_at = Some(now);
            Some(card.read(challenge))
        }

        /// Parses, validates and applies `content`; the committed configuration is shelved.
        fn apply_card(&mut self, content: EfContent) -> bool {
            let prepared = match prepare(&content.data, self.store.committed(), &self.config.policy)
            {
                Ok(p) => p,
                Err(reason) => {
                    self.events.push_back(Event::SmartcardRejected { reason });
                    return false;
                }
            };
            let mut ignored = prepared.other_objects.len();
            if let (Some(firmware), false) =
                (self.bootstrap.firmware.as_mut(), prepared.other_objects.is_empty())
            {
                ignored = 0;
                for object in &prepared.other_objects {
                    let path = Path::object(object.object_id);
                    if !firmware.write(&path, content_format::TLV, &object.tlv).is_success() {
                        ignored += 1;
                    }
                }
                if !firmware.validate() {
                    firmware.end(false);
                    let reason = SmartcardRejection::FirmwareVeto;
                    self.events.push_back(Event::SmartcardRejected { reason });
                    return false;
                }
                firmware.end(true);
            }
            let shelved = core::mem::replace(&mut self.store, Store::new(prepared.model));
            let Some(card) = self.card.card.as_mut() else { return false };
            card.applied = Some(Applied {
                digest: content.digest,
                path: content.path.clone(),
                shelved: shelved.committed().clone(),
            });
            self.events.push_back(Event::SmartcardApplied {
                accounts: prepared.accounts,
                bootstrap_account: prepared.bootstrap_account,
                ignored_objects: ignored,
            });
            true
        }

        /// Puts the shelved configuration back (card removed, changed, or the client stopped).
        pub(in crate::client) fn unapply_card(&mut self) {
            let Some(applied) = self.card.card.as_mut().and_then(|c| c.applied.take()) else {
                return;
            };
            self.store = Store::new(applied.shelved);
        }

        /// The check of Core 1.1 §5.2.3.2 before a Register, an Update or a Bootstrap-Request while
        /// a card configuration is applied: true when the caller may go on. Otherwise the card
        /// changed or went, the configuration was replaced and a new registration procedure runs.
        pub(in crate::client) fn card_check(&mut self, now: u64) -> bool {
            let Some(card) = self.card.card.as_ref() else { return true };
            let Some(applied) = card.applied.as_ref() else { return true };
            if card.checked_at == Some(now) {
                return true;
            }
            let known = applied.digest;
            match self.read_card(now) {
                None => true,
                Some(CardRead::Read(content)) if content.digest == known => true,
                Some(CardRead::Read(content)) => {
                    self.card_replaced(now, Some(content), None);
                    false
                }
                Some(CardRead::Absent) => {
                    self.card_replaced(now, None, None);
                    false
                }
                Some(CardRead::Unreadable(e)) => {
                    self.card_replaced(now, None, Some(e));
                    false
                }
            }
        }

        /// The applied card changed (`new`) or went: everything that depends on its
        /// configuration stops (a running bootstrap is cancelled, registrations are dropped and
        /// their connections closed, without De-register: that information is disabled), the
        /// shelved configuration comes back, the new content is applied when valid, and the
        /// sequence starts over from step 3.
        fn card_replaced(
            &mut self,
            now: u64,
            new: Option<EfContent>,
            error: Option<crate::smartcard::CardError>,
        ) {
            self.card.epoch = self.card.epoch.wrapping_add(1);
            self.fail_bootstrap(now, BootstrapFailure::Cancelled);
            self.reset_bootstrap_timers();
            let old: Vec<ConnId> = self.registrations.by_ssid.values().map(|(c, _)| *c).collect();
            self.registrations.by_ssid.clear();
            for conn in old {
                self.close_connection(conn);
            }
            self.unapply_card();
            let applied = match new {
                Some(content) => {
                    self.events.push_back(Event::SmartcardChanged);
                    self.apply_card(content)
                }
                None => {
                    self.events.push_back(Event::SmartcardRemoved { reason: error });
                    false
                }
            };
            let reason =
                if applied { StateReason::Smartcard } else { StateReason::FactoryConfiguration };
            self.registrations.reason = reason;
            self.begin_registration(now, reason);
        }
    }
}
