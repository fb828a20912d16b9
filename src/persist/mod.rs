//! Persistence of the committed configuration, above [`crate::model`]
//! and [`crate::codec`]:
//! - [`image`]: the self-describing image format (magic, format version, generation, length,
//!   CRC-32, OMA-TLV payload with the origin of each instance);
//! - [`slots`]: two slots written alternately, the generation counter, restore;
//! - [`sessions`]: the record of saved DTLS sessions (abbreviated handshakes after a restart).
//!
//! Nothing here touches storage: images go out and come back in as byte slices.

pub mod image;
pub mod sessions;
pub mod slots;

pub use image::{crc32, decode_image, encode_image, ImageError};
pub use sessions::{decode_sessions, encode_sessions, SessionEntry, SessionRecord, SessionRestore};
pub use slots::{Rejection, RestoreReport, SlotStatus, Slots, StorageWrite, SLOT_COUNT};
