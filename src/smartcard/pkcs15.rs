//! The PKCS#15 structures the walk reads (LwM2M Core Appendix G, PKCS#15 v1.1 / ISO 7816-15):
//! EF DIR application templates, EF ODF, the data-object directory (DODF) entry whose
//! application OID is 2.23.43.9.1, and the file size in a SELECT response's FCP.

use alloc::vec::Vec;

use super::der::{self, DerError, Tlv};

/// AID of the PKCS#15 application: RID `A0 00 00 00 63` and PIX "PKCS-15".
pub const PKCS15_AID: [u8; 12] =
    [0xA0, 0x00, 0x00, 0x00, 0x63, 0x50, 0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35];

/// File ID of EF DIR under the MF.
pub const EF_DIR: [u8; 2] = [0x2F, 0x00];

/// Default file ID of EF ODF in the PKCS#15 application.
pub const EF_ODF: [u8; 2] = [0x50, 0x31];

/// DER content bytes of OID 2.23.43.9.1 (LwM2M bootstrap data).
pub const LWM2M_BOOTSTRAP_OID: [u8; 4] = [0x67, 0x2B, 0x09, 0x01];

/// The same OID wrapped a second time (`06 04 67 2B 09 01` as content), as found on real
/// cards and in the specification's example (Core 1.1 Appendix G).
pub const LWM2M_BOOTSTRAP_OID_DOUBLE: [u8; 6] = [0x06, 0x04, 0x67, 0x2B, 0x09, 0x01];

/// The PKCS#15 application as listed in one EF DIR record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Tag `4F`: the full AID (it starts with [`PKCS15_AID`]).
    pub aid: Vec<u8>,
    /// Tag `51`: the path of the application DF, when given.
    pub path: Option<Vec<u8>>,
}

/// Looks for the PKCS#15 application template (tag `61`) in one EF DIR record.
pub fn parse_dir_record(record: &[u8]) -> Result<Option<DirEntry>, DerError> {
    for template in der::parse_padded(record)? {
        if template.tag != 0x61 {
            continue;
        }
        let children = template.children()?;
        let field = |tag: u32| children.iter().find(|t| t.tag == tag).map(|t| t.value.to_vec());
        let Some(aid) = field(0x4F) else { continue };
        if aid.starts_with(&PKCS15_AID) {
            return Ok(Some(DirEntry { aid, path: field(0x51) }));
        }
    }
    Ok(None)
}

/// The DODF paths listed in EF ODF: `[7] dataObjects` entries in their `Path` form
/// (`A7 { 30 { 04 path } }`), in file order.
pub fn parse_odf(odf: &[u8]) -> Result<Vec<Vec<u8>>, DerError> {
    let mut paths = Vec::new();
    for entry in der::parse_padded(odf)? {
        if entry.tag != 0xA7 {
            continue;
        }
        if let Some(path) = path_in(&entry.children()?)? {
            paths.push(path);
        }
    }
    Ok(paths)
}

/// The path of EF LwM2M_Bootstrap from a DODF: the first data object (opaqueDO, externalIDO
/// or oidDO) carrying OID 2.23.43.9.1 in either encoding, anywhere in its attributes, and
/// whose type attributes (`[1]`) hold a `Path`.
pub fn find_bootstrap_path(dodf: &[u8]) -> Result<Option<Vec<u8>>, DerError> {
    for object in der::parse_padded(dodf)? {
        if !object.constructed {
            continue;
        }
        let attributes = object.children()?;
        let has_oid = der::find(&attributes, &|t| t.tag == 0x06 && is_bootstrap_oid(t.value))?;
        if has_oid.is_none() {
            continue;
        }
        let Some(type_attributes) = attributes.iter().find(|t| t.tag == 0xA1) else {
            continue;
        };
        if let Some(path) = path_in(&type_attributes.children()?)? {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// True for the OID content `67 2B 09 01`, or the double-wrapped `06 04 67 2B 09 01`.
pub fn is_bootstrap_oid(content: &[u8]) -> bool {
    content == LWM2M_BOOTSTRAP_OID || content == LWM2M_BOOTSTRAP_OID_DOUBLE
}

/// The first `Path ::= SEQUENCE { path OCTET STRING, ... }` found in `tlvs`.
fn path_in(tlvs: &[Tlv<'_>]) -> Result<Option<Vec<u8>>, DerError> {
    let is_path = |t: &Tlv<'_>| {
        t.tag == 0x30 && matches!(der::read_tlv(t.value), Ok((first, _)) if first.tag == 0x04)
    };
    match der::find(tlvs, &is_path)? {
        Some(seq) => Ok(der::read_tlv(seq.value).ok().map(|(octets, _)| octets.value.to_vec())),
        None => Ok(None),
    }
}

/// The file size (tag `80`, data bytes) from the FCP template (`62`) of a SELECT response;
/// `None` when absent or malformed (the walk then reads until the end of the file).
pub fn fcp_file_size(response: &[u8]) -> Option<usize> {
    let tlvs = der::parse_padded(response).ok()?;
    let fcp = tlvs.iter().find(|t| t.tag == 0x62)?;
    let size = fcp.children().ok()?.into_iter().find(|t| t.tag == 0x80)?;
    if size.value.is_empty() || size.value.len() > 4 {
        return None;
    }
    Some(size.value.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// The EF ODF of a real card, as read over `AT+CSIM`.
    const NORDIC_ODF: [u8; 8] = [0xA7, 0x06, 0x30, 0x04, 0x04, 0x02, 0x64, 0x30];

    fn nordic_dodf() -> Vec<u8> {
        let mut d = vec![0xA1, 0x27, 0x30, 0x00, 0x30, 0x11, 0x0C, 0x0F];
        d.extend_from_slice(b"LwM2M Bootstrap");
        d.extend_from_slice(&[0xA1, 0x10, 0x30, 0x0E, 0x06, 0x06, 0x06, 0x04, 0x67, 0x2B]);
        d.extend_from_slice(&[0x09, 0x01, 0x30, 0x04, 0x04, 0x02, 0x64, 0x32]);
        d
    }

    #[test]
    fn nordic_fixture_leads_to_6432() {
        assert_eq!(parse_odf(&NORDIC_ODF).unwrap(), vec![vec![0x64, 0x30]]);
        assert_eq!(find_bootstrap_path(&nordic_dodf()).unwrap(), Some(vec![0x64, 0x32]));
    }

    #[test]
    fn plain_oid_in_common_data_object_attributes() {
        // opaqueDO: CommonObjectAttributes, CommonDataObjectAttributes{applicationOID},
        // [1] { Path }.
        let dodf = [
            0x30, 0x14, 0x30, 0x00, 0x30, 0x06, 0x06, 0x04, 0x67, 0x2B, 0x09, 0x01, 0xA1, 0x08,
            0x30, 0x06, 0x04, 0x04, 0x3F, 0x00, 0x64, 0x32, 0xFF, 0xFF,
        ];
        assert_eq!(find_bootstrap_path(&dodf).unwrap(), Some(vec![0x3F, 0x00, 0x64, 0x32]));
    }

    #[test]
    fn other_oids_are_skipped() {
        let mut dodf = nordic_dodf();
        dodf[32] = 0x2C; // 2.23.44.9.1: someone else's object
        assert_eq!(find_bootstrap_path(&dodf).unwrap(), None);
    }

    #[test]
    fn dir_record_with_aid_and_path() {
        let mut rec = vec![0x61, 0x16, 0x4F, 0x0C];
        rec.extend_from_slice(&PKCS15_AID);
        rec.extend_from_slice(&[0x50, 0x02, b'P', b'K', 0x51, 0x02, 0x50, 0x15, 0xFF, 0xFF]);
        let entry = parse_dir_record(&rec).unwrap().unwrap();
        assert_eq!(entry.aid, PKCS15_AID);
        assert_eq!(entry.path, Some(vec![0x50, 0x15]));
        let usim = [0x61, 0x07, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x00, 0x87];
        assert_eq!(parse_dir_record(&usim).unwrap(), None);
    }

    #[test]
    fn fcp_size() {
        let fcp =
            [0x62, 0x0C, 0x82, 0x02, 0x41, 0x21, 0x83, 0x02, 0x64, 0x32, 0x80, 0x02, 0x4E, 0x20];
        assert_eq!(fcp_file_size(&fcp), Some(20000));
        assert_eq!(fcp_file_size(&[0x62, 0x00]), None);
        assert_eq!(fcp_file_size(&[]), None);
    }
}
