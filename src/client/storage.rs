//! Persistence commands of [`Client`]: restore from the two storage slots, hand out writes.
//!
//! The client never touches storage. Every committed change comes out as an
//! [`Event::StorageWrite`] (before the [`Event::ConfigurationChanged`] that announces it, and
//! before the datagrams of the same step: drain events first, as documented, and a
//! Bootstrap-Finish is acknowledged only after its configuration was handed out for writing).
//! At start the firmware reads both slots and calls [`Client::restore`].

use super::{Client, ClientError, Event, State};
use crate::model::Store;
use crate::persist::{RestoreReport, SLOT_COUNT};

impl Client {
    /// Restores the committed configuration from the two storage slots (`None` or an empty
    /// slice: nothing stored): the valid image with the highest generation wins, and later
    /// writes continue its generation counter. Corrupt, foreign or misplaced images are never
    /// trusted: each is reported in the returned [`RestoreReport`] and as an
    /// [`Event::StorageIgnored`]. Without a valid image the configuration is left as it is.
    /// Only while stopped.
    pub fn restore(
        &mut self,
        slots: [Option<&[u8]>; SLOT_COUNT],
    ) -> Result<RestoreReport, ClientError> {
        if self.state != State::Idle {
            return Err(ClientError::AlreadyStarted);
        }
        let (model, report) = self.slots.restore(slots);
        if let Some(model) = model {
            self.store = Store::new(model);
        }
        for (slot, reason) in report.ignored() {
            self.events.push_back(Event::StorageIgnored { slot, reason });
        }
        Ok(report)
    }

    /// Hands out the committed configuration as an [`Event::StorageWrite`] now, for example
    /// after factory provisioning so that it survives a restart without provisioning again.
    /// (The client does this by itself after every bootstrap.)
    pub fn persist_configuration(&mut self) {
        self.configuration_changed();
    }

    /// The firmware could not complete the last [`Event::StorageWrite`]: its slot may be torn.
    /// The other slot still holds the previous image, so the next write goes to the same slot
    /// again. The configuration in memory stays as it is.
    pub fn storage_write_failed(&mut self) {
        self.slots.write_failed();
    }

    /// The generation counter of the last image handed out or restored (0: none).
    pub fn storage_generation(&self) -> u32 {
        self.slots.generation()
    }

    /// The committed configuration changed: queue its write into the next slot, then
    /// announce it with [`Event::ConfigurationChanged`]. While a smartcard configuration is
    /// applied nothing is written: that configuration comes from the card (read again at every
    /// start) and what is stored stays the configuration from before the card.
    pub(super) fn configuration_changed(&mut self) {
        if !self.smartcard_applied() {
            let write = self.slots.write(self.store.committed());
            self.events.push_back(Event::StorageWrite(write));
        }
        self.events.push_back(Event::ConfigurationChanged);
    }
}
