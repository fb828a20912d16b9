//! DTLS settings of the engine (present in every build, used with the `dtls` feature).

/// DTLS settings of the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DtlsParams {
    /// First handshake retransmission after this many ms (RFC 6347: 1000).
    pub handshake_min_ms: u32,
    /// Retransmission delays double up to this; the handshake fails when the next delay would
    /// exceed it. With 1000/32000 a silent server fails the handshake after 63 s, below
    /// CoAP's MAX_TRANSMIT_WAIT (93 s), so the failure is reported as a handshake failure.
    pub handshake_max_ms: u32,
    /// Largest datagram of our handshake flights (`mbedtls_ssl_set_mtu`), bytes. Max
    /// fragment length is not negotiated: record buffers are fixed at 16 KB by the crate's
    /// Mbed TLS build, and a CoAP block of 1024 bytes plus header needs more than MFL 1024.
    pub mtu: u16,
}

impl Default for DtlsParams {
    fn default() -> Self {
        DtlsParams { handshake_min_ms: 1000, handshake_max_ms: 32_000, mtu: 1280 }
    }
}
