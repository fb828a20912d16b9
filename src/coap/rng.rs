//! A tiny deterministic PRNG (SplitMix64) for message IDs, tokens and retransmission
//! jitter. Not cryptographically secure; seed it from a real entropy source.

/// SplitMix64 generator; every seed, including 0, gives a full-period sequence.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A value in `lo..=hi` (`lo` if `hi < lo`); the modulo bias is negligible for our uses.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.next_u64() % span,
            None => self.next_u64(),
        }
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            for (dst, src) in chunk.iter_mut().zip(bytes) {
                *dst = src;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_zero_works() {
        let mut a = Rng::new(0);
        let mut b = Rng::new(0);
        let x = a.next_u64();
        assert_ne!(x, 0);
        assert_eq!(x, b.next_u64());
        assert_ne!(a.next_u64(), x);
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn range_bounds() {
        let mut r = Rng::new(42);
        for _ in 0..1000 {
            let v = r.range(2000, 3000);
            assert!((2000..=3000).contains(&v));
        }
        assert_eq!(r.range(5, 5), 5);
        assert_eq!(r.range(9, 3), 9);
        let _ = r.range(0, u64::MAX);
    }

    #[test]
    fn fill_covers_odd_lengths() {
        let mut r = Rng::new(7);
        let mut buf = [0u8; 13];
        r.fill(&mut buf);
        assert!(buf.iter().any(|b| *b != 0));
        let mut empty: [u8; 0] = [];
        r.fill(&mut empty);
        let _ = r.next_u32();
    }
}
