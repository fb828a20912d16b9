//! A bounded cache of message IDs seen from the peer (RFC 7252 §4.5), with the reply sent
//! for each so that a duplicate CON gets the same bytes again.

use super::block::BlockOption;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// How many message IDs a [`DedupCache`] remembers; the oldest is evicted beyond that.
pub const DEDUP_CAPACITY: usize = 16;

/// One remembered incoming message.
#[derive(Clone, Debug)]
pub(super) struct DedupEntry {
    /// The peer's message ID.
    pub mid: u16,
    /// When the entry expires (EXCHANGE_LIFETIME or NON_LIFETIME after receipt).
    pub expires: u64,
    /// The encoded reply, once sent.
    pub reply: Option<Vec<u8>>,
    /// For the last block of a reassembled Block1 request: the option to echo.
    pub block1_echo: Option<BlockOption>,
}

/// Message IDs seen from the peer, oldest first, at most [`DEDUP_CAPACITY`].
#[derive(Clone, Debug, Default)]
pub(super) struct DedupCache {
    entries: VecDeque<DedupEntry>,
}

impl DedupCache {
    /// The live entry for `mid`, if any.
    pub fn get_mut(&mut self, now: u64, mid: u16) -> Option<&mut DedupEntry> {
        self.expire(now);
        self.entries.iter_mut().find(|e| e.mid == mid)
    }

    /// Remembers `mid` until `expires`, evicting the oldest entry when full.
    pub fn insert(&mut self, now: u64, mid: u16, expires: u64) {
        self.expire(now);
        self.entries.retain(|e| e.mid != mid);
        while self.entries.len() >= DEDUP_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(DedupEntry { mid, expires, reply: None, block1_echo: None });
    }

    /// Drops expired entries.
    pub fn expire(&mut self, now: u64) {
        self.entries.retain(|e| e.expires > now);
    }

    /// The number of live-or-not-yet-purged entries.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_expiry() {
        let mut c = DedupCache::default();
        c.insert(0, 7, 100);
        assert!(c.get_mut(99, 7).is_some());
        assert!(c.get_mut(99, 8).is_none());
        assert!(c.get_mut(100, 7).is_none());
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn bounded_evicts_oldest() {
        let mut c = DedupCache::default();
        for mid in 0..(DEDUP_CAPACITY as u16 + 4) {
            c.insert(0, mid, 1000);
        }
        assert_eq!(c.len(), DEDUP_CAPACITY);
        assert!(c.get_mut(0, 3).is_none());
        assert!(c.get_mut(0, 4).is_some());
        c.insert(0, 4, 1000);
        assert_eq!(c.len(), DEDUP_CAPACITY);
    }
}
