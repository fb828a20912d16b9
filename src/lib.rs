//! # lwm2m-bootstrap
//!
//! The client side of the OMA LwM2M Bootstrap Interface (Core TS 1.1 §5.1 / 1.1.1 §6.1) as a
//! sans-IO engine: datagrams and the current time go in, datagrams, deadlines and events come
//! out. Nothing below [`client`] reads a clock, a socket or a file.
//!
//! Layers, each depending only on those below it:
//! - [`client`]: the façade ([`client::Client`]);
//! - [`bootstrap`]: Bootstrap-Request, the BS operations, the transaction and Finish validation;
//! - [`rules`]: the Bootstrap Sequence's rules the client drives: the 1.1 registration
//!   retry procedure, the bootstrap back-off, the smartcard step, the state reasons;
//! - [`registration`]: Register / Update / Deregister;
//! - [`persist`]: the persisted image of the committed configuration and its two slots;
//! - [`security`]: account targets (whether an account is usable, and what a connection to it
//!   needs) and secure channels (DTLS 1.2 over Mbed TLS with the `dtls` feature);
//! - [`coap`]: CoAP messages, CON/ACK reliability, duplicate detection, Block1/Block2;
//! - [`codec`]: OMA-TLV, plain text, opaque, CoRE link-format;
//! - [`model`]: paths, typed values, Security (/0) and Server (/1) instances, the store;
//! - [`smartcard`]: Bootstrap from Smartcard: APDUs, the PKCS#15 walk, the EF LwM2M_Bootstrap
//!   parser, change detection and the SCP03 secure channel (driven by [`client`]).
//!
//! [`ffi`] is the C ABI over [`client`]: the only module allowed `unsafe` and `extern "C"`.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod bootstrap;
pub mod client;
pub mod coap;
pub mod codec;
#[allow(unsafe_code)]
pub mod ffi;
pub mod model;
pub mod persist;
pub mod registration;
pub mod rules;
pub mod security;
pub mod smartcard;
