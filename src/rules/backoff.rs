//! No bootstrap storm: after a failed bootstrap the next one waits an
//! exponentially growing delay with jitter, up to a cap; a successful bootstrap resets it.
//!
//! Failure n (1-based) waits a uniformly random time in [d/2, d] where
//! d = min(cap, base × 2^(n−1)): never more than the cap, never less than half the nominal
//! delay, and two devices that failed together drift apart.

use crate::coap::Rng;

/// Default delay after the first failed bootstrap, milliseconds.
pub const DEFAULT_BASE_MS: u64 = 10_000;
/// Default cap of the delay, milliseconds (one hour).
pub const DEFAULT_CAP_MS: u64 = 3_600_000;

/// The back-off between failed bootstraps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootstrapBackoff {
    base_ms: u64,
    cap_ms: u64,
    failures: u32,
}

impl BootstrapBackoff {
    /// A back-off starting at `base_ms`, capped at `cap_ms` (at least `base_ms`).
    pub fn new(base_ms: u64, cap_ms: u64) -> BootstrapBackoff {
        let base_ms = base_ms.max(1);
        BootstrapBackoff { base_ms, cap_ms: cap_ms.max(base_ms), failures: 0 }
    }

    /// Consecutive failed bootstraps so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The nominal (un-jittered) delay after `failures` consecutive failures.
    pub fn nominal_ms(&self, failures: u32) -> u64 {
        let shift = failures.saturating_sub(1).min(63);
        self.base_ms.saturating_mul(1u64 << shift).min(self.cap_ms)
    }

    /// One more bootstrap failed: the delay before the next attempt.
    pub fn on_failure(&mut self, rng: &mut Rng) -> u64 {
        self.failures = self.failures.saturating_add(1);
        let d = self.nominal_ms(self.failures);
        rng.range(d - d / 2, d)
    }

    /// A bootstrap succeeded.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

impl Default for BootstrapBackoff {
    fn default() -> BootstrapBackoff {
        BootstrapBackoff::new(DEFAULT_BASE_MS, DEFAULT_CAP_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_within_jitter_bounds_up_to_the_cap_and_resets() {
        let mut rng = Rng::new(7);
        let mut b = BootstrapBackoff::new(1_000, 20_000);
        let mut seen = alloc::vec::Vec::new();
        for n in 1..=8u32 {
            let d = b.on_failure(&mut rng);
            let nominal = (1_000u64 << (n - 1)).min(20_000);
            assert!(d >= nominal / 2 && d <= nominal, "failure {n}: {d} vs {nominal}");
            seen.push(d);
        }
        assert!(seen[5..].iter().all(|&d| (10_000..=20_000).contains(&d)));
        b.reset();
        assert_eq!(b.failures(), 0);
        assert!(b.on_failure(&mut rng) <= 1_000);
    }

    #[test]
    fn jitter_varies_with_the_seed() {
        let delays: alloc::collections::BTreeSet<u64> = (0..16)
            .map(|seed| BootstrapBackoff::default().on_failure(&mut Rng::new(seed)))
            .collect();
        assert!(delays.len() > 8, "{delays:?}");
        assert!(delays.iter().all(|&d| (5_000..=10_000).contains(&d)));
    }
}
