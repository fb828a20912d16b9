//! A simulated UICC answering ISO 7816-4 APDUs from a file-system description: MF with EF DIR,
//! a PKCS#15 application (selectable as an ADF by AID and as DF 5015 by path) holding EF ODF,
//! DODFs and EF LwM2M_Bootstrap; logical channels; an optional PIN (VERIFY); an optional
//! GlobalPlatform SCP03 card side; T=0 behaviours (`61 xx` with GET RESPONSE, `6C xx` for a
//! wrong Le) and status-word injection.
//!
//! The SCP03 card side is written independently of the library's: RustCrypto's `aes`,
//! `cmac` and `cbc` crates do the cryptography here.

use std::collections::BTreeMap;

use aes::cipher::{BlockDecryptMut, BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit};
use cmac::Mac;

use lwm2m_bootstrap::codec::encode_instances;
use lwm2m_bootstrap::model::DataModel;
use lwm2m_bootstrap::smartcard::build_ef;
use lwm2m_bootstrap::smartcard::pkcs15::PKCS15_AID;

pub const SW_OK: u16 = 0x9000;

/// One transparent EF in the application.
#[derive(Clone, Debug)]
pub struct SimFile {
    pub data: Vec<u8>,
    /// READ BINARY needs the PIN.
    pub pin: bool,
}

/// Card-side SCP03 static keys.
#[derive(Clone, Debug)]
pub struct SimScp03 {
    pub enc: Vec<u8>,
    pub mac: Vec<u8>,
    pub kvn: u8,
    /// The "i" parameter the card announces (0x70: pseudo-random challenge, R-MAC, R-ENC).
    pub i: u8,
    /// Reads need an open secure channel.
    pub required: bool,
}

/// A status word to return instead of processing: the `nth` (0-based) command with `ins`.
#[derive(Clone, Copy, Debug)]
pub struct Injection {
    pub ins: u8,
    pub nth: usize,
    pub sw: u16,
}

#[derive(Clone, Debug, Default)]
struct Channel {
    app: Option<App>,
    ef: Option<Ef>,
    scp: Option<CardSession>,
    pending_scp: Option<CardSession>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum App {
    Adf,
    Df,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ef {
    Dir,
    App([u8; 2]),
}

#[derive(Clone, Debug)]
struct CardSession {
    s_enc: Vec<u8>,
    s_mac: Vec<u8>,
    s_rmac: Vec<u8>,
    chaining: [u8; 16],
    counter: u32,
    level: u8,
    host_cryptogram: [u8; 8],
}

/// The simulated card.
#[derive(Clone, Debug)]
pub struct SimCard {
    /// AID of the PKCS#15 ADF.
    pub aid: Vec<u8>,
    /// SELECT with a prefix of the AID works.
    pub partial_aid_selection: bool,
    /// The application can be selected by AID at all (else only as DF 5015 by path).
    pub adf_selectable: bool,
    /// FID of the application DF under the MF.
    pub df_fid: [u8; 2],
    /// EF DIR records (none: no EF DIR on the card).
    pub dir_records: Vec<Vec<u8>>,
    /// The application's transparent EFs.
    pub files: BTreeMap<[u8; 2], SimFile>,
    /// `(reference, value padded with FF to 8 bytes)`.
    pub pin: Option<(u8, Vec<u8>)>,
    pub pin_tries: u8,
    pub pin_verified: bool,
    pub scp03: Option<SimScp03>,
    /// MANAGE CHANNEL is supported.
    pub logical_channels: bool,
    /// Answer every response with data as `61 xx` and serve it through GET RESPONSE in parts
    /// of at most this many bytes.
    pub t0_get_response: Option<usize>,
    /// Answer READ BINARY whose Le exceeds the bytes left with `6C xx`.
    pub exact_le: bool,
    /// FCP carries the file size (tag 80).
    pub fcp_size: bool,
    /// Largest Le READ BINARY honours; beyond it the card answers `67 00`.
    pub max_le: usize,
    pub inject: Vec<Injection>,
    /// Flip a bit in every R-MAC (an attacker between device and card).
    pub corrupt_rmac: bool,
    /// Every APDU received, in order.
    pub log: Vec<Vec<u8>>,
    /// Open logical channels (0 is always open).
    channels: BTreeMap<u8, Channel>,
    counts: BTreeMap<u8, usize>,
    in_secure_channel: bool,
    pending: Option<(Vec<u8>, u16)>,
    sequence_counter: u32,
}

pub const ODF_FID: [u8; 2] = [0x50, 0x31];
pub const DODF_FID: [u8; 2] = [0x64, 0x30];
pub const EF_FID: [u8; 2] = [0x64, 0x32];

/// Nordic's real-card ODF (as read by sdk-nrf's lib/uicc_lwm2m).
pub fn nordic_odf() -> Vec<u8> {
    vec![0xA7, 0x06, 0x30, 0x04, 0x04, 0x02, 0x64, 0x30]
}

/// Nordic's real-card DODF: oidDO with the double-wrapped OID and Path 6432.
pub fn nordic_dodf() -> Vec<u8> {
    let mut d = vec![0xA1, 0x27, 0x30, 0x00, 0x30, 0x11, 0x0C, 0x0F];
    d.extend_from_slice(b"LwM2M Bootstrap");
    d.extend_from_slice(&[0xA1, 0x10, 0x30, 0x0E, 0x06, 0x06, 0x06, 0x04, 0x67, 0x2B, 0x09, 0x01]);
    d.extend_from_slice(&[0x30, 0x04, 0x04, 0x02, 0x64, 0x32]);
    d
}

/// A DODF as PKCS#15 means it: an opaqueDO with label, the plain OID in
/// CommonDataObjectAttributes.applicationOID, and `[1] { Path }`; padded with FF. A first
/// entry with another OID comes before it.
pub fn plain_oid_dodf(path: &[u8]) -> Vec<u8> {
    let other = [
        0x30, 0x14, 0x30, 0x00, 0x30, 0x06, 0x06, 0x04, 0x67, 0x2B, 0x09, 0x02, 0xA1, 0x08, 0x30,
        0x06, 0x04, 0x04, 0x3F, 0x00, 0x64, 0x31,
    ];
    let mut path_seq = vec![0x30, (path.len() + 2) as u8, 0x04, path.len() as u8];
    path_seq.extend_from_slice(path);
    let mut type_attrs = vec![0xA1, path_seq.len() as u8];
    type_attrs.extend_from_slice(&path_seq);
    let mut common = vec![0x30, 0x0A, 0x0C, 0x02, b'B', b'S', 0x06, 0x04, 0x67, 0x2B, 0x09, 0x01];
    common.splice(0..0, [0x30, 0x03, 0x03, 0x01, 0x00]); // CommonObjectAttributes { flags }
    common.extend_from_slice(&type_attrs);
    let mut object = vec![0x30, common.len() as u8];
    object.extend_from_slice(&common);
    let mut dodf = other.to_vec();
    dodf.extend_from_slice(&object);
    dodf.extend_from_slice(&[0xFF; 6]);
    dodf
}

/// An EF DIR record for the PKCS#15 application: `61 { 4F aid, 50 label, 51 path }`.
pub fn dir_record(aid: Option<&[u8]>, path: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(aid) = aid {
        body.extend_from_slice(&[0x4F, aid.len() as u8]);
        body.extend_from_slice(aid);
    }
    body.extend_from_slice(&[0x50, 0x07]);
    body.extend_from_slice(b"PKCS#15");
    if let Some(path) = path {
        body.extend_from_slice(&[0x51, path.len() as u8]);
        body.extend_from_slice(path);
    }
    let mut rec = vec![0x61, body.len() as u8];
    rec.extend_from_slice(&body);
    rec.resize(40, 0xFF);
    rec
}

/// The USIM's EF DIR record (it comes first on real cards).
pub fn usim_dir_record() -> Vec<u8> {
    let mut rec = vec![0x61, 0x12, 0x4F, 0x10, 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02];
    rec.extend_from_slice(&[0xFF; 9]);
    rec.resize(40, 0xFF);
    rec
}

/// Builds EF LwM2M_Bootstrap from a data model: one entry per object, implicit versions.
pub fn ef_from_model(model: &DataModel) -> Vec<u8> {
    let objects: Vec<(u16, Vec<u8>)> = model
        .object_ids()
        .map(|id| {
            let instances: Vec<_> = model.instances(id).collect();
            (id, encode_instances(&instances, true))
        })
        .collect();
    let entries: Vec<_> = objects.iter().map(|(id, tlv)| (*id, None, &tlv[..])).collect();
    build_ef(&entries).expect("fits the EF format")
}

impl SimCard {
    /// A card with the standard layout (Nordic's ODF and DODF) holding `ef` at 6432.
    pub fn standard(ef: Vec<u8>) -> SimCard {
        let mut files = BTreeMap::new();
        files.insert(ODF_FID, SimFile { data: nordic_odf(), pin: false });
        files.insert(DODF_FID, SimFile { data: nordic_dodf(), pin: false });
        files.insert(EF_FID, SimFile { data: ef, pin: false });
        SimCard {
            aid: PKCS15_AID.to_vec(),
            partial_aid_selection: true,
            adf_selectable: true,
            df_fid: [0x50, 0x15],
            dir_records: vec![
                usim_dir_record(),
                dir_record(Some(&PKCS15_AID), Some(&[0x3F, 0x00, 0x50, 0x15])),
            ],
            files,
            pin: None,
            pin_tries: 3,
            pin_verified: false,
            scp03: None,
            logical_channels: true,
            t0_get_response: None,
            exact_le: false,
            fcp_size: true,
            max_le: 256,
            inject: Vec::new(),
            corrupt_rmac: false,
            log: Vec::new(),
            channels: BTreeMap::from([(0, Channel::default())]),
            counts: BTreeMap::new(),
            in_secure_channel: false,
            pending: None,
            sequence_counter: 0,
        }
    }

    /// Replaces the content of EF LwM2M_Bootstrap (an over-the-air update).
    pub fn set_ef(&mut self, ef: Vec<u8>) {
        if let Some(f) = self.files.get_mut(&EF_FID) {
            f.data = ef;
        }
    }

    /// Logical channels currently open (besides the basic channel).
    pub fn open_channels(&self) -> usize {
        self.channels.len() - 1
    }

    /// The APDUs received with this INS.
    pub fn commands(&self, ins: u8) -> Vec<&Vec<u8>> {
        self.log.iter().filter(|a| a.get(1) == Some(&ins)).collect()
    }

    /// Answers one APDU.
    pub fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.log.push(apdu.to_vec());
        let Some((cla, ins, p1, p2, data, le)) = parse_apdu(apdu) else {
            return sw(0x6700);
        };
        if ins == 0xC0 {
            return self.get_response(le);
        }
        self.pending = None;
        let count = self.counts.entry(ins).or_default();
        let nth = *count;
        *count += 1;
        if let Some(inj) = self.inject.iter().find(|i| i.ins == ins && i.nth == nth) {
            return sw(inj.sw);
        }
        let ch = if cla & 0x40 == 0 { cla & 0x03 } else { (cla & 0x0F) + 4 };
        if !self.channels.contains_key(&ch) {
            return sw(0x6881);
        }
        let secure = if cla & 0x40 == 0 { cla & 0x04 != 0 } else { cla & 0x20 != 0 };
        let (data_out, status) = if secure && ins != 0x82 {
            self.secure_command(ch, cla, ins, p1, p2, &data, le)
        } else {
            self.process(ch, cla, ins, p1, p2, &data, le)
        };
        self.deliver(data_out, status)
    }

    fn deliver(&mut self, data: Vec<u8>, status: u16) -> Vec<u8> {
        match self.t0_get_response {
            Some(part) if !data.is_empty() => {
                let first = data.len().min(part).min(256);
                self.pending = Some((data, status));
                sw(0x6100 | (first & 0xFF) as u16)
            }
            // A short-APDU response carries at most 256 data bytes.
            _ if data.len() > 256 => sw(0x6F00),
            _ => {
                let mut out = data;
                out.extend_from_slice(&status.to_be_bytes());
                out
            }
        }
    }

    fn get_response(&mut self, le: Option<usize>) -> Vec<u8> {
        let Some((mut data, status)) = self.pending.take() else {
            return sw(0x6985);
        };
        let part = self.t0_get_response.unwrap_or(256);
        let n = le.unwrap_or(256).min(data.len()).min(part);
        let rest = data.split_off(n);
        let mut out = data;
        if rest.is_empty() {
            out.extend_from_slice(&status.to_be_bytes());
        } else {
            let next = rest.len().min(part).min(256);
            out.extend_from_slice(&(0x6100 | (next & 0xFF) as u16).to_be_bytes());
            self.pending = Some((rest, status));
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn secure_command(
        &mut self,
        ch: u8,
        cla: u8,
        ins: u8,
        p1: u8,
        p2: u8,
        data: &[u8],
        le: Option<usize>,
    ) -> (Vec<u8>, u16) {
        let Some(mut session) = self.channels.get_mut(&ch).and_then(|c| c.scp.take()) else {
            return (vec![], 0x6982);
        };
        if data.len() < 8 {
            return (vec![], 0x6988);
        }
        let (body, mac) = data.split_at(data.len() - 8);
        let mut input = session.chaining.to_vec();
        input.extend_from_slice(&[cla, ins, p1, p2, data.len() as u8]);
        input.extend_from_slice(body);
        let full = cmac_any(&session.s_mac, &input);
        if full[..8] != *mac {
            return (vec![], 0x6988); // session closed: it stays taken
        }
        session.chaining = full;
        let mut plain = body.to_vec();
        if session.level & 0x02 != 0 && !plain.is_empty() {
            let icv = aes_block(&session.s_enc, &counter_block(session.counter, 0));
            if cbc_decrypt_any(&session.s_enc, &icv, &mut plain).is_none() {
                return (vec![], 0x6988);
            }
            let Some(end) = plain.iter().rposition(|&b| b != 0).filter(|&e| plain[e] == 0x80)
            else {
                return (vec![], 0x6988);
            };
            plain.truncate(end);
        }
        let inner_cla = if cla & 0x40 == 0 { cla & !0x04 } else { cla & !0x20 };
        self.in_secure_channel = true;
        let (mut out, status) = self.process(ch, inner_cla, ins, p1, p2, &plain, le);
        self.in_secure_channel = false;
        let success = status == SW_OK || (status >> 8) == 0x62 || (status >> 8) == 0x63;
        if success {
            if session.level & 0x20 != 0 && !out.is_empty() {
                out.push(0x80);
                while out.len() % 16 != 0 {
                    out.push(0);
                }
                let icv = aes_block(&session.s_enc, &counter_block(session.counter, 0x80));
                cbc_encrypt_any(&session.s_enc, &icv, &mut out);
            }
            if session.level & 0x10 != 0 {
                let mut input = session.chaining.to_vec();
                input.extend_from_slice(&out);
                input.extend_from_slice(&status.to_be_bytes());
                out.extend_from_slice(&cmac_any(&session.s_rmac, &input)[..8]);
                if self.corrupt_rmac {
                    if let Some(last) = out.last_mut() {
                        *last ^= 1;
                    }
                }
            }
        } else {
            out.clear();
        }
        session.counter += 1;
        if let Some(c) = self.channels.get_mut(&ch) {
            c.scp = Some(session);
        }
        (out, status)
    }

    #[allow(clippy::too_many_arguments)]
    fn process(
        &mut self,
        ch: u8,
        cla: u8,
        ins: u8,
        p1: u8,
        p2: u8,
        data: &[u8],
        le: Option<usize>,
    ) -> (Vec<u8>, u16) {
        match ins {
            0x70 => self.manage_channel(ch, p1, p2),
            0xA4 => self.select(ch, p1, p2, data),
            0xB0 => self.read_binary(ch, p1, p2, le),
            0xB2 => self.read_record(ch, p1, p2),
            0x20 => self.verify(p2, data),
            0x50 if cla & 0x80 != 0 => self.initialize_update(ch, p1, data),
            0x82 if cla & 0x80 != 0 => self.external_authenticate(ch, cla, p1, p2, data),
            _ => (vec![], 0x6D00),
        }
    }

    fn manage_channel(&mut self, ch: u8, p1: u8, p2: u8) -> (Vec<u8>, u16) {
        if !self.logical_channels {
            return (vec![], 0x6D00);
        }
        match p1 {
            0x00 => match (1..=3).find(|c| !self.channels.contains_key(c)) {
                Some(new) => {
                    self.channels.insert(new, Channel::default());
                    (vec![new], SW_OK)
                }
                None => (vec![], 0x6A81),
            },
            0x80 => {
                let target = if p2 == 0 { ch } else { p2 };
                if target == 0 || self.channels.remove(&target).is_none() {
                    return (vec![], 0x6A86);
                }
                (vec![], SW_OK)
            }
            _ => (vec![], 0x6A86),
        }
    }

    fn fcp(&self, fid: [u8; 2], size: Option<usize>) -> Vec<u8> {
        let mut body = vec![0x82, 0x02, 0x41, 0x21, 0x83, 0x02, fid[0], fid[1]];
        if let (Some(size), true) = (size, self.fcp_size) {
            body.extend_from_slice(&[0x80, 0x02]);
            body.extend_from_slice(&(size as u16).to_be_bytes());
        }
        let mut fcp = vec![0x62, body.len() as u8];
        fcp.extend_from_slice(&body);
        fcp
    }

    fn select(&mut self, ch: u8, p1: u8, p2: u8, data: &[u8]) -> (Vec<u8>, u16) {
        let want_fcp = p2 & 0x0C == 0x04;
        match p1 {
            0x04 => {
                let matches = data == self.aid.as_slice()
                    || (self.partial_aid_selection
                        && !data.is_empty()
                        && self.aid.starts_with(data));
                if !matches || !self.adf_selectable {
                    return (vec![], 0x6A82);
                }
                let c = self.channels.entry(ch).or_default();
                *c = Channel { app: Some(App::Adf), ..Channel::default() };
                let mut fcp = vec![0x62, (self.aid.len() + 2) as u8, 0x84, self.aid.len() as u8];
                fcp.extend_from_slice(&self.aid);
                (if want_fcp { fcp } else { vec![] }, SW_OK)
            }
            0x08 => {
                if data.len() % 2 != 0 || data.is_empty() {
                    return (vec![], 0x6A87);
                }
                let fids: Vec<[u8; 2]> = data.chunks(2).map(|c| [c[0], c[1]]).collect();
                let current = self.channels.get(&ch).and_then(|c| c.app);
                let (app, ef) = match fids.as_slice() {
                    [[0x2F, 0x00]] => (current, Some(Ef::Dir)),
                    [df] if *df == self.df_fid => (Some(App::Df), None),
                    [df, fid] if *df == self.df_fid => (Some(App::Df), Some(Ef::App(*fid))),
                    [[0x7F, 0xFF], fid] if current == Some(App::Adf) => {
                        (current, Some(Ef::App(*fid)))
                    }
                    _ => return (vec![], 0x6A82),
                };
                let fcp = match ef {
                    Some(Ef::App(fid)) => match self.files.get(&fid) {
                        Some(f) => self.fcp(fid, Some(f.data.len())),
                        None => return (vec![], 0x6A82),
                    },
                    Some(Ef::Dir) => {
                        if self.dir_records.is_empty() {
                            return (vec![], 0x6A82);
                        }
                        vec![
                            0x62,
                            0x07,
                            0x82,
                            0x05,
                            0x42,
                            0x21,
                            0x00,
                            40,
                            self.dir_records.len() as u8,
                        ]
                    }
                    None => vec![0x62, 0x04, 0x83, 0x02, self.df_fid[0], self.df_fid[1]],
                };
                let c = self.channels.entry(ch).or_default();
                if app != c.app {
                    c.scp = None;
                }
                c.app = app;
                c.ef = ef;
                (if want_fcp { fcp } else { vec![] }, SW_OK)
            }
            _ => (vec![], 0x6A86),
        }
    }

    fn read_binary(&mut self, ch: u8, p1: u8, p2: u8, le: Option<usize>) -> (Vec<u8>, u16) {
        let channel = self.channels.get(&ch).cloned().unwrap_or_default();
        let Some(Ef::App(fid)) = channel.ef else {
            return (vec![], 0x6986);
        };
        if p1 & 0x80 != 0 {
            return (vec![], 0x6A81);
        }
        let Some(file) = self.files.get(&fid) else {
            return (vec![], 0x6A82);
        };
        if file.pin && !self.pin_verified {
            return (vec![], 0x6982);
        }
        if self.scp03.as_ref().is_some_and(|s| s.required) && !self.in_secure_channel {
            return (vec![], 0x6982);
        }
        let le = le.unwrap_or(256);
        if le > self.max_le {
            return (vec![], 0x6700);
        }
        let offset = (usize::from(p1) << 8) | usize::from(p2);
        if offset >= file.data.len() {
            return (vec![], 0x6B00);
        }
        let available = file.data.len() - offset;
        if self.exact_le && le > available {
            return (vec![], 0x6C00 | (available.min(256) & 0xFF) as u16);
        }
        let n = le.min(available);
        let status = if n < le { 0x6282 } else { SW_OK };
        (file.data[offset..offset + n].to_vec(), status)
    }

    fn read_record(&mut self, ch: u8, p1: u8, p2: u8) -> (Vec<u8>, u16) {
        if self.channels.get(&ch).and_then(|c| c.ef) != Some(Ef::Dir) {
            return (vec![], 0x6986);
        }
        if p2 != 0x04 {
            return (vec![], 0x6A86);
        }
        match usize::from(p1).checked_sub(1).and_then(|i| self.dir_records.get(i)) {
            Some(rec) => (rec.clone(), SW_OK),
            None => (vec![], 0x6A83),
        }
    }

    fn verify(&mut self, p2: u8, data: &[u8]) -> (Vec<u8>, u16) {
        let Some((reference, value)) = self.pin.clone() else {
            return (vec![], 0x6A88);
        };
        if p2 != reference {
            return (vec![], 0x6A88);
        }
        if self.pin_tries == 0 {
            return (vec![], 0x6983);
        }
        if data == value.as_slice() {
            self.pin_tries = 3;
            self.pin_verified = true;
            (vec![], SW_OK)
        } else {
            self.pin_tries -= 1;
            (vec![], 0x63C0 | u16::from(self.pin_tries))
        }
    }

    fn initialize_update(&mut self, ch: u8, kvn: u8, host_challenge: &[u8]) -> (Vec<u8>, u16) {
        let Some(keys) = self.scp03.clone() else {
            return (vec![], 0x6D00);
        };
        if kvn != 0 && kvn != keys.kvn {
            return (vec![], 0x6A88);
        }
        if host_challenge.len() != 8 {
            return (vec![], 0x6700);
        }
        self.sequence_counter += 1;
        let seq = self.sequence_counter.to_be_bytes();
        // Pseudo-random card challenge: KDF(KEY_ENC, 02, sequence counter ‖ AID).
        let mut ctx = seq[1..].to_vec();
        ctx.extend_from_slice(&self.aid);
        let card_challenge: [u8; 8] = kdf(&keys.enc, 0x02, &ctx, 64)[..8].try_into().unwrap();
        let mut context = host_challenge.to_vec();
        context.extend_from_slice(&card_challenge);
        let bits = (keys.enc.len() * 8) as u16;
        let s_enc = kdf(&keys.enc, 0x04, &context, bits);
        let s_mac = kdf(&keys.mac, 0x06, &context, bits);
        let s_rmac = kdf(&keys.mac, 0x07, &context, bits);
        let card_cryptogram = kdf(&s_mac, 0x00, &context, 64);
        let host_cryptogram: [u8; 8] = kdf(&s_mac, 0x01, &context, 64)[..8].try_into().unwrap();
        let mut out = vec![0u8; 10];
        out.extend_from_slice(&[keys.kvn, 0x03, keys.i]);
        out.extend_from_slice(&card_challenge);
        out.extend_from_slice(&card_cryptogram[..8]);
        out.extend_from_slice(&seq[1..]);
        let c = self.channels.entry(ch).or_default();
        c.scp = None;
        c.pending_scp = Some(CardSession {
            s_enc,
            s_mac,
            s_rmac,
            chaining: [0; 16],
            counter: 1,
            level: 0,
            host_cryptogram,
        });
        (out, SW_OK)
    }

    fn external_authenticate(
        &mut self,
        ch: u8,
        cla: u8,
        p1: u8,
        p2: u8,
        data: &[u8],
    ) -> (Vec<u8>, u16) {
        let Some(c) = self.channels.get_mut(&ch) else { return (vec![], 0x6881) };
        let Some(mut session) = c.pending_scp.take() else {
            return (vec![], 0x6985);
        };
        if data.len() != 16 || data[..8] != session.host_cryptogram {
            return (vec![], 0x6300);
        }
        let mut input = vec![0u8; 16];
        input.extend_from_slice(&[cla, 0x82, p1, p2, 16]);
        input.extend_from_slice(&data[..8]);
        let mac = cmac_any(&session.s_mac, &input);
        if mac[..8] != data[8..] {
            return (vec![], 0x6300);
        }
        if !matches!(p1, 0x01 | 0x03 | 0x11 | 0x13 | 0x33) {
            return (vec![], 0x6A86);
        }
        session.chaining = mac;
        session.level = p1;
        c.scp = Some(session);
        (vec![], SW_OK)
    }
}

fn sw(status: u16) -> Vec<u8> {
    status.to_be_bytes().to_vec()
}

type Parsed = (u8, u8, u8, u8, Vec<u8>, Option<usize>);

fn parse_apdu(apdu: &[u8]) -> Option<Parsed> {
    let [cla, ins, p1, p2, rest @ ..] = apdu else { return None };
    let decode_le = |b: u8| if b == 0 { 256 } else { usize::from(b) };
    let (data, le) = match rest {
        [] => (vec![], None),
        [le] => (vec![], Some(decode_le(*le))),
        [lc, body @ ..] => {
            let lc = usize::from(*lc);
            match body.len() {
                n if n == lc => (body.to_vec(), None),
                n if n == lc + 1 => (body[..lc].to_vec(), Some(decode_le(body[lc]))),
                _ => return None,
            }
        }
    };
    Some((*cla, *ins, *p1, *p2, data, le))
}

fn counter_block(counter: u32, first: u8) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[12..].copy_from_slice(&counter.to_be_bytes());
    b[0] = first;
    b
}

pub fn cmac_any(key: &[u8], msg: &[u8]) -> [u8; 16] {
    macro_rules! run {
        ($t:ty) => {{
            let mut m = <cmac::Cmac<$t> as KeyInit>::new_from_slice(key).unwrap();
            m.update(msg);
            m.finalize().into_bytes().into()
        }};
    }
    match key.len() {
        16 => run!(aes::Aes128),
        24 => run!(aes::Aes192),
        _ => run!(aes::Aes256),
    }
}

fn aes_block(key: &[u8], block: &[u8; 16]) -> [u8; 16] {
    let mut b = aes::Block::clone_from_slice(block);
    match key.len() {
        16 => aes::Aes128::new_from_slice(key).unwrap().encrypt_block(&mut b),
        24 => aes::Aes192::new_from_slice(key).unwrap().encrypt_block(&mut b),
        _ => aes::Aes256::new_from_slice(key).unwrap().encrypt_block(&mut b),
    }
    b.into()
}

fn cbc_encrypt_any(key: &[u8], iv: &[u8; 16], data: &mut [u8]) {
    macro_rules! run {
        ($t:ty) => {{
            let mut enc = cbc::Encryptor::<$t>::new_from_slices(key, iv).unwrap();
            for chunk in data.chunks_exact_mut(16) {
                enc.encrypt_block_mut(aes::Block::from_mut_slice(chunk));
            }
        }};
    }
    match key.len() {
        16 => run!(aes::Aes128),
        24 => run!(aes::Aes192),
        _ => run!(aes::Aes256),
    }
}

fn cbc_decrypt_any(key: &[u8], iv: &[u8; 16], data: &mut [u8]) -> Option<()> {
    if data.len() % 16 != 0 {
        return None;
    }
    macro_rules! run {
        ($t:ty) => {{
            let mut dec = cbc::Decryptor::<$t>::new_from_slices(key, iv).unwrap();
            for chunk in data.chunks_exact_mut(16) {
                dec.decrypt_block_mut(aes::Block::from_mut_slice(chunk));
            }
        }};
    }
    match key.len() {
        16 => run!(aes::Aes128),
        24 => run!(aes::Aes192),
        _ => run!(aes::Aes256),
    }
    Some(())
}

/// The SCP03 KDF, written here from GP Amendment D over RustCrypto's CMAC.
pub fn kdf(key: &[u8], constant: u8, context: &[u8], bits: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 1u8;
    while out.len() * 8 < usize::from(bits) {
        let mut input = vec![0u8; 11];
        input.push(constant);
        input.push(0);
        input.extend_from_slice(&bits.to_be_bytes());
        input.push(i);
        input.extend_from_slice(context);
        out.extend_from_slice(&cmac_any(key, &input));
        i += 1;
    }
    out.truncate(usize::from(bits) / 8);
    out
}
