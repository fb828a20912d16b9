//! The PKCS#15 walk to EF LwM2M_Bootstrap as a sans-IO state machine (LwM2M Core 1.1 G.2):
//!
//! 1. MANAGE CHANNEL open (`00 70 00 00 01`), unless configured to use the basic channel;
//! 2. SELECT the PKCS#15 application by AID on that channel; if that fails, SELECT EF DIR
//!    (2F00), READ RECORD until the PKCS#15 template, then SELECT by its full AID (tag 4F) or,
//!    failing that, by its path (tag 51);
//! 3. with SCP03 configured: INITIALIZE UPDATE, EXTERNAL AUTHENTICATE; every later command is
//!    wrapped and every response unwrapped;
//! 4. SELECT EF ODF (5031) and read it, SELECT and read each DODF it lists until one holds the
//!    data object with OID 2.23.43.9.1, SELECT its path (or a path known from an earlier
//!    walk) and read EF LwM2M_Bootstrap;
//! 5. MANAGE CHANNEL close, after success and after failure alike.
//!
//! Transparent files are read with READ BINARY in chunks of at most `max_chunk` bytes with
//! the offset in P1-P2, up to the size from the SELECT response's FCP or, without it, until the
//! card signals the end (a short chunk, `62 82` or `6B 00`). A file larger than allowed is
//! refused before it is read. `69 82` (security status not satisfied) on a SELECT or a read
//! triggers one VERIFY with the configured PIN and a retry of the command.

use alloc::vec::Vec;
use core::fmt;
use zeroize::Zeroizing;

use super::apdu::{class_byte, Command, Exchange, ExchangeStep, Response, StatusWord};
use super::digest::{digest, Digest};
use super::ef::MAX_EF_SIZE;
use super::pkcs15::{self, DirEntry, EF_DIR, EF_ODF, PKCS15_AID};
use super::scp03::{self, BlockCipher, NoCipher, Scp03Config, Scp03Session};
use super::CardError;

/// A card-holder verification value for files behind a PIN (VERIFY, ISO 7816-4 §11.5.6).
#[derive(Clone)]
pub struct Pin {
    /// Reference (P2 of VERIFY): `01` for the universal PIN, `81`.. for application PINs.
    pub reference: u8,
    /// The PIN as the card expects it (ASCII digits; padded with `FF` to eight bytes here).
    pub value: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin {{ reference: {:02X}, .. }}", self.reference)
    }
}

/// How to read the card.
#[derive(Clone, Debug)]
pub struct ReaderConfig {
    /// Open a logical channel with MANAGE CHANNEL (default). Without it the basic channel is
    /// used, for modems that refuse MANAGE CHANNEL through their APDU interface.
    pub logical_channel: bool,
    /// Largest READ BINARY chunk, 1..=256 (default 255: one `Le` byte, and what `AT+CSIM`
    /// implementations pass through reliably).
    pub max_chunk: u16,
    /// Largest EF LwM2M_Bootstrap accepted, at most the specification's 32 KB (the default).
    pub max_file_size: usize,
    /// A path of EF LwM2M_Bootstrap known from an earlier walk (or a fixed `64 32`): skips
    /// ODF and DODF. When the card answers "file not found" the full walk follows.
    pub known_path: Option<Vec<u8>>,
    /// PIN for files whose access condition requires it.
    pub pin: Option<Pin>,
    /// Read through a GlobalPlatform SCP03 secure channel (needs a [`BlockCipher`]).
    pub scp03: Option<Scp03Config>,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
            logical_channel: true,
            max_chunk: 255,
            max_file_size: MAX_EF_SIZE,
            known_path: None,
            pin: None,
            scp03: None,
        }
    }
}

/// The step of the walk a command belongs to (in errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// MANAGE CHANNEL open.
    OpenChannel,
    /// SELECT the PKCS#15 application by AID.
    SelectApplication,
    /// SELECT EF DIR.
    SelectDir,
    /// READ RECORD of EF DIR.
    ReadDir,
    /// SELECT the application DF by the path from EF DIR.
    SelectApplicationPath,
    /// INITIALIZE UPDATE.
    InitializeUpdate,
    /// EXTERNAL AUTHENTICATE.
    ExternalAuthenticate,
    /// SELECT EF ODF.
    SelectOdf,
    /// READ BINARY of EF ODF.
    ReadOdf,
    /// SELECT a DODF.
    SelectDodf,
    /// READ BINARY of a DODF.
    ReadDodf,
    /// SELECT EF LwM2M_Bootstrap.
    SelectEf,
    /// READ BINARY of EF LwM2M_Bootstrap.
    ReadEf,
    /// VERIFY (PIN).
    Verify,
    /// MANAGE CHANNEL close.
    CloseChannel,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::OpenChannel => "MANAGE CHANNEL open",
            Stage::SelectApplication => "SELECT PKCS#15 application",
            Stage::SelectDir => "SELECT EF DIR",
            Stage::ReadDir => "READ RECORD EF DIR",
            Stage::SelectApplicationPath => "SELECT PKCS#15 DF by path",
            Stage::InitializeUpdate => "INITIALIZE UPDATE",
            Stage::ExternalAuthenticate => "EXTERNAL AUTHENTICATE",
            Stage::SelectOdf => "SELECT EF ODF",
            Stage::ReadOdf => "READ BINARY EF ODF",
            Stage::SelectDodf => "SELECT EF DODF",
            Stage::ReadDodf => "READ BINARY EF DODF",
            Stage::SelectEf => "SELECT EF LwM2M_Bootstrap",
            Stage::ReadEf => "READ BINARY EF LwM2M_Bootstrap",
            Stage::Verify => "VERIFY PIN",
            Stage::CloseChannel => "MANAGE CHANNEL close",
        })
    }
}

/// The raw content of EF LwM2M_Bootstrap and how it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EfContent {
    /// The bytes of the file as read (padding included); they hold keys, so they are wiped
    /// on drop.
    pub data: Zeroizing<Vec<u8>>,
    /// The path of the file as the DODF gave it (cache it in [`ReaderConfig::known_path`]).
    pub path: Vec<u8>,
    /// [`digest`] of `data`.
    pub digest: Digest,
    /// Whether the file came through an SCP03 secure channel.
    pub secure_channel: bool,
    /// False when MANAGE CHANNEL close failed (the data is still good).
    pub channel_closed: bool,
}

/// What the reader wants next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this APDU to the card and pass its complete answer (data and SW) to
    /// [`CardReader::next`].
    Transmit(Vec<u8>),
    /// The walk is over.
    Done(Result<EfContent, CardError>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Odf,
    Dodf(usize),
    Ef,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum AppRef {
    /// Selected by AID: files are addressed from `7FFF` (the current ADF).
    Adf,
    /// Selected as a DF by this path from the MF (without `3F00`).
    Df(Vec<u8>),
}

#[derive(Debug)]
enum Phase {
    Idle,
    OpenChannel,
    SelectAid(Option<DirEntry>),
    SelectDir,
    ReadDir(u8),
    SelectAppPath,
    InitializeUpdate,
    ExternalAuthenticate,
    Select(Target),
    Read(Target, Option<usize>),
    Close,
    Done,
}

/// The card walk. Call [`next`](CardReader::next) with `None` first, then with each answer
/// until it returns [`Step::Done`]. `C` is the AES for SCP03 ([`NoCipher`] without).
pub struct CardReader<C: BlockCipher = NoCipher> {
    config: ReaderConfig,
    phase: Phase,
    channel: u8,
    channel_open: bool,
    app: AppRef,
    exchange: Option<Exchange>,
    wrapped: bool,
    scp: Option<Scp03Session<C>>,
    pending_scp: Option<Scp03Session<C>>,
    verifying: Option<Command>,
    completed: Option<Command>,
    pin_verified: bool,
    using_known_path: bool,
    dodfs: Vec<Vec<u8>>,
    ef_path: Vec<u8>,
    buffer: Vec<u8>,
    outcome: Option<Result<EfContent, CardError>>,
    transmitted: usize,
    limit: usize,
}

impl<C: BlockCipher> fmt::Debug for CardReader<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardReader")
            .field("phase", &self.phase)
            .field("channel", &self.channel)
            .field("transmitted", &self.transmitted)
            .finish_non_exhaustive()
    }
}

impl CardReader<NoCipher> {
    /// A reader without SCP03 support (configuring SCP03 keys then fails with
    /// [`Scp03Error::NoCipher`](super::Scp03Error::NoCipher)).
    pub fn new(config: ReaderConfig) -> CardReader<NoCipher> {
        CardReader::with_cipher(config)
    }
}

impl<C: BlockCipher> CardReader<C> {
    /// A reader whose SCP03 uses the AES `C`.
    pub fn with_cipher(mut config: ReaderConfig) -> CardReader<C> {
        config.max_chunk = config.max_chunk.clamp(1, 256);
        config.max_file_size = config.max_file_size.min(MAX_EF_SIZE);
        let per_file = MAX_EF_SIZE / usize::from(config.max_chunk) + 1;
        CardReader {
            limit: 1024 + 8 * per_file,
            config,
            phase: Phase::Idle,
            channel: 0,
            channel_open: false,
            app: AppRef::Adf,
            exchange: None,
            wrapped: false,
            scp: None,
            pending_scp: None,
            verifying: None,
            completed: None,
            pin_verified: false,
            using_known_path: false,
            dodfs: Vec::new(),
            ef_path: Vec::new(),
            buffer: Vec::new(),
            outcome: None,
            transmitted: 0,
        }
    }

    /// Drives the walk to the end with a blocking transmit function (`None`: no answer, e.g.
    /// the card was removed).
    pub fn run(
        mut self,
        mut transmit: impl FnMut(&[u8]) -> Option<Vec<u8>>,
    ) -> Result<EfContent, CardError> {
        let mut response: Option<Vec<u8>> = None;
        loop {
            match self.next(response.as_deref()) {
                Step::Transmit(apdu) => response = transmit(&apdu),
                Step::Done(result) => return result,
            }
        }
    }

    /// Advances the walk: `None` to start (and when the transport got no answer), else the
    /// card's complete answer to the last [`Step::Transmit`].
    pub fn next(&mut self, response: Option<&[u8]>) -> Step {
        match self.phase {
            Phase::Done => return Step::Done(Err(CardError::Finished)),
            Phase::Idle => return self.start(),
            _ => {}
        }
        let (Some(bytes), Some(mut exchange)) = (response, self.exchange.take()) else {
            return self.fail(CardError::NoResponse);
        };
        match exchange.on_response(bytes) {
            Err(e) => self.fail(e),
            Ok(ExchangeStep::Transmit(apdu)) => {
                self.exchange = Some(exchange);
                self.transmit(apdu)
            }
            Ok(ExchangeStep::Complete(response)) => {
                self.completed = Some(exchange.command().clone());
                let response = match (self.wrapped, self.scp.as_mut()) {
                    (true, Some(session)) => match session.unwrap(response) {
                        Ok(r) => r,
                        Err(e) => return self.fail(e.into()),
                    },
                    _ => response,
                };
                self.on_complete(response)
            }
        }
    }

    fn start(&mut self) -> Step {
        if self.config.logical_channel {
            self.phase = Phase::OpenChannel;
            self.send_raw(Command::new(0x00, 0x70, 0x00, 0x00).with_le(1))
        } else {
            self.select_default_aid()
        }
    }

    fn cla(&self) -> u8 {
        class_byte(self.channel, false, false).unwrap_or(0)
    }

    fn transmit(&mut self, apdu: Vec<u8>) -> Step {
        self.transmitted += 1;
        if self.transmitted > self.limit && !matches!(self.phase, Phase::Close) {
            self.exchange = None;
            return self.fail(CardError::TooManyCommands);
        }
        Step::Transmit(apdu)
    }

    /// Sends a command as it is (MANAGE CHANNEL, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE).
    fn send_raw(&mut self, command: Command) -> Step {
        self.wrapped = false;
        match Exchange::start(command) {
            Ok((exchange, apdu)) => {
                self.exchange = Some(exchange);
                self.transmit(apdu)
            }
            Err(e) => self.fail(e),
        }
    }

    /// Sends a command, through the secure channel when one is open.
    fn send(&mut self, command: Command) -> Step {
        let Some(session) = self.scp.as_mut() else {
            return self.send_raw(command);
        };
        match session.wrap(&command) {
            Ok(wrapped) => {
                let step = self.send_raw(wrapped);
                self.wrapped = true;
                step
            }
            Err(e) => self.fail(e.into()),
        }
    }

    fn fail(&mut self, error: CardError) -> Step {
        if self.channel_open && !matches!(self.phase, Phase::Close) {
            self.outcome = Some(Err(error));
            return self.close();
        }
        if matches!(self.phase, Phase::Close) {
            return self.finish(false);
        }
        self.phase = Phase::Done;
        Step::Done(Err(error))
    }

    fn close(&mut self) -> Step {
        self.phase = Phase::Close;
        self.scp = None;
        let cla = self.cla();
        self.send_raw(Command::new(cla, 0x70, 0x80, self.channel))
    }

    fn finish(&mut self, closed: bool) -> Step {
        self.phase = Phase::Done;
        self.exchange = None;
        let outcome = self.outcome.take().unwrap_or(Err(CardError::NoResponse));
        Step::Done(outcome.map(|mut content| {
            content.channel_closed = closed;
            content
        }))
    }

    fn on_complete(&mut self, response: Response) -> Step {
        if let Some(retry) = self.verifying.take() {
            return self.on_verify(response, retry);
        }
        let sw = response.sw;
        if sw == StatusWord::SECURITY_NOT_SATISFIED && self.pin_applies() {
            return self.ask_pin();
        }
        match core::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Idle | Phase::Done => Step::Done(Err(CardError::Finished)),
            Phase::OpenChannel => self.on_open_channel(response),
            Phase::SelectAid(entry) => {
                if sw.is_ok() {
                    self.app = AppRef::Adf;
                    return self.after_application();
                }
                match entry {
                    None => self.select_dir(),
                    Some(DirEntry { path: Some(path), .. }) => self.select_application_path(path),
                    Some(_) => self.fail(CardError::NoPkcs15Application),
                }
            }
            Phase::SelectDir => {
                if sw.is_ok() {
                    self.read_dir(1)
                } else {
                    self.fail(CardError::NoPkcs15Application)
                }
            }
            Phase::ReadDir(n) => self.on_dir_record(n, response),
            Phase::SelectAppPath => {
                if sw.is_ok() {
                    self.after_application()
                } else {
                    self.fail(CardError::Status(Stage::SelectApplicationPath, sw))
                }
            }
            Phase::InitializeUpdate => self.on_initialize_update(response),
            Phase::ExternalAuthenticate => {
                if sw.is_ok() {
                    self.scp = self.pending_scp.take();
                    self.start_files()
                } else {
                    self.fail(CardError::Status(Stage::ExternalAuthenticate, sw))
                }
            }
            Phase::Select(target) => self.on_select(target, response),
            Phase::Read(target, size) => self.on_read(target, size, response),
            Phase::Close => self.finish(sw.is_ok()),
        }
    }

    fn pin_applies(&self) -> bool {
        matches!(
            self.phase,
            Phase::Select(_) | Phase::Read(..) | Phase::ReadDir(_) | Phase::SelectDir
        )
    }

    fn ask_pin(&mut self) -> Step {
        let stage = self.stage();
        let retry = self.completed.take();
        let not_satisfied = CardError::Status(stage, StatusWord::SECURITY_NOT_SATISFIED);
        let (Some(pin), false) = (self.config.pin.clone(), self.pin_verified) else {
            return self.fail(not_satisfied);
        };
        let Some(retry) = self.last_plain_command(retry) else {
            return self.fail(not_satisfied);
        };
        let mut value = Zeroizing::new(pin.value.to_vec());
        while value.len() < 8 {
            value.push(0xFF);
        }
        self.verifying = Some(retry);
        let verify = Command::new(self.cla(), 0x20, 0x00, pin.reference).with_data(&value);
        self.send(verify)
    }

    /// The plain command to retry after VERIFY (the exchange holds the wrapped one).
    fn last_plain_command(&self, exchanged: Option<Command>) -> Option<Command> {
        if self.scp.is_none() {
            return exchanged;
        }
        // With SCP03 the command has to be rebuilt from the phase (a wrapped command cannot be
        // replayed: the MAC chain and the counter moved on).
        match &self.phase {
            Phase::Select(Target::Odf) => self.select_command(&EF_ODF).ok(),
            Phase::Select(Target::Dodf(i)) => {
                self.dodfs.get(*i).and_then(|p| self.select_command(p).ok())
            }
            Phase::Select(Target::Ef) => self.select_command(&self.ef_path).ok(),
            Phase::Read(target, size) => Some(self.read_command(*target, *size)),
            _ => None,
        }
    }

    fn on_verify(&mut self, response: Response, retry: Command) -> Step {
        let sw = response.sw;
        if sw.is_ok() {
            self.pin_verified = true;
            return self.send(retry);
        }
        self.fail(match (sw.sw1(), sw.sw2()) {
            (0x63, x) if x & 0xF0 == 0xC0 => CardError::PinRejected(x & 0x0F),
            (0x69, 0x83) => CardError::PinBlocked,
            _ => CardError::Status(Stage::Verify, sw),
        })
    }

    fn stage(&self) -> Stage {
        match &self.phase {
            Phase::Idle | Phase::OpenChannel => Stage::OpenChannel,
            Phase::SelectAid(_) => Stage::SelectApplication,
            Phase::SelectDir => Stage::SelectDir,
            Phase::ReadDir(_) => Stage::ReadDir,
            Phase::SelectAppPath => Stage::SelectApplicationPath,
            Phase::InitializeUpdate => Stage::InitializeUpdate,
            Phase::ExternalAuthenticate => Stage::ExternalAuthenticate,
            Phase::Select(t) => select_stage(*t),
            Phase::Read(t, _) => read_stage(*t),
            Phase::Close | Phase::Done => Stage::CloseChannel,
        }
    }

    fn on_open_channel(&mut self, response: Response) -> Step {
        if !response.sw.is_ok() {
            return self.fail(CardError::Status(Stage::OpenChannel, response.sw));
        }
        match response.data.as_slice() {
            [ch @ 1..=19] => {
                self.channel = *ch;
                self.channel_open = true;
                self.select_default_aid()
            }
            _ => self.fail(CardError::BadChannel),
        }
    }

    fn select_default_aid(&mut self) -> Step {
        self.select_aid(None)
    }

    fn select_aid(&mut self, entry: Option<DirEntry>) -> Step {
        let aid = entry.as_ref().map_or(&PKCS15_AID[..], |e| &e.aid[..]);
        let command = Command::new(self.cla(), 0xA4, 0x04, 0x04).with_data(aid).with_le(256);
        self.phase = Phase::SelectAid(entry);
        self.send_raw(command)
    }

    fn select_dir(&mut self) -> Step {
        let command = Command::new(self.cla(), 0xA4, 0x08, 0x04).with_data(&EF_DIR).with_le(256);
        self.phase = Phase::SelectDir;
        self.send_raw(command)
    }

    fn read_dir(&mut self, record: u8) -> Step {
        self.phase = Phase::ReadDir(record);
        self.send_raw(Command::new(self.cla(), 0xB2, record, 0x04).with_le(256))
    }

    fn on_dir_record(&mut self, record: u8, response: Response) -> Step {
        let sw = response.sw;
        if !sw.is_ok() {
            return match sw {
                StatusWord::RECORD_NOT_FOUND | StatusWord::WRONG_P1P2 | StatusWord::END_OF_FILE => {
                    self.fail(CardError::NoPkcs15Application)
                }
                _ => self.fail(CardError::Status(Stage::ReadDir, sw)),
            };
        }
        match pkcs15::parse_dir_record(&response.data) {
            Err(e) => self.fail(CardError::MalformedDer(Stage::ReadDir, e)),
            Ok(Some(entry)) if entry.aid != PKCS15_AID => self.select_aid(Some(entry)),
            Ok(Some(DirEntry { path: Some(path), .. })) => self.select_application_path(path),
            Ok(Some(_)) => self.fail(CardError::NoPkcs15Application),
            Ok(None) if record < 254 => self.read_dir(record + 1),
            Ok(None) => self.fail(CardError::NoPkcs15Application),
        }
    }

    fn select_application_path(&mut self, path: Vec<u8>) -> Step {
        let relative = path.strip_prefix(&[0x3F, 0x00][..]).unwrap_or(&path).to_vec();
        if relative.is_empty() || relative.len() % 2 != 0 || relative.len() > 14 {
            return self.fail(CardError::BadPath);
        }
        let command = Command::new(self.cla(), 0xA4, 0x08, 0x04).with_data(&relative).with_le(256);
        self.app = AppRef::Df(relative);
        self.phase = Phase::SelectAppPath;
        self.send_raw(command)
    }

    fn after_application(&mut self) -> Step {
        let Some(config) = self.config.scp03.as_ref() else {
            return self.start_files();
        };
        match scp03::initialize_update(config, self.channel) {
            Some(command) => {
                self.phase = Phase::InitializeUpdate;
                self.send_raw(command)
            }
            None => self.fail(CardError::BadChannel),
        }
    }

    fn on_initialize_update(&mut self, response: Response) -> Step {
        if !response.sw.is_ok() {
            return self.fail(CardError::Status(Stage::InitializeUpdate, response.sw));
        }
        let Some(config) = self.config.scp03.as_ref() else {
            return self.fail(CardError::Finished);
        };
        match Scp03Session::<C>::begin(config, self.channel, &response.data) {
            Ok((session, external_authenticate)) => {
                self.pending_scp = Some(session);
                self.phase = Phase::ExternalAuthenticate;
                self.send_raw(external_authenticate)
            }
            Err(e) => self.fail(e.into()),
        }
    }

    fn start_files(&mut self) -> Step {
        match self.config.known_path.clone() {
            Some(path) => {
                self.using_known_path = true;
                self.ef_path = path;
                self.select(Target::Ef)
            }
            None => self.select(Target::Odf),
        }
    }

    fn select_command(&self, path: &[u8]) -> Result<Command, CardError> {
        if path.len() < 2 || path.len() % 2 != 0 || path.len() > 16 {
            return Err(CardError::BadPath);
        }
        let mut data = Vec::with_capacity(18);
        match path.strip_prefix(&[0x3F, 0x00][..]) {
            Some(from_mf) => data.extend_from_slice(from_mf),
            None => {
                match &self.app {
                    AppRef::Adf => data.extend_from_slice(&[0x7F, 0xFF]),
                    AppRef::Df(df) => data.extend_from_slice(df),
                }
                data.extend_from_slice(path);
            }
        }
        if data.is_empty() || data.len() > 16 {
            return Err(CardError::BadPath);
        }
        Ok(Command::new(self.cla(), 0xA4, 0x08, 0x04).with_data(&data).with_le(256))
    }

    fn select(&mut self, target: Target) -> Step {
        let path = match target {
            Target::Odf => EF_ODF.to_vec(),
            Target::Dodf(i) => match self.dodfs.get(i) {
                Some(p) => p.clone(),
                None => return self.fail(CardError::NoBootstrapObject),
            },
            Target::Ef => self.ef_path.clone(),
        };
        match self.select_command(&path) {
            Ok(command) => {
                self.phase = Phase::Select(target);
                self.send(command)
            }
            Err(e) => self.fail(e),
        }
    }

    fn limit_for(&self, target: Target) -> usize {
        match target {
            Target::Ef => self.config.max_file_size,
            _ => MAX_EF_SIZE,
        }
    }

    fn on_select(&mut self, target: Target, response: Response) -> Step {
        let sw = response.sw;
        if !sw.is_ok() {
            if target == Target::Ef && self.using_known_path && sw == StatusWord::FILE_NOT_FOUND {
                self.using_known_path = false;
                return self.select(Target::Odf);
            }
            return self.fail(CardError::Status(select_stage(target), sw));
        }
        let size = pkcs15::fcp_file_size(&response.data);
        if let Some(size) = size {
            if size > self.limit_for(target) {
                return self.fail(CardError::FileTooLarge(size));
            }
        }
        self.buffer.clear();
        if size == Some(0) {
            return self.file_complete(target);
        }
        self.phase = Phase::Read(target, size);
        let command = self.read_command(target, size);
        self.send(command)
    }

    /// Le of the next READ BINARY: at most `max_chunk`, less through a secure channel so that
    /// the padded, encrypted and MACed answer still fits 256 bytes (239 with R-ENCRYPTION,
    /// 248 with R-MAC only), and no more than the file has left. Without a known size it asks
    /// for one byte past the limit, so that an over-long file shows itself.
    fn chunk_len(&self, target: Target, size: Option<usize>) -> u16 {
        let remaining = match size {
            Some(s) => s.saturating_sub(self.buffer.len()),
            None => (self.limit_for(target) + 1).saturating_sub(self.buffer.len()),
        };
        let max = match self.scp.as_ref().map(Scp03Session::security_level) {
            Some(l) if l & scp03::level::R_ENCRYPTION != 0 => 239,
            Some(l) if l & scp03::level::R_MAC != 0 => 248,
            _ => 256,
        };
        let max = self.config.max_chunk.min(max);
        u16::try_from(remaining).unwrap_or(u16::MAX).clamp(1, max)
    }

    fn read_command(&self, target: Target, size: Option<usize>) -> Command {
        let [hi, lo] = u16::try_from(self.buffer.len()).unwrap_or(u16::MAX).to_be_bytes();
        Command::new(self.cla(), 0xB0, hi & 0x7F, lo).with_le(self.chunk_len(target, size))
    }

    fn on_read(&mut self, target: Target, size: Option<usize>, response: Response) -> Step {
        let sw = response.sw;
        let asked = usize::from(self.chunk_len(target, size));
        let limit = self.limit_for(target);
        if sw == StatusWord::WRONG_P1P2 && size.is_none() {
            return self.file_complete(target);
        }
        if !(sw.is_ok() || sw == StatusWord::END_OF_FILE) {
            return self.fail(CardError::Status(read_stage(target), sw));
        }
        let got = response.data.len();
        if got == 0 && sw.is_ok() && size.is_some() {
            return self.fail(CardError::BadReadLength);
        }
        if size.is_some_and(|s| self.buffer.len() + got > s) {
            return self.fail(CardError::BadReadLength);
        }
        self.buffer.extend_from_slice(&response.data);
        if self.buffer.len() > limit {
            return self.fail(CardError::FileTooLarge(self.buffer.len()));
        }
        let done = match size {
            Some(s) => self.buffer.len() >= s,
            None => got < asked || self.buffer.len() >= limit,
        };
        if done || sw == StatusWord::END_OF_FILE {
            return self.file_complete(target);
        }
        if self.buffer.len() > 0x7FFF {
            // READ BINARY cannot address offsets past 32767 (P1 bit 8 means "short EF id").
            return self.fail(CardError::FileTooLarge(self.buffer.len()));
        }
        self.phase = Phase::Read(target, size);
        let command = self.read_command(target, size);
        self.send(command)
    }

    fn file_complete(&mut self, target: Target) -> Step {
        let file = core::mem::take(&mut self.buffer);
        match target {
            Target::Odf => match pkcs15::parse_odf(&file) {
                Err(e) => self.fail(CardError::MalformedDer(Stage::ReadOdf, e)),
                Ok(paths) if paths.is_empty() => self.fail(CardError::NoDodf),
                Ok(paths) => {
                    self.dodfs = paths;
                    self.select(Target::Dodf(0))
                }
            },
            Target::Dodf(i) => match pkcs15::find_bootstrap_path(&file) {
                Err(e) => self.fail(CardError::MalformedDer(Stage::ReadDodf, e)),
                Ok(Some(path)) => {
                    self.ef_path = path;
                    self.select(Target::Ef)
                }
                Ok(None) if i + 1 < self.dodfs.len() => self.select(Target::Dodf(i + 1)),
                Ok(None) => self.fail(CardError::NoBootstrapObject),
            },
            Target::Ef => {
                let content = EfContent {
                    digest: digest(&file),
                    data: Zeroizing::new(file),
                    path: core::mem::take(&mut self.ef_path),
                    secure_channel: self.scp.is_some(),
                    channel_closed: false,
                };
                if self.channel_open {
                    self.outcome = Some(Ok(content));
                    self.close()
                } else {
                    self.phase = Phase::Done;
                    Step::Done(Ok(content))
                }
            }
        }
    }
}

fn select_stage(target: Target) -> Stage {
    match target {
        Target::Odf => Stage::SelectOdf,
        Target::Dodf(_) => Stage::SelectDodf,
        Target::Ef => Stage::SelectEf,
    }
}

fn read_stage(target: Target) -> Stage {
    match target {
        Target::Odf => Stage::ReadOdf,
        Target::Dodf(_) => Stage::ReadDodf,
        Target::Ef => Stage::ReadEf,
    }
}
