//! Bootstrap from Smartcard in the C ABI: the engine's [`CardTransport`] over the platform's
//! `card_present` / `card_transmit`, and `lwbs_smartcard_config` (how to read the card).
//!
//! SCP03 (LwM2M Core Appendix H) is configured by the fields appended to
//! `lwbs_smartcard_config` and runs on the AES of the bundled Mbed TLS ([`MbedtlsAes`], feature
//! `dtls`); a build without `dtls` has no AES and refuses SCP03 keys.

#[cfg(feature = "smartcard")]
use alloc::boxed::Box;
#[cfg(feature = "smartcard")]
use alloc::vec::Vec;

#[cfg(feature = "smartcard")]
use zeroize::Zeroizing;

use super::cast;
use super::handle::{self, lwbs_client};
use super::panic::catch_or;
#[cfg(feature = "smartcard")]
use super::platform::Platform;
use super::result::lwbs_result::{self, *};
#[cfg(all(feature = "dtls", feature = "smartcard"))]
use crate::client::MbedtlsAes;
#[cfg(feature = "smartcard")]
use crate::client::{CardTransport, Pin, Scp03Keys, Smartcard, SmartcardConfig, StaticKeys};

/// The card behind the platform's callbacks.
#[cfg(feature = "smartcard")]
struct PlatformCard {
    platform: Platform,
}

#[cfg(feature = "smartcard")]
impl CardTransport for PlatformCard {
    fn present(&mut self) -> bool {
        self.platform.card_present()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        self.platform.card_transmit(apdu)
    }
}

/// The smartcard the client reads through `platform`, when it has `card_transmit`.
#[cfg(feature = "smartcard")]
pub(crate) fn card(platform: Platform) -> Option<Smartcard> {
    platform.has_card().then(|| {
        let transport = Box::new(PlatformCard { platform });
        #[cfg(feature = "dtls")]
        let card = Smartcard::with_cipher::<MbedtlsAes>(transport, SmartcardConfig::default());
        #[cfg(not(feature = "dtls"))]
        let card = Smartcard::new(transport, SmartcardConfig::default());
        card
    })
}

/// How to read the smartcard (`lwbs_client_set_smartcard`). Versioned: fill it with
/// `lwbs_smartcard_config_init`, then change what you need.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lwbs_smartcard_config {
    /// `sizeof(lwbs_smartcard_config)`, set by `lwbs_smartcard_config_init`.
    pub struct_size: u32,
    /// Open a logical channel with MANAGE CHANNEL (default true); false reads on the basic
    /// channel, for modems whose `AT+CSIM` refuses MANAGE CHANNEL.
    pub logical_channel: bool,
    /// Largest READ BINARY chunk, 1..256 (default 255; lower it for modems that cut long
    /// `AT+CSIM` answers).
    pub max_chunk: u16,
    /// VERIFY reference of the PIN (P2: 0x01 universal PIN, 0x81.. application PINs); used
    /// only with a PIN.
    pub pin_reference: u8,
    /// The PIN (ASCII digits, padded with 0xFF to 8 bytes by the library), for files whose
    /// access condition needs it; NULL / 0 = none. Copied.
    pub pin: *const u8,
    /// Length of `pin`, at most 8.
    pub pin_len: usize,
    // ----- Appended (SCP03). Callers built before these fields pass a smaller `struct_size`
    // and get no secure channel.
    /// SCP03 key version number (P1 of INITIALIZE UPDATE; default 0: the card chooses). Used
    /// only with keys.
    pub scp03_key_version: u8,
    /// SCP03 security level: 0x33 (default: C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION, as
    /// LwM2M Core Appendix H asks), or 0x01, 0x03, 0x11, 0x13. Used only with keys.
    pub scp03_security_level: u8,
    /// SCP03 static KEY_ENC, `scp03_key_len` bytes; NULL (with the other two keys NULL and
    /// `scp03_key_len` 0) = no secure channel. Copied; the copies are wiped when replaced or
    /// when the client is destroyed.
    pub scp03_enc_key: *const u8,
    /// SCP03 static KEY_MAC, `scp03_key_len` bytes. Copied.
    pub scp03_mac_key: *const u8,
    /// SCP03 static KEY_DEK, `scp03_key_len` bytes. Copied.
    pub scp03_dek_key: *const u8,
    /// Length of each key: 16, 24 or 32 (AES-128/192/256); 0 with no keys.
    pub scp03_key_len: usize,
}

/// Size of `lwbs_smartcard_config` before the SCP03 fields.
#[cfg(feature = "smartcard")]
const SMARTCARD_CONFIG_V0_SIZE: usize =
    core::mem::offset_of!(lwbs_smartcard_config, scp03_key_version);

/// The default SCP03 security level: C-MAC, C-DECRYPTION, R-MAC and R-ENCRYPTION (0x33,
/// GlobalPlatform Amendment D §5.1).
const DEFAULT_SCP03_LEVEL: u8 = 0x33;

const NO_SMARTCARD_CONFIG: lwbs_smartcard_config = lwbs_smartcard_config {
    struct_size: core::mem::size_of::<lwbs_smartcard_config>() as u32,
    logical_channel: true,
    max_chunk: 255,
    pin_reference: 0x01,
    pin: core::ptr::null(),
    pin_len: 0,
    scp03_key_version: 0,
    scp03_security_level: DEFAULT_SCP03_LEVEL,
    scp03_enc_key: core::ptr::null(),
    scp03_mac_key: core::ptr::null(),
    scp03_dek_key: core::ptr::null(),
    scp03_key_len: 0,
};

/// The SCP03 keys of `c`: none when every key pointer is NULL and the length 0.
///
/// # Safety
/// Each non-NULL key pointer of `c` has `scp03_key_len` readable bytes.
#[cfg(feature = "smartcard")]
unsafe fn scp03_keys(c: &lwbs_smartcard_config) -> Result<Option<Scp03Keys>, lwbs_result> {
    let pointers = [c.scp03_enc_key, c.scp03_mac_key, c.scp03_dek_key];
    if c.scp03_key_len == 0 && pointers.iter().all(|p| p.is_null()) {
        return Ok(None);
    }
    if !matches!(c.scp03_key_len, 16 | 24 | 32) || pointers.iter().any(|p| p.is_null()) {
        return Err(LWBS_ERR_INVALID_ARGUMENT);
    }
    if !matches!(c.scp03_security_level, 0x01 | 0x03 | 0x11 | 0x13 | 0x33) {
        return Err(LWBS_ERR_INVALID_ARGUMENT);
    }
    if cfg!(not(feature = "dtls")) {
        // No AES in this build.
        return Err(LWBS_ERR_INVALID_ARGUMENT);
    }
    // SAFETY: forwarded to the caller (non-NULL, `scp03_key_len` bytes each).
    let key = |p: *const u8| {
        unsafe { cast::try_bytes(p, c.scp03_key_len) }.map(|k| Zeroizing::new(k.to_vec()))
    };
    Ok(Some(Scp03Keys {
        keys: StaticKeys {
            enc: key(c.scp03_enc_key)?,
            mac: key(c.scp03_mac_key)?,
            dek: key(c.scp03_dek_key)?,
        },
        key_version: c.scp03_key_version,
        security_level: c.scp03_security_level,
    }))
}

/// Fills `*config` with `struct_size` and the defaults (logical channel, chunks of 255 bytes,
/// no PIN). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn lwbs_smartcard_config_init(config: *mut lwbs_smartcard_config) {
    catch_or(
        || {
            if let Some(out) = cast::Out::optional(config) {
                // SAFETY: the caller passes a writable `lwbs_smartcard_config`.
                unsafe { out.write(NO_SMARTCARD_CONFIG) }
            }
        },
        (),
    )
}

/// Sets how the smartcard is read (Bootstrap from Smartcard, Core 1.1 §5.2.3.2, Appendix G).
/// The card itself is reached through the platform's `card_present` and `card_transmit`; with
/// those set the library reads it with the defaults of `lwbs_smartcard_config_init`, so this
/// call is needed only to change them (PIN, basic channel, chunk size, SCP03 keys). Only while
/// `LWBS_STATE_IDLE`; takes effect at the next `lwbs_client_start`.
///
/// With the three SCP03 keys set, every read goes through a GlobalPlatform SCP03 secure
/// channel (AES of the bundled Mbed TLS); a card that fails it (wrong keys, a cryptogram or
/// R-MAC mismatch) is rejected (`LWBS_EVENT_SMARTCARD_REJECTED`) and the sequence goes on.
///
/// Returns `LWBS_OK`, `LWBS_ERR_PLATFORM` (no `card_transmit`), `LWBS_ERR_INVALID_ARGUMENT`
/// (`struct_size`, `max_chunk` 0 or > 256, `pin_len` > 8, `scp03_key_len` not 16/24/32 or
/// only some keys set, `scp03_security_level` not 0x01/0x03/0x11/0x13/0x33, SCP03 keys in a
/// build without `dtls`), `LWBS_ERR_INVALID_STATE` (started), `LWBS_ERR_NULL`,
/// `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`; `LWBS_ERR_UNSUPPORTED` in a build without Bootstrap from
/// Smartcard (CMake `-DLWBS_SMARTCARD=OFF`, cargo without feature `smartcard`).
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_set_smartcard(
    client: *mut lwbs_client,
    config: *const lwbs_smartcard_config,
) -> lwbs_result {
    // SAFETY: `client` is NULL or a live handle; `config` NULL or a readable struct whose
    // `pin` is NULL or `pin_len` readable bytes, and whose SCP03 keys (within `struct_size`)
    // are NULL or `scp03_key_len` readable bytes.
    #[cfg(not(feature = "smartcard"))]
    let _ = config;
    #[cfg(not(feature = "smartcard"))]
    // SAFETY: `client` is NULL or a live handle.
    return unsafe { handle::enter(client, |_| Err(LWBS_ERR_UNSUPPORTED)) };
    #[cfg(feature = "smartcard")]
    unsafe {
        handle::enter(client, |handle| {
            let (mut c, size) =
                cast::read_versioned(config, SMARTCARD_CONFIG_V0_SIZE, NO_SMARTCARD_CONFIG)?;
            cast::reset_absent_fields!(
                c,
                NO_SMARTCARD_CONFIG,
                size,
                lwbs_smartcard_config,
                [
                    scp03_key_version,
                    scp03_security_level,
                    scp03_enc_key,
                    scp03_mac_key,
                    scp03_dek_key,
                    scp03_key_len,
                ]
            );
            let pin = cast::try_bytes(c.pin, c.pin_len)?;
            if !(1..=256).contains(&c.max_chunk) || pin.len() > 8 {
                return Err(LWBS_ERR_INVALID_ARGUMENT);
            }
            let scp03 = scp03_keys(&c)?;
            if !handle.platform.has_card() {
                return Err(LWBS_ERR_PLATFORM);
            }
            let card = handle.client.smartcard_mut().ok_or(LWBS_ERR_INVALID_STATE)?;
            card.set_config(SmartcardConfig {
                logical_channel: c.logical_channel,
                max_chunk: c.max_chunk,
                pin: (!pin.is_empty()).then(|| Pin {
                    reference: c.pin_reference,
                    value: Zeroizing::new(pin.to_vec()),
                }),
                scp03,
            });
            Ok(())
        })
    }
}

#[cfg(all(test, feature = "smartcard"))]
mod tests {
    #[test]
    fn the_default_scp03_level_is_the_engine_full_level() {
        assert_eq!(super::DEFAULT_SCP03_LEVEL, crate::client::scp03_level::FULL);
    }
}
