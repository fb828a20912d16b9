//! The firmware's own objects inside the bootstrap transaction (Bootstrap writes
//! to other objects go to the firmware inside the same transaction). Bootstrap-Writes and
//! -Deletes of objects the library does not own (anything but /0, /1, /2) are handed to a
//! [`FirmwareObjects`] implementation: `begin` before the first of them, then `write` /
//! `delete`, `validate` at Bootstrap-Finish (a veto answers 4.06), and `end(true)` when the
//! bootstrap committed or `end(false)` when it was rolled back (the session ended without a
//! successful Finish: timeout, stop, failure). A refused Finish (4.06) ends nothing: the
//! transaction stays open for the corrected writes and the next Finish. Without one, such writes keep answering 4.04.

use alloc::boxed::Box;

use crate::coap::Code;
use crate::model::Path;

/// The firmware's side of the bootstrap transaction for its own objects.
pub trait FirmwareObjects: Send {
    /// A bootstrap transaction touching the firmware's objects begins.
    fn begin(&mut self);
    /// A Bootstrap-Write of `path` (object, instance or resource) with the raw payload in
    /// `content_format` (TLV 11542 as a rule). Returns the response code (2.04 on success).
    fn write(&mut self, path: &Path, content_format: u16, payload: &[u8]) -> Code;
    /// A Bootstrap-Delete of `path`: `/` (every instance of the firmware's objects except the
    /// Device instance /3/0), an object, or an instance. Returns the response code (2.02).
    fn delete(&mut self, path: &Path) -> Code;
    /// Bootstrap-Finish: is the staged state of the firmware's objects consistent? `false`
    /// refuses the Finish with 4.06.
    fn validate(&mut self) -> bool;
    /// The transaction ends: commit the staged writes (`true`) or drop them (`false`).
    fn end(&mut self, commit: bool);
}

/// A [`FirmwareObjects`] with the transaction bookkeeping: `begin` once before the first
/// operation, `validate` and `end` only when a transaction was begun.
pub struct FirmwareTransaction {
    objects: Box<dyn FirmwareObjects>,
    open: bool,
}

impl FirmwareTransaction {
    /// Wraps the firmware's implementation.
    pub fn new(objects: Box<dyn FirmwareObjects>) -> FirmwareTransaction {
        FirmwareTransaction { objects, open: false }
    }

    /// True between `begin` and `end`.
    pub fn is_open(&self) -> bool {
        self.open
    }

    fn ensure_open(&mut self) {
        if !self.open {
            self.objects.begin();
            self.open = true;
        }
    }

    /// Forwards a Bootstrap-Write.
    pub fn write(&mut self, path: &Path, content_format: u16, payload: &[u8]) -> Code {
        self.ensure_open();
        self.objects.write(path, content_format, payload)
    }

    /// Forwards a Bootstrap-Delete.
    pub fn delete(&mut self, path: &Path) -> Code {
        self.ensure_open();
        self.objects.delete(path)
    }

    /// Asks the firmware at Finish; true when no transaction is open.
    pub fn validate(&mut self) -> bool {
        !self.open || self.objects.validate()
    }

    /// Ends an open transaction.
    pub fn end(&mut self, commit: bool) {
        if self.open {
            self.open = false;
            self.objects.end(commit);
        }
    }
}

impl core::fmt::Debug for FirmwareTransaction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FirmwareTransaction").field("open", &self.open).finish()
    }
}
