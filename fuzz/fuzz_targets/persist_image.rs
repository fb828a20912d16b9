//! Persisted configuration images (docs/storage.md): the image decoder, and the two-slot
//! restore with both slots from the fuzzer. A decoded image re-encodes to one that decodes
//! to the same configuration. The same bytes as a session record (saved DTLS sessions): a
//! decoded record re-encodes to the same entries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_bootstrap::persist::{
    decode_image, decode_sessions, encode_image, encode_sessions, Slots,
};

fuzz_target!(|data: &[u8]| {
    if let Ok((model, generation)) = decode_image(data) {
        let again = decode_image(&encode_image(&model, generation)).expect("our image decodes");
        assert_eq!(again, (model, generation));
    }
    let split = usize::from(data.first().copied().unwrap_or(0)).min(data.len());
    let (a, b) = data.split_at(split);
    let mut slots = Slots::default();
    let (model, report) = slots.restore([Some(a), (!b.is_empty()).then_some(b)]);
    assert_eq!(model.is_some(), report.used.is_some());
    if let Ok(entries) = decode_sessions(data) {
        let again = decode_sessions(&encode_sessions(&entries)).expect("our record decodes");
        assert_eq!(again, entries);
    }
});
