//! Change detection for EF LwM2M_Bootstrap (LwM2M Core §5.2.3.2 / 1.1.1 §6.1.3.2): before each
//! Register and Update to a server that came from the card, the client reads the EF again and
//! compares a digest with the one of the content it applied, without re-parsing.
//!
//! The digest is 64-bit FNV-1a over the length and the raw bytes of the EF as read (padding
//! included). It detects change; it does not authenticate. That is enough: whoever can rewrite
//! the EF (the card issuer, over the air) can put any content there anyway, so a collision
//! gains an attacker nothing, and the content that is applied is always the EF itself, parsed
//! and validated, never something looked up by digest. A cryptographic hash would need a
//! dependency for no gain; 64 bits rather than the CRC-32 of the persisted image make an
//! accidental collision between two provisioning versions negligible (2^-64 per change).

use core::fmt;

/// A 64-bit FNV-1a digest of an EF's raw content.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub u64);

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({:016x})", self.0)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Streaming 64-bit FNV-1a (also the client's session fingerprint): detects change, does not
/// authenticate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv64(u64);

impl Fnv64 {
    /// The FNV-1a 64 offset basis.
    pub(crate) const fn new() -> Fnv64 {
        Fnv64(0xCBF2_9CE4_8422_2325)
    }

    /// Hashes `bytes` into the state.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }

    /// The hash so far.
    pub(crate) fn finish(self) -> u64 {
        self.0
    }
}

/// Plain 64-bit FNV-1a of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = Fnv64::new();
    h.feed(bytes);
    h.finish()
}

/// The digest of an EF: FNV-1a 64 over its length (4 bytes, big-endian) then its bytes.
pub fn digest(ef: &[u8]) -> Digest {
    let mut h = Fnv64::new();
    h.feed(&u32::try_from(ef.len()).unwrap_or(u32::MAX).to_be_bytes());
    h.feed(ef);
    Digest(h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_reference_values() {
        // Published FNV-1a 64 test values.
        assert_eq!(fnv1a64(b""), 0xCBF2_9CE4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xAF63_DC4C_8601_EC8C);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_F739_67E8);
    }

    #[test]
    fn digest_changes_iff_content_changes() {
        let a = [0u8, 1, 0, 4, 1, 2, 3, 4];
        assert_eq!(digest(&a), digest(&a.clone()));
        for i in 0..a.len() {
            let mut b = a;
            b[i] ^= 1;
            assert_ne!(digest(&a), digest(&b), "byte {i}");
        }
        assert_ne!(digest(&a), digest(&a[..7]));
        assert_ne!(digest(&[]), digest(&[0]));
    }
}
