//! Entropy for DTLS: the firmware's entropy source fills [`Entropy`] once (through
//! `Config::entropy`); every session gets its own HMAC-DRBG (SHA-256, NIST SP 800-90A),
//! instantiated from that entropy plus a per-session nonce from the engine's generator. No
//! OS random number generator is called inside the engine.

use core::fmt;

use zeroize::Zeroize;

/// 32 bytes of entropy from the firmware. All zero (the default) is only fit for tests: the
/// sessions then depend on `Config::seed` alone (64 bits).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Entropy(pub [u8; 32]);

impl Entropy {
    /// True when nothing was provided.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }
}

impl fmt::Debug for Entropy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_empty() { "Entropy(none)" } else { "Entropy(..)" })
    }
}

impl Drop for Entropy {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
/// The seed material of one session's DRBG: entropy ‖ engine seed ‖ per-session nonce.
pub(crate) fn session_seed(entropy: &Entropy, engine_seed: u64, nonce: u64) -> [u8; 56] {
    let mut out = [0u8; 56];
    out[..32].copy_from_slice(&entropy.0);
    out[32..40].copy_from_slice(&engine_seed.to_le_bytes());
    out[40..48].copy_from_slice(&nonce.to_le_bytes());
    out[48..].copy_from_slice(b"lwbsdtls");
    out
}
