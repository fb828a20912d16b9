//! Persistence of the committed configuration (DESIGN.md "Persistence"), above [`crate::model`]
//! and [`crate::codec`]:
//! - [`image`]: the self-describing image format (magic, format version, generation, length,
//!   CRC-32, OMA-TLV payload with the origin of each instance);
//!
//! Nothing here touches storage: images go out and come back in as byte slices.

pub mod image;

pub use image::{crc32, decode_image, encode_image, ImageError};
