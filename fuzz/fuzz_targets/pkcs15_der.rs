//! DER (ITU-T X.690) as the PKCS#15 walk reads it: single TLVs, sequences, 0x00/0xFF
//! padded files, EF.DIR records and the ODF.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_bootstrap::smartcard::{der, pkcs15};

fuzz_target!(|data: &[u8]| {
    if let Ok((tlv, rest)) = der::read_tlv(data) {
        assert!(rest.len() < data.len(), "a TLV consumes at least its header");
        let _ = tlv;
    }
    let _ = der::parse_all(data);
    let _ = der::parse_padded(data);
    let _ = pkcs15::parse_dir_record(data);
    if let Ok(paths) = pkcs15::parse_odf(data) {
        assert!(paths.iter().all(|p| p.len() <= data.len()));
    }
});
