//! Persistence commands of [`Client`]: restore from the two storage slots, hand out writes.
//!
//! The client never touches storage. Every committed change comes out as an
//! [`Event::StorageWrite`] (before the [`Event::ConfigurationChanged`] that announces it, and
//! before the datagrams of the same step: drain events first, as documented). The firmware
//! reports the outcome of each write with [`Client::storage_write_done`] or
//! [`Client::storage_write_failed`]. A Bootstrap-Finish is answered 2.04 only after its
//! configuration was reported written (the durability contract of `docs/persistence.md`):
//! until then the Finish is unanswered and the new configuration uncommitted; a failed write
//! answers it 5.00 and keeps the previous configuration.
//! At start the firmware reads both slots and calls [`Client::restore`].

use super::{Client, ClientError, Event, Run};
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
        if self.run != Run::Stopped {
            return Err(ClientError::AlreadyStarted);
        }
        let (model, report) = self.slots.restore(slots);
        self.slots_queued = false;
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
    /// (The client does this by itself after every change it makes.) If that write fails
    /// ([`Client::storage_write_failed`]), the configuration in memory stays as provisioned and
    /// the previous image stays the valid one in storage: call this again to retry.
    pub fn persist_configuration(&mut self) {
        self.configuration_changed();
    }

    /// The firmware completed the last [`Event::StorageWrite`]: the image is durable. When it
    /// was the write of an accepted Bootstrap-Finish, the new configuration is committed now,
    /// the Finish answered 2.04 ([`Event::BootstrapFinished`] then
    /// [`Event::ConfigurationChanged`]) and registration starts. Reporting a write that was
    /// already reported, or none, changes nothing.
    pub fn storage_write_done(&mut self, now: u64) {
        let reported = self.slots.in_flight();
        self.slots.write_done();
        if self.bootstrap.is_finishing() {
            if self.bootstrap.finish_write_out {
                self.complete_bootstrap(now);
            } else if reported {
                // An earlier write completed: now the Finish's own.
                self.hand_out_write();
            }
        } else if reported && core::mem::take(&mut self.slots_queued) {
            self.hand_out_write();
        }
    }

    /// The firmware could not complete the last [`Event::StorageWrite`]: its slot may be torn.
    /// [`Event::StorageFailed`] reports it; the other slot still holds the previous image, so
    /// the next write goes to the same slot again (same generation).
    /// - The write of an accepted Bootstrap-Finish: the new configuration is discarded, the
    ///   previous one stays in memory (and in storage), the Finish is answered 5.00 Internal
    ///   Server Error and the bootstrap fails with [`crate::bootstrap::BootstrapFailure::Storage`]
    ///   (retried after the back-off when no registration is alive).
    /// - Any other write (factory provisioning, a DM server's write to /1, the TLS alert
    ///   code, the Bootstrap-Server account purge, stripping card data from an old image): the
    ///   configuration in memory stays as it is (a purged account stays purged) and goes into
    ///   storage with the next write.
    ///
    /// Reporting a write that was already reported, or none, changes nothing.
    pub fn storage_write_failed(&mut self, now: u64) {
        let reported = self.slots.write_failed();
        if let Some((slot, generation)) = reported {
            self.events.push_back(Event::StorageFailed { slot, generation });
        }
        if self.bootstrap.is_finishing() {
            if self.bootstrap.finish_write_out || reported.is_none() {
                self.fail_bootstrap(now, crate::bootstrap::BootstrapFailure::Storage);
            } else {
                // An earlier write failed (its slot is rewound): now the Finish's own.
                self.hand_out_write();
            }
        } else if reported.is_some() && core::mem::take(&mut self.slots_queued) {
            self.hand_out_write();
        }
    }

    /// Restores the saved DTLS sessions from the session record the firmware read (`record`;
    /// empty: none), after [`Client::restore`] and only while stopped. A session is kept
    /// when its LwM2M Server account in the restored configuration still has the security
    /// material the session was made from; the others are left out. With no configuration
    /// image restored (factory state: storage erased, a factory reset) every session is
    /// discarded. A record that fails its checks (torn, corrupt, foreign) is ignored as a
    /// whole. Whatever was left out, the record is written again
    /// ([`Event::SessionsWrite`], with [`super::Config::persist_sessions`]).
    pub fn restore_sessions(
        &mut self,
        record: &[u8],
    ) -> Result<crate::persist::SessionRestore, ClientError> {
        use crate::persist::{decode_sessions, SessionRestore};
        if self.run != Run::Stopped {
            return Err(ClientError::AlreadyStarted);
        }
        let mut report = SessionRestore::default();
        let entries = match decode_sessions(record) {
            Ok(entries) => entries,
            Err(e) => {
                report.ignored = Some(e);
                alloc::vec::Vec::new()
            }
        };
        let total = entries.len();
        let factory_state = self.slots.generation() == 0;
        let entries = if factory_state { alloc::vec::Vec::new() } else { entries };
        report.restored = self.connections.restore_sessions(entries, self.store.committed());
        report.discarded = total - report.restored;
        if report.discarded > 0 || report.ignored.is_some() {
            self.connections.mark_sessions_changed();
        }
        Ok(report)
    }

    /// The generation counter of the last image handed out or restored (0: none).
    pub fn storage_generation(&self) -> u32 {
        self.slots.generation()
    }

    /// The committed configuration changed: queue its write into the next slot, then
    /// announce it with [`Event::ConfigurationChanged`]. While a smartcard configuration is
    /// applied nothing is written: that configuration comes from the card (read again at every
    /// start) and what is stored stays the configuration from before the card.
    ///
    /// While an accepted Bootstrap-Finish waits for its own write, the write is deferred: the
    /// slot after the Finish's must not be written before the Finish's outcome is known.
    pub(super) fn configuration_changed(&mut self) {
        if self.bootstrap.is_finishing() {
            self.bootstrap.write_deferred = true;
            return;
        }
        if !self.smartcard_applied() {
            self.hand_out_write();
        }
        self.connections.prune_sessions(self.store.committed());
        self.events.push_back(Event::ConfigurationChanged);
    }

    /// Hands out the image to write now, or queues it while another write is in flight
    /// (found by the whole-client fuzz target: with two writes in flight, the second went to
    /// the slot of the last good image, and the first's report was taken for the second's).
    /// While a Finish waits, the image is the Finish's staged configuration.
    pub(super) fn hand_out_write(&mut self) {
        if self.slots.in_flight() {
            if !self.bootstrap.is_finishing() {
                self.slots_queued = true;
            }
            return;
        }
        let write = if self.bootstrap.is_finishing() {
            self.bootstrap.finish_write_out = true;
            self.slots.write(self.store.current())
        } else {
            self.slots_queued = false;
            self.slots.write(self.store.committed())
        };
        self.events.push_back(Event::StorageWrite(write));
    }
}
