//! The AES of the bundled Mbed TLS behind [`BlockCipher`] (feature `dtls`): what the C ABI's
//! SCP03 secure channel uses, and what a Rust firmware already linking Mbed TLS can pass to
//! [`Smartcard::with_cipher`](crate::client::Smartcard::with_cipher).
//!
//! One block in ECB mode through Mbed TLS's generic cipher layer (`mbedtls_cipher_*`), one
//! context per direction. The contexts are freed (and wiped by Mbed TLS) on drop.

use core::cell::RefCell;

use mbedtls::cipher::raw::{Cipher, CipherId, CipherMode, Operation};

use super::scp03::BlockCipher;

/// AES-128/192/256 on one block, by Mbed TLS.
pub struct MbedtlsAes {
    encrypt: RefCell<Cipher>,
    decrypt: RefCell<Cipher>,
}

impl core::fmt::Debug for MbedtlsAes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MbedtlsAes(..)")
    }
}

fn context(key: &[u8], op: Operation) -> Option<Cipher> {
    let mut c = Cipher::setup(CipherId::Aes, CipherMode::ECB, (key.len() * 8) as u32).ok()?;
    c.set_key(op, key).ok()?;
    Some(c)
}

/// One block through an ECB context; Mbed TLS never fails on a whole block with a valid key,
/// but if it did the block is zeroed rather than left as plaintext.
fn crypt(cipher: &RefCell<Cipher>, block: &mut [u8; 16]) {
    let mut out = [0u8; 16];
    match cipher.borrow_mut().update(&block[..], &mut out) {
        Ok(16) => *block = out,
        _ => *block = [0; 16],
    }
}

impl BlockCipher for MbedtlsAes {
    fn new(key: &[u8]) -> Option<Self> {
        if !matches!(key.len(), 16 | 24 | 32) {
            return None;
        }
        Some(MbedtlsAes {
            encrypt: RefCell::new(context(key, Operation::Encrypt)?),
            decrypt: RefCell::new(context(key, Operation::Decrypt)?),
        })
    }
    fn encrypt_block(&self, block: &mut [u8; 16]) {
        crypt(&self.encrypt, block)
    }
    fn decrypt_block(&self, block: &mut [u8; 16]) {
        crypt(&self.decrypt, block)
    }
}
