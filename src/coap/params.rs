//! Transmission parameters and the derived time values of RFC 7252 §4.8 and §4.8.2,
//! in integer milliseconds.

/// MAX_LATENCY (RFC 7252 §4.8.2): 100 seconds.
pub const MAX_LATENCY_MS: u64 = 100_000;

/// CoAP transmission parameters plus this crate's block-wise limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransmissionParams {
    /// ACK_TIMEOUT in milliseconds (default 2000).
    pub ack_timeout_ms: u64,
    /// ACK_RANDOM_FACTOR in thousandths (default 1500 = 1.5); values below 1000 count as 1000.
    pub ack_random_factor_permille: u32,
    /// MAX_RETRANSMIT (default 4).
    pub max_retransmit: u8,
    /// Preferred block size exponent, block size `16 << block_szx` (default 6 = 1024 bytes;
    /// values above 6 count as 6).
    pub block_szx: u8,
    /// The largest Block1 request body reassembled (default 65536 bytes); also bounds
    /// Block2 bodies fetched for our own requests.
    pub max_reassembly: usize,
}

impl Default for TransmissionParams {
    fn default() -> Self {
        TransmissionParams {
            ack_timeout_ms: 2000,
            ack_random_factor_permille: 1500,
            max_retransmit: 4,
            block_szx: 6,
            max_reassembly: 65536,
        }
    }
}

impl TransmissionParams {
    /// ACK_RANDOM_FACTOR in thousandths, at least 1000.
    pub fn random_factor_permille(&self) -> u64 {
        u64::from(self.ack_random_factor_permille.max(1000))
    }

    /// The largest initial retransmission timeout, ACK_TIMEOUT * ACK_RANDOM_FACTOR.
    pub fn max_initial_timeout_ms(&self) -> u64 {
        self.scaled(self.ack_timeout_ms)
    }

    /// The preferred block size exponent, clamped to 0..=6.
    pub fn szx(&self) -> u8 {
        self.block_szx.min(6)
    }

    /// MAX_TRANSMIT_SPAN = ACK_TIMEOUT * (2^MAX_RETRANSMIT - 1) * ACK_RANDOM_FACTOR
    /// (45 000 ms with the defaults).
    pub fn max_transmit_span_ms(&self) -> u64 {
        self.scaled(self.ack_timeout_ms.saturating_mul(pow2_minus_1(self.max_retransmit)))
    }

    /// MAX_TRANSMIT_WAIT = ACK_TIMEOUT * (2^(MAX_RETRANSMIT + 1) - 1) * ACK_RANDOM_FACTOR
    /// (93 000 ms with the defaults).
    pub fn max_transmit_wait_ms(&self) -> u64 {
        let exp = self.max_retransmit.saturating_add(1);
        self.scaled(self.ack_timeout_ms.saturating_mul(pow2_minus_1(exp)))
    }

    /// EXCHANGE_LIFETIME = MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY, with
    /// PROCESSING_DELAY = ACK_TIMEOUT (247 000 ms with the defaults).
    pub fn exchange_lifetime_ms(&self) -> u64 {
        self.max_transmit_span_ms()
            .saturating_add(2 * MAX_LATENCY_MS)
            .saturating_add(self.ack_timeout_ms)
    }

    /// NON_LIFETIME = MAX_TRANSMIT_SPAN + MAX_LATENCY (145 000 ms with the defaults).
    pub fn non_lifetime_ms(&self) -> u64 {
        self.max_transmit_span_ms().saturating_add(MAX_LATENCY_MS)
    }

    fn scaled(&self, ms: u64) -> u64 {
        ms.saturating_mul(self.random_factor_permille()) / 1000
    }
}

/// 2^exp - 1, saturating.
fn pow2_minus_1(exp: u8) -> u64 {
    1u64.checked_shl(u32::from(exp)).map_or(u64::MAX, |p| p - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_rfc_7252() {
        let p = TransmissionParams::default();
        assert_eq!(p.max_transmit_span_ms(), 45_000);
        assert_eq!(p.max_transmit_wait_ms(), 93_000);
        assert_eq!(p.exchange_lifetime_ms(), 247_000);
        assert_eq!(p.non_lifetime_ms(), 145_000);
        assert_eq!(p.max_initial_timeout_ms(), 3000);
        assert_eq!(p.szx(), 6);
    }

    #[test]
    fn custom_values() {
        let p = TransmissionParams {
            ack_timeout_ms: 1000,
            ack_random_factor_permille: 2000,
            max_retransmit: 2,
            block_szx: 9,
            max_reassembly: 10,
        };
        assert_eq!(p.max_transmit_span_ms(), 6000);
        assert_eq!(p.max_transmit_wait_ms(), 14_000);
        assert_eq!(p.exchange_lifetime_ms(), 6000 + 200_000 + 1000);
        assert_eq!(p.szx(), 6);
        let low = TransmissionParams { ack_random_factor_permille: 10, ..p };
        assert_eq!(low.max_initial_timeout_ms(), 1000);
    }

    #[test]
    fn extreme_values_saturate() {
        let p = TransmissionParams {
            ack_timeout_ms: u64::MAX,
            ack_random_factor_permille: u32::MAX,
            max_retransmit: u8::MAX,
            ..TransmissionParams::default()
        };
        assert!(p.exchange_lifetime_ms() > 0);
        assert!(p.max_transmit_wait_ms() > 0);
        assert!(p.non_lifetime_ms() > 0);
    }
}
