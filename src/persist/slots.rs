//! Two storage slots written alternately.
//!
//! Generation `n` is written into slot `n % 2`, so a write never touches the slot that holds
//! the last complete image: a write cut off by a power loss leaves a torn image (refused by its
//! CRC) next to the intact previous one. At start the valid image with the highest generation
//! wins and the counter continues from it. Generations compare as serial numbers
//! (RFC 1982-style, wrapping), so the counter may wrap.
//!
//! An image that is not valid is reported and ignored, never trusted: damaged ones (torn
//! write, bit flips), foreign ones (other magic, a future format), and valid images found in
//! the wrong slot (the generation's parity says they belong to the other one: the firmware
//! mixed its slots up). An erased slot (all 0xFF or all 0x00) or an empty one is simply empty.

use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroize;

use super::image::{decode_image, encode_image, ImageError};
use crate::model::DataModel;

/// Number of storage slots.
pub const SLOT_COUNT: usize = 2;

/// The slot generation `generation` is written into.
pub fn slot_for(generation: u32) -> u8 {
    (generation % SLOT_COUNT as u32) as u8
}

/// True when generation `a` is newer than `b` (serial-number arithmetic, so the counter may
/// wrap around).
pub fn is_newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Something the firmware must do: write `image` into storage slot `slot` (0 or 1), in place,
/// replacing whatever the slot held. The other slot must not be touched.
///
/// The image holds key material: it is wiped when this value is dropped, and `Debug` shows
/// only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct StorageWrite {
    /// 0 or 1.
    pub slot: u8,
    /// The image's generation counter (`slot == generation % 2`).
    pub generation: u32,
    /// The complete image (see [`super::image`]).
    pub image: Vec<u8>,
}

impl Drop for StorageWrite {
    fn drop(&mut self) {
        self.image.zeroize();
    }
}

impl fmt::Debug for StorageWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageWrite")
            .field("slot", &self.slot)
            .field("generation", &self.generation)
            .field("len", &self.image.len())
            .finish_non_exhaustive()
    }
}

/// Why the image in a slot was ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Not an image of this library (other magic) or a format this version does not read.
    Foreign(ImageError),
    /// An image of this library that fails its checks: a torn write, flipped bits.
    Corrupt(ImageError),
    /// A valid image whose generation belongs to the other slot: the firmware's `load` and
    /// `save` disagree about which slot is which.
    WrongSlot {
        /// The image's generation.
        generation: u32,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Foreign(e) => write!(f, "foreign image ({e})"),
            Rejection::Corrupt(e) => write!(f, "corrupt image ({e})"),
            Rejection::WrongSlot { generation } => {
                write!(f, "image of generation {generation} in the wrong slot")
            }
        }
    }
}

/// What one slot held at restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotStatus {
    /// Nothing stored (absent, empty or erased).
    Empty,
    /// A valid image of this generation.
    Valid {
        /// Its generation counter.
        generation: u32,
    },
    /// Something stored but ignored.
    Ignored(Rejection),
}

/// What a restore found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoreReport {
    /// The slot the configuration was restored from; `None` when neither holds a valid image
    /// (the configuration was left as it was).
    pub used: Option<u8>,
    /// The generation restored (0 when none); the next write is this plus one.
    pub generation: u32,
    /// Each slot's status.
    pub slots: [SlotStatus; SLOT_COUNT],
}

impl RestoreReport {
    /// The slots whose content was ignored, and why.
    pub fn ignored(&self) -> impl Iterator<Item = (u8, Rejection)> + '_ {
        self.slots.iter().enumerate().filter_map(|(slot, status)| match status {
            SlotStatus::Ignored(why) => Some((slot as u8, *why)),
            _ => None,
        })
    }
}

/// The generation counter and slot choice of the persisted configuration.
#[derive(Clone, Debug, Default)]
pub struct Slots {
    /// Generation of the last image handed out (or restored).
    generation: u32,
    /// The last write may still be reported as failed (once).
    rewindable: bool,
}

impl Slots {
    /// Generation of the last image handed out or restored (0: none).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The last image handed out was not reported done or failed yet. While it is, no other
    /// write may be handed out: the next one would go to the slot holding the last good image.
    pub fn in_flight(&self) -> bool {
        self.rewindable
    }

    /// The next write: `model` as an image of the next generation, for the slot that does not
    /// hold the current one.
    pub fn write(&mut self, model: &DataModel) -> StorageWrite {
        let generation = self.generation.wrapping_add(1);
        self.generation = generation;
        self.rewindable = true;
        StorageWrite {
            slot: slot_for(generation),
            generation,
            image: encode_image(model, generation),
        }
    }

    /// The last write completed: it can no longer be reported as failed.
    pub fn write_done(&mut self) {
        self.rewindable = false;
    }

    /// The last write did not complete: its slot may be torn, the other still holds the last
    /// good image, so the next write goes to the same slot again (same generation). Returns
    /// the slot and generation of the failed write; `None` when there was no write to report
    /// (none since the last restore, or it was already reported done or failed).
    pub fn write_failed(&mut self) -> Option<(u8, u32)> {
        if !core::mem::take(&mut self.rewindable) {
            return None;
        }
        let failed = (slot_for(self.generation), self.generation);
        self.generation = self.generation.wrapping_sub(1);
        Some(failed)
    }

    /// Reads both slots (`None` = nothing stored) and returns the configuration of the valid
    /// image with the highest generation, with a report; the counter continues from it.
    pub fn restore(
        &mut self,
        slots: [Option<&[u8]>; SLOT_COUNT],
    ) -> (Option<DataModel>, RestoreReport) {
        let mut report =
            RestoreReport { used: None, generation: 0, slots: [SlotStatus::Empty; SLOT_COUNT] };
        let mut best: Option<DataModel> = None;
        for (slot, data) in slots.iter().enumerate() {
            let Some(data) = data.filter(|d| !is_erased(d)) else { continue };
            let (status, model) = match decode_image(data) {
                Err(e) if e.is_foreign() => (SlotStatus::Ignored(Rejection::Foreign(e)), None),
                Err(e) => (SlotStatus::Ignored(Rejection::Corrupt(e)), None),
                Ok((_, generation)) if usize::from(slot_for(generation)) != slot => {
                    (SlotStatus::Ignored(Rejection::WrongSlot { generation }), None)
                }
                Ok((model, generation)) => (SlotStatus::Valid { generation }, Some(model)),
            };
            report.slots[slot] = status;
            if let (SlotStatus::Valid { generation }, Some(model)) = (status, model) {
                if best.is_none() || is_newer(generation, report.generation) {
                    report.used = Some(slot as u8);
                    report.generation = generation;
                    best = Some(model);
                }
            }
        }
        self.generation = report.generation;
        self.rewindable = false;
        (best, report)
    }
}

/// Empty, or erased flash (all 0xFF, or all 0x00).
fn is_erased(data: &[u8]) -> bool {
    data.iter().all(|&b| b == 0xFF) || data.iter().all(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{server_res, Instance, Origin, Value};

    fn model(lifetime: i64) -> DataModel {
        let mut m = DataModel::new();
        m.insert(
            1,
            0,
            Instance::new(Origin::BootstrapServer)
                .with(server_res::SSID, Value::Integer(1))
                .with(server_res::LIFETIME, Value::Integer(lifetime)),
        );
        m
    }

    #[test]
    fn writes_alternate_and_a_restore_continues_the_generation() {
        let mut slots = Slots::default();
        let first = slots.write(&model(1));
        let second = slots.write(&model(2));
        assert_eq!((first.slot, first.generation), (1, 1));
        assert_eq!((second.slot, second.generation), (0, 2));
        assert_eq!(
            format!("{first:?}"),
            format!("StorageWrite {{ slot: 1, generation: 1, len: {}, .. }}", first.image.len())
        );

        let mut restarted = Slots::default();
        let (m, report) = restarted.restore([Some(&second.image), Some(&first.image)]);
        assert_eq!(m, Some(model(2)));
        assert_eq!(
            report,
            RestoreReport {
                used: Some(0),
                generation: 2,
                slots: [SlotStatus::Valid { generation: 2 }, SlotStatus::Valid { generation: 1 }],
            }
        );
        assert_eq!(report.ignored().count(), 0);
        assert_eq!((restarted.write(&model(3)).slot, restarted.generation()), (1, 3));
    }

    #[test]
    fn a_failed_write_is_retried_in_the_same_slot_once() {
        let mut slots = Slots::default();
        slots.write(&model(1));
        assert_eq!(slots.write_failed(), Some((1, 1)));
        assert_eq!(slots.write_failed(), None);
        let retry = slots.write(&model(1));
        assert_eq!((retry.slot, retry.generation), (1, 1));
        slots.write_done();
        assert_eq!(slots.write_failed(), None, "a write reported done cannot fail later");
        assert_eq!(slots.generation(), 1);
        let (_, report) = Slots::default().restore([None, None]);
        assert_eq!((report.used, report.generation), (None, 0));
    }

    #[test]
    fn erased_damaged_foreign_and_misplaced_slots() {
        let mut slots = Slots::default();
        let good = slots.write(&model(1)); // generation 1, slot 1
        let mut torn = slots.write(&model(2)).image.clone(); // generation 2, slot 0
        torn.truncate(torn.len() / 2);
        torn.resize(256, 0xFF);
        let (m, report) = Slots::default().restore([Some(&torn), Some(&good.image)]);
        assert_eq!(m, Some(model(1)));
        assert_eq!(report.used, Some(1));
        assert_eq!(
            report.ignored().collect::<Vec<_>>(),
            [(0, Rejection::Corrupt(ImageError::BadChecksum))]
        );

        let erased = [0xFFu8; 64];
        let (m, report) = Slots::default().restore([Some(&erased), Some(&[])]);
        assert_eq!((m, report.slots), (None, [SlotStatus::Empty; 2]));

        let mut foreign = good.image.clone();
        foreign[..4].copy_from_slice(b"WAKA");
        let (m, report) = Slots::default().restore([None, Some(&foreign)]);
        assert_eq!(m, None);
        assert_eq!(report.slots[1], SlotStatus::Ignored(Rejection::Foreign(ImageError::BadMagic)));

        // Generation 1 belongs to slot 1: found in slot 0, the firmware mixed its slots up.
        let (m, report) = Slots::default().restore([Some(&good.image), None]);
        assert_eq!(m, None);
        assert_eq!(report.slots[0], SlotStatus::Ignored(Rejection::WrongSlot { generation: 1 }));
        assert_eq!(
            Rejection::WrongSlot { generation: 1 }.to_string(),
            "image of generation 1 in the wrong slot"
        );
        assert_eq!(
            Rejection::Corrupt(ImageError::BadChecksum).to_string(),
            "corrupt image (CRC-32 mismatch)"
        );
    }

    #[test]
    fn generations_compare_across_the_wrap() {
        assert!(is_newer(2, 1) && !is_newer(1, 2) && !is_newer(5, 5));
        assert!(is_newer(0, u32::MAX) && is_newer(1, u32::MAX - 1));
        let mut old = Slots { generation: u32::MAX - 1, rewindable: false };
        let last = old.write(&model(1)); // u32::MAX, slot 1
        let wrapped = old.write(&model(2)); // 0, slot 0
        assert_eq!((last.slot, wrapped.slot, wrapped.generation), (1, 0, 0));
        let (m, report) = Slots::default().restore([Some(&wrapped.image), Some(&last.image)]);
        assert_eq!((m, report.used, report.generation), (Some(model(2)), Some(0), 0));
    }
}
