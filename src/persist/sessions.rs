//! The persisted record of saved DTLS sessions (one per LwM2M Server account, never the
//! Bootstrap-Server's), for an abbreviated handshake after a restart:
//!
//! ```text
//! magic "LWSS" | format u8 = 1 | count u8 | reserved u8 x2 | length u32 | crc32 u32 | payload
//! payload = { ssid u16 | material u64 | length u16 | session bytes }*count
//! ```
//! Integers are big-endian; the CRC-32 covers the header before it and the payload. The
//! session bytes are the TLS stack's serialised session (they hold the master secret). A
//! record that fails any check is ignored as a whole (a full handshake follows, nothing else
//! is lost), so a single copy written in place is enough: a torn write costs one handshake.
//! An empty record (no byte) means "no session".

use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::image::{crc32, ImageError};

/// The first four bytes of a session record.
pub const MAGIC: &[u8; 4] = b"LWSS";
/// The record format this version writes and reads.
pub const FORMAT: u8 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 16;
/// At most this many sessions in a record (the count is one byte).
pub const MAX_SESSIONS: usize = 255;

/// One saved session: whose (Short Server ID), the fingerprint of the security material it
/// was built from ([`crate::security::session_material`]), and the TLS stack's bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionEntry {
    /// The LwM2M Server account's Short Server ID.
    pub ssid: u16,
    /// The account's session-material fingerprint when the session was made.
    pub material: u64,
    /// The serialised session (secret; wiped on drop).
    pub session: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for SessionEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SessionEntry {{ ssid: {}, material: {:#x}, .. }}", self.ssid, self.material)
    }
}

/// A session record to write over the previous one (empty: erase it), handed out as
/// [`crate::client::Event::SessionsWrite`]. Secret (master secrets); wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord(pub Zeroizing<Vec<u8>>);

impl core::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SessionRecord({} bytes)", self.0.len())
    }
}

/// What [`crate::client::Client::restore_sessions`] made of a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionRestore {
    /// Sessions kept for resuming.
    pub restored: usize,
    /// Sessions left out: their account's security material changed or the account is
    /// gone, or no configuration was restored (factory state).
    pub discarded: usize,
    /// The record failed its checks and was ignored as a whole (then `restored` is 0).
    pub ignored: Option<ImageError>,
}

/// Encodes `entries` (at most [`MAX_SESSIONS`], each session under 64 KiB: longer ones are
/// left out); no entry gives the empty record.
pub fn encode_sessions(entries: &[SessionEntry]) -> Zeroizing<Vec<u8>> {
    let kept: Vec<&SessionEntry> = entries
        .iter()
        .filter(|e| u16::try_from(e.session.len()).is_ok())
        .take(MAX_SESSIONS)
        .collect();
    if kept.is_empty() {
        return Zeroizing::new(Vec::new());
    }
    let mut payload = Zeroizing::new(Vec::new());
    for e in &kept {
        payload.extend_from_slice(&e.ssid.to_be_bytes());
        payload.extend_from_slice(&e.material.to_be_bytes());
        payload.extend_from_slice(&(e.session.len() as u16).to_be_bytes());
        payload.extend_from_slice(&e.session);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(HEADER_LEN + payload.len()));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[FORMAT, kept.len() as u8, 0, 0]);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    let crc = crc32(&[&out[..], &payload[..]]);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Decodes a record; an empty one (or an erased one, all 0xFF) holds no session. Bytes
/// after the declared length are ignored.
pub fn decode_sessions(record: &[u8]) -> Result<Vec<SessionEntry>, ImageError> {
    if record.is_empty() || record.iter().all(|&b| b == 0xFF) {
        return Ok(Vec::new());
    }
    let header = record.get(..HEADER_LEN).ok_or(ImageError::Truncated)?;
    if &header[..4] != MAGIC {
        return Err(ImageError::BadMagic);
    }
    if header[4] != FORMAT {
        return Err(ImageError::UnsupportedFormat(header[4]));
    }
    let count = usize::from(header[5]);
    let len = usize::try_from(be(&header[8..12])).map_err(|_| ImageError::Truncated)?;
    let payload =
        record.get(HEADER_LEN..).and_then(|rest| rest.get(..len)).ok_or(ImageError::Truncated)?;
    if crc32(&[&header[..12], payload]) != be(&header[12..16]) as u32 {
        return Err(ImageError::BadChecksum);
    }
    let mut entries = Vec::with_capacity(count);
    let mut rest = payload;
    for _ in 0..count {
        let (fixed, tail) = split(rest, 12)?;
        let session_len = be(&fixed[10..12]) as usize;
        let (session, tail) = split(tail, session_len)?;
        entries.push(SessionEntry {
            ssid: be(&fixed[..2]) as u16,
            material: be(&fixed[2..10]),
            session: Zeroizing::new(session.to_vec()),
        });
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(ImageError::BadPayload);
    }
    Ok(entries)
}

fn split(bytes: &[u8], at: usize) -> Result<(&[u8], &[u8]), ImageError> {
    (bytes.len() >= at).then(|| bytes.split_at(at)).ok_or(ImageError::BadPayload)
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ssid: u16, material: u64, session: &[u8]) -> SessionEntry {
        SessionEntry { ssid, material, session: Zeroizing::new(session.to_vec()) }
    }

    #[test]
    fn a_record_round_trips_and_ignores_trailing_flash() {
        let entries = [entry(1, 0x1122_3344_5566_7788, b"session-one"), entry(7, 9, &[0; 300])];
        let mut record = encode_sessions(&entries).to_vec();
        assert_eq!(&record[..4], MAGIC);
        assert_eq!(record.len(), HEADER_LEN + 2 * 12 + 11 + 300);
        record.extend_from_slice(&[0xFF; 64]);
        assert_eq!(decode_sessions(&record).unwrap(), entries);
    }

    #[test]
    fn no_session_is_the_empty_record_and_erased_flash_holds_none() {
        assert!(encode_sessions(&[]).is_empty());
        assert_eq!(decode_sessions(&[]).unwrap(), []);
        assert_eq!(decode_sessions(&[0xFF; 32]).unwrap(), []);
    }

    #[test]
    fn a_torn_or_flipped_record_is_refused_whole() {
        let record = encode_sessions(&[entry(1, 2, b"abcdef")]).to_vec();
        assert_eq!(decode_sessions(&record[..record.len() - 1]), Err(ImageError::Truncated));
        let mut flipped = record.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(decode_sessions(&flipped), Err(ImageError::BadChecksum));
        let mut foreign = record.clone();
        foreign[0] = b'X';
        assert_eq!(decode_sessions(&foreign), Err(ImageError::BadMagic));
        let mut newer = record;
        newer[4] = 2;
        assert_eq!(decode_sessions(&newer), Err(ImageError::UnsupportedFormat(2)));
    }

    #[test]
    fn a_count_that_disagrees_with_the_payload_is_refused() {
        let mut record = encode_sessions(&[entry(1, 2, b"abcdef")]).to_vec();
        record[5] = 2;
        let crc = crc32(&[&record[..12], &record[HEADER_LEN..]]);
        record[12..16].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(decode_sessions(&record), Err(ImageError::BadPayload));
    }
}
