//! The Block1 / Block2 option value (RFC 7959 §2.2), encoded and decoded here rather than by
//! coap-lite, which truncates block numbers above 4095 and rejects 3-byte values.

use super::error::DecodeError;
use alloc::vec::Vec;

/// A decoded Block1 or Block2 option: block number, more flag and size exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockOption {
    /// The block number (0 ..= 2^20 - 1); the block starts at byte `num * size()`.
    pub num: u32,
    /// M: more blocks follow (Block1 request / Block2 response), or in a Block1 response
    /// echo, whether the server is still waiting for more.
    pub more: bool,
    /// SZX: the block size is `16 << szx`, 0 ..= 6 (7 is BERT and not supported).
    pub szx: u8,
}

impl BlockOption {
    /// The largest block number the 20-bit NUM field holds.
    pub const MAX_NUM: u32 = (1 << 20) - 1;
    /// The largest supported SZX (1024-byte blocks).
    pub const MAX_SZX: u8 = 6;

    /// A block option; `szx` above 6 is clamped to 6 and `num` to [`Self::MAX_NUM`].
    pub fn new(num: u32, more: bool, szx: u8) -> BlockOption {
        BlockOption { num: num.min(Self::MAX_NUM), more, szx: szx.min(Self::MAX_SZX) }
    }

    /// The block size in bytes, `16 << szx` (an out-of-range `szx` counts as 6).
    pub fn size(&self) -> usize {
        16usize << self.szx.min(Self::MAX_SZX)
    }

    /// The byte offset of the block, `num * size()`, if it fits in `usize`.
    pub fn offset(&self) -> Option<usize> {
        usize::try_from(self.num).ok()?.checked_mul(self.size())
    }

    /// The option value: the minimal 0..3-byte big-endian encoding of
    /// `num << 4 | more << 3 | szx` (`num` masked to 20 bits, `szx` clamped to 6).
    pub fn encode(&self) -> Vec<u8> {
        let value = ((self.num & Self::MAX_NUM) << 4)
            | (u32::from(self.more) << 3)
            | u32::from(self.szx.min(Self::MAX_SZX));
        let bytes = value.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        bytes.get(skip..).map(<[u8]>::to_vec).unwrap_or_default()
    }

    /// Decodes a 0..3-byte option value; SZX 7 (BERT) and longer values are errors.
    pub fn decode(bytes: &[u8]) -> Result<BlockOption, DecodeError> {
        if bytes.len() > 3 {
            return Err(DecodeError::InvalidBlockOption);
        }
        let value = bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
        let szx = (value & 0x07) as u8;
        if szx == 7 {
            return Err(DecodeError::InvalidBlockOption);
        }
        Ok(BlockOption { num: value >> 4, more: value & 0x08 != 0, szx })
    }

    /// The largest SZX whose block size is at most `size` (0 for sizes below 32, 6 from 1024).
    pub fn szx_for_size(size: usize) -> u8 {
        let mut szx = 0;
        while szx < Self::MAX_SZX && (32usize << szx) <= size {
            szx += 1;
        }
        szx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    #[test]
    fn encodes_minimal_lengths() {
        assert_eq!(BlockOption::new(0, false, 0).encode(), Vec::<u8>::new());
        assert_eq!(BlockOption::new(0, true, 6).encode(), vec![0x0e]);
        assert_eq!(BlockOption::new(15, false, 2).encode(), vec![0xf2]);
        assert_eq!(BlockOption::new(16, false, 2).encode(), vec![0x01, 0x02]);
        assert_eq!(BlockOption::new(4096, true, 6).encode(), vec![0x01, 0x00, 0x0e]);
        assert_eq!(
            BlockOption::new(BlockOption::MAX_NUM, true, 6).encode(),
            vec![0xff, 0xff, 0xfe]
        );
    }

    #[test]
    fn decodes_and_rejects() {
        assert_eq!(BlockOption::decode(&[]), Ok(BlockOption::new(0, false, 0)));
        assert_eq!(BlockOption::decode(&[0x01, 0x00, 0x0e]), Ok(BlockOption::new(4096, true, 6)));
        assert_eq!(BlockOption::decode(&[0x0f]), Err(DecodeError::InvalidBlockOption));
        assert_eq!(BlockOption::decode(&[0, 0, 0, 1]), Err(DecodeError::InvalidBlockOption));
    }

    #[test]
    fn sizes() {
        assert_eq!(BlockOption::new(0, false, 0).size(), 16);
        assert_eq!(BlockOption::new(0, false, 6).size(), 1024);
        assert_eq!(BlockOption { num: 3, more: false, szx: 9 }.size(), 1024);
        assert_eq!(BlockOption::new(3, false, 4).offset(), Some(768));
        assert_eq!(BlockOption::szx_for_size(0), 0);
        assert_eq!(BlockOption::szx_for_size(31), 0);
        assert_eq!(BlockOption::szx_for_size(32), 1);
        assert_eq!(BlockOption::szx_for_size(1000), 5);
        assert_eq!(BlockOption::szx_for_size(1024), 6);
        assert_eq!(BlockOption::szx_for_size(usize::MAX), 6);
    }

    proptest! {
        #[test]
        fn round_trip(num in 0u32..=BlockOption::MAX_NUM, more: bool, szx in 0u8..=6) {
            let block = BlockOption::new(num, more, szx);
            let bytes = block.encode();
            prop_assert!(bytes.len() <= 3);
            prop_assert_eq!(BlockOption::decode(&bytes), Ok(block));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..6)) {
            let _ = BlockOption::decode(&bytes);
        }
    }
}
