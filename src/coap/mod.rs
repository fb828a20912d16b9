//! CoAP (RFC 7252, RFC 7959) for the engine: messages, CON/ACK reliability, duplicate
//! detection per peer and per direction, Block1 reassembly and Block2 serving.
//!
//! - [`message`]: the [`Message`] type and its option accessors;
//! - [`code`], [`opt`], [`content_format`]: codes, option numbers, Content-Formats;
//! - [`block`]: the Block1/Block2 option value ([`BlockOption`]);
//! - [`params`]: [`TransmissionParams`] and the derived RFC 7252 §4.8.2 times;
//! - [`rng`]: the deterministic [`Rng`] for message IDs, tokens and jitter;
//! - [`endpoint`]: the per-peer sans-IO [`Endpoint`].
//!
//! The wire format is encoded and decoded by our own code (`wire.rs`) rather than by
//! coap-lite's `Packet`: it was simpler than wrapping coap-lite's defects (a second
//! Content-Format appended instead of replaced, block numbers above 4095 truncated and
//! 3-byte block values rejected, no version check, a 1280-byte limit on encoding).
//! The decoder rejects version != 1, TKL > 8, code classes 1, 6 and 7, Empty messages with
//! content, option nibble 15, option numbers above 65535 and a payload marker without
//! payload. The encoder never fails and has no size limit.

pub mod block;
mod blockwise;
pub mod code;
pub mod content_format;
mod dedup;
pub mod endpoint;
pub mod error;
pub mod message;
pub mod opt;
pub mod params;
pub mod rng;
mod wire;

pub use block::BlockOption;
pub use code::{Code, MessageType};
pub use dedup::DEDUP_CAPACITY;
pub use endpoint::{Endpoint, EndpointEvent, FailureReason, RequestId};
pub use error::DecodeError;
pub use message::{Message, Token};
pub use params::TransmissionParams;
pub use rng::Rng;
