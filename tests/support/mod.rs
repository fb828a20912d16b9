//! Shared test support that is not a test crate of its own.
#![allow(dead_code)]

pub mod uicc;
