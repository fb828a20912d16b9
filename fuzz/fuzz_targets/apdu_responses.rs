//! The smartcard walk driven by card answers from the fuzzer: every APDU response the
//! reader gets (SELECT, MANAGE CHANNEL, VERIFY, READ BINARY, GET RESPONSE, 61xx/6Cxx
//! chaining, SCP03 INITIALIZE UPDATE) is fuzzed, plus the raw parsers of responses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwbs_fuzz::Cursor;
use lwm2m_bootstrap::smartcard::{CardReader, ReaderConfig, Response, Step};

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let flags = input.u8();
    let config = ReaderConfig {
        logical_channel: flags & 1 == 1,
        max_chunk: [255, 16, 1, 256][usize::from(flags >> 1 & 3)],
        known_path: (flags & 8 == 8).then(|| vec![0x64, 0x32]),
        ..ReaderConfig::default()
    };
    let mut reader = CardReader::new(config);
    let mut response: Option<Vec<u8>> = None;
    for _ in 0..4096 {
        match reader.next(response.as_deref()) {
            Step::Transmit(apdu) => {
                assert!(apdu.len() >= 4 && apdu.len() <= 5 + 255 + 1, "APDU {apdu:02x?}");
                if input.is_empty() {
                    response = None; // the card went away
                } else {
                    let answer = input.chunk();
                    let _ = Response::parse(answer);
                    response = Some(answer.to_vec());
                }
            }
            Step::Done(result) => {
                if let Ok(content) = result {
                    let _ = lwm2m_bootstrap::smartcard::parse_ef(&content.data);
                }
                return;
            }
        }
    }
    panic!("the walk did not end within 4096 APDUs");
});
