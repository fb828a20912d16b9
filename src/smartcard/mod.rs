//! Bootstrap from Smartcard (LwM2M Core 1.1 §5.2.3.2 and Appendices G and H),
//! sans-IO: the library never talks to a modem. [`CardReader`] is a state machine that emits
//! command APDUs as bytes and consumes the card's answers, so the firmware's transmit function
//! (`AT+CSIM`, PC/SC, a UART driver) and a simulated card plug in alike.
//!
//! - [`apdu`]: ISO 7816-4 command/response APDUs, status words, `61 xx` / `6C xx` flows;
//! - [`der`]: a strict BER-TLV reader for the PKCS#15 structures;
//! - [`pkcs15`]: EF DIR records, EF ODF, the DODF entry with OID 2.23.43.9.1, FCP file size;
//! - [`reader`]: the walk (MANAGE CHANNEL, SELECT by AID or via EF DIR, ODF, DODF, chunked
//!   READ BINARY of EF LwM2M_Bootstrap, PIN, SCP03, MANAGE CHANNEL close);
//! - [`ef`]: the EF LwM2M_Bootstrap format into a [`DataModel`](crate::model::DataModel) with
//!   [`Origin::Smartcard`](crate::model::Origin::Smartcard);
//! - [`digest`]: change detection over the raw EF bytes;
//! - [`scp03`]: the GlobalPlatform SCP03 secure channel over a pluggable AES;
//! - `aes_mbedtls` (feature `dtls`): [`MbedtlsAes`], the bundled Mbed TLS AES for it.
//!
//! Nothing here panics on any input, and a malformed card answer, DER structure or EF yields
//! an error value and no data.

#[cfg(feature = "smartcard")]
use core::fmt;

#[cfg(all(feature = "dtls", feature = "smartcard"))]
pub mod aes_mbedtls;
#[cfg(feature = "smartcard")]
pub mod apdu;
#[cfg(feature = "smartcard")]
pub mod der;
pub mod digest;
#[cfg(feature = "smartcard")]
pub mod ef;
#[cfg(feature = "smartcard")]
pub mod pkcs15;
#[cfg(feature = "smartcard")]
pub mod reader;
#[cfg(feature = "smartcard")]
pub mod scp03;

#[cfg(all(feature = "dtls", feature = "smartcard"))]
pub use aes_mbedtls::MbedtlsAes;
#[cfg(feature = "smartcard")]
pub use apdu::{Command, Response, StatusWord};
pub use digest::{digest, Digest};
#[cfg(feature = "smartcard")]
pub use ef::{build_ef, parse_ef, BootstrapData, EfError, RawObject, MAX_EF_SIZE};
#[cfg(feature = "smartcard")]
pub use reader::{CardReader, EfContent, Pin, ReaderConfig, Stage, Step};
#[cfg(feature = "smartcard")]
pub use scp03::{BlockCipher, NoCipher, Scp03Config, Scp03Error, StaticKeys};

/// Why reading the card failed. Every variant is final for the walk: no data is returned.
#[cfg(feature = "smartcard")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardError {
    /// The transport gave no answer where one was expected (`next(None)` mid-exchange), or
    /// the card is gone.
    NoResponse,
    /// An answer shorter than the two status bytes.
    MalformedResponse,
    /// GET RESPONSE chaining went past [`apdu::MAX_RESPONSE_DATA`].
    ResponseTooLong,
    /// A command's data does not fit a short APDU.
    CommandTooLong,
    /// The card answered a step with an unexpected status word.
    Status(Stage, StatusWord),
    /// MANAGE CHANNEL returned no channel, or one outside 1..=19.
    BadChannel,
    /// Neither direct selection nor EF DIR led to the PKCS#15 application.
    NoPkcs15Application,
    /// A PKCS#15 file or record is not well-formed BER-TLV.
    MalformedDer(Stage, der::DerError),
    /// EF ODF lists no DODF.
    NoDodf,
    /// No DODF entry carries OID 2.23.43.9.1 with a path.
    NoBootstrapObject,
    /// A path from the card is empty, odd-length or too long.
    BadPath,
    /// The file is larger than allowed (32 KB for EF LwM2M_Bootstrap): its size.
    FileTooLarge(usize),
    /// The card answered READ BINARY with no data, or more than asked.
    BadReadLength,
    /// The card refused the PIN; the retries left.
    PinRejected(u8),
    /// The PIN is blocked.
    PinBlocked,
    /// The secure channel failed.
    Scp03(Scp03Error),
    /// The walk took more APDUs than any legitimate card needs.
    TooManyCommands,
    /// `next` was called after the walk finished.
    Finished,
}

#[cfg(feature = "smartcard")]
impl fmt::Display for CardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoResponse => f.write_str("no answer from the card"),
            Self::MalformedResponse => f.write_str("card answer shorter than a status word"),
            Self::ResponseTooLong => f.write_str("card response too long"),
            Self::CommandTooLong => f.write_str("command data too long for a short APDU"),
            Self::Status(stage, sw) => write!(f, "{stage}: card answered {sw}"),
            Self::BadChannel => f.write_str("MANAGE CHANNEL returned no usable channel"),
            Self::NoPkcs15Application => f.write_str("no PKCS#15 application on the card"),
            Self::MalformedDer(stage, e) => write!(f, "{stage}: {e}"),
            Self::NoDodf => f.write_str("EF ODF lists no data-object directory"),
            Self::NoBootstrapObject => f.write_str("no DODF entry with OID 2.23.43.9.1"),
            Self::BadPath => f.write_str("malformed file path on the card"),
            Self::FileTooLarge(n) => write!(f, "file of {n} bytes is larger than allowed"),
            Self::BadReadLength => f.write_str("READ BINARY answered with a wrong length"),
            Self::PinRejected(n) => write!(f, "PIN rejected, {n} retries left"),
            Self::PinBlocked => f.write_str("PIN blocked"),
            Self::Scp03(e) => write!(f, "secure channel: {e}"),
            Self::TooManyCommands => f.write_str("too many APDUs for one walk"),
            Self::Finished => f.write_str("the walk has already finished"),
        }
    }
}

#[cfg(feature = "smartcard")]
impl From<Scp03Error> for CardError {
    fn from(e: Scp03Error) -> Self {
        CardError::Scp03(e)
    }
}
