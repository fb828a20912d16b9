//! Key material outside the data model: bytes wiped from memory on drop whose `Debug` shows
//! only their length.

use alloc::vec::Vec;
use core::fmt;
use core::ops::Deref;

use zeroize::Zeroizing;

/// Bytes that may hold key material (PSK, private key, identity): wiped on drop, never
/// printed (`Debug` gives the length only).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Copies `bytes`.
    pub fn new(bytes: &[u8]) -> Secret {
        Secret(Zeroizing::new(bytes.to_vec()))
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Deref for Secret {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Secret {
        Secret(Zeroizing::new(bytes))
    }
}

impl From<&[u8]> for Secret {
    fn from(bytes: &[u8]) -> Secret {
        Secret::new(bytes)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_length_only() {
        let s = Secret::from(alloc::vec![0xAB; 3]);
        assert_eq!(alloc::format!("{s:?}"), "<3 bytes>");
        assert_eq!(&*s, &[0xAB; 3]);
    }
}
