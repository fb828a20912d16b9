//! Bootstrap from Smartcard in the C ABI: the engine's [`CardTransport`] over the platform's
//! `card_present` / `card_transmit`, and `lwbs_smartcard_config` (how to read the card).
//!
//! SCP03 is not offered here yet: the C build has no AES until the mbedtls integration lands
//! (the Rust API takes the firmware's AES through `BlockCipher`). Its fields will be appended to
//! `lwbs_smartcard_config`.

use alloc::boxed::Box;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::cast;
use super::client::{lwbs_client, with_client};
use super::panic::catch_or;
use super::platform::Platform;
use super::result::lwbs_result::{self, *};
use crate::client::{CardTransport, Smartcard, SmartcardConfig};
use crate::smartcard::Pin;

/// The card behind the platform's callbacks.
struct PlatformCard {
    platform: Platform,
}

impl CardTransport for PlatformCard {
    fn present(&mut self) -> bool {
        self.platform.card_present()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        self.platform.card_transmit(apdu)
    }
}

/// The smartcard the client reads through `platform`, when it has `card_transmit`.
pub(crate) fn smartcard(platform: Platform) -> Option<Smartcard> {
    platform
        .has_card()
        .then(|| Smartcard::new(Box::new(PlatformCard { platform }), SmartcardConfig::default()))
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
}

const NO_SMARTCARD_CONFIG: lwbs_smartcard_config = lwbs_smartcard_config {
    struct_size: core::mem::size_of::<lwbs_smartcard_config>() as u32,
    logical_channel: true,
    max_chunk: 255,
    pin_reference: 0x01,
    pin: core::ptr::null(),
    pin_len: 0,
};

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
/// call is needed only to change them (PIN, basic channel, chunk size). Only while
/// `LWBS_STATE_IDLE`; takes effect at the next `lwbs_client_start`.
///
/// Returns `LWBS_OK`, `LWBS_ERR_PLATFORM` (no `card_transmit`), `LWBS_ERR_INVALID_ARGUMENT`
/// (`struct_size`, `max_chunk` 0 or > 256, `pin_len` > 8), `LWBS_ERR_INVALID_STATE` (started),
/// `LWBS_ERR_NULL`, `LWBS_ERR_BUSY`, `LWBS_ERR_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn lwbs_client_set_smartcard(
    client: *mut lwbs_client,
    config: *const lwbs_smartcard_config,
) -> lwbs_result {
    // SAFETY: `client` is NULL or a live handle; `config` NULL or a readable struct whose
    // `pin` is NULL or `pin_len` readable bytes.
    unsafe {
        with_client(client, |platform, engine| {
            let min = core::mem::size_of::<lwbs_smartcard_config>();
            let (c, _) = cast::read_versioned(config, min, NO_SMARTCARD_CONFIG)?;
            let pin = cast::try_bytes(c.pin, c.pin_len)?;
            if !(1..=256).contains(&c.max_chunk) || pin.len() > 8 {
                return Err(LWBS_ERR_INVALID_ARGUMENT);
            }
            if !platform.has_card() {
                return Err(LWBS_ERR_PLATFORM);
            }
            let card = engine.client.smartcard_mut().ok_or(LWBS_ERR_INVALID_STATE)?;
            card.set_config(SmartcardConfig {
                logical_channel: c.logical_channel,
                max_chunk: c.max_chunk,
                pin: (!pin.is_empty()).then(|| Pin {
                    reference: c.pin_reference,
                    value: Zeroizing::new(pin.to_vec()),
                }),
                scp03: None,
            });
            Ok(())
        })
    }
}
