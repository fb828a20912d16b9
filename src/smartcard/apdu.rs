//! ISO/IEC 7816-4 command and response APDUs (short Lc/Le only), status words, the class byte
//! with its logical channel, and one command's exchange including the `61 xx` (GET RESPONSE)
//! and `6C xx` (re-issue with the right Le) flows of the T=0 transport.

use alloc::vec::Vec;
use core::fmt;

use super::CardError;

/// A command APDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Class byte (carries the logical channel and secure-messaging bits).
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (Lc is its length; at most 255 bytes).
    pub data: Vec<u8>,
    /// Expected response length, 1..=256 (256 is encoded as `00`); `None`: no Le field.
    pub le: Option<u16>,
}

impl Command {
    /// A command without data and without Le (ISO case 1).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Command {
        Command { cla, ins, p1, p2, data: Vec::new(), le: None }
    }

    /// Builder: sets the command data.
    pub fn with_data(mut self, data: &[u8]) -> Command {
        self.data = data.to_vec();
        self
    }

    /// Builder: sets Le (clamped to 1..=256).
    pub fn with_le(mut self, le: u16) -> Command {
        self.le = Some(le.clamp(1, 256));
        self
    }

    /// Encodes the APDU with short Lc/Le fields. Data longer than 255 bytes cannot be sent.
    pub fn encode(&self) -> Result<Vec<u8>, CardError> {
        let lc = u8::try_from(self.data.len()).map_err(|_| CardError::CommandTooLong)?;
        let mut out = Vec::with_capacity(6 + self.data.len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if lc > 0 {
            out.push(lc);
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            // 256 is encoded as 00 (ISO 7816-4 §5.1); the cast keeps the low byte.
            out.push((le & 0xFF) as u8);
        }
        Ok(out)
    }
}

/// A status word (SW1 SW2).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `90 00`: normal processing.
    pub const OK: StatusWord = StatusWord(0x9000);
    /// `62 82`: end of file reached before reading Le bytes.
    pub const END_OF_FILE: StatusWord = StatusWord(0x6282);
    /// `69 82`: security status not satisfied (PIN needed).
    pub const SECURITY_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// `69 83`: authentication method blocked.
    pub const AUTH_BLOCKED: StatusWord = StatusWord(0x6983);
    /// `6A 82`: file or application not found.
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// `6A 83`: record not found.
    pub const RECORD_NOT_FOUND: StatusWord = StatusWord(0x6A83);
    /// `6B 00`: wrong parameters P1-P2 (offset outside the EF).
    pub const WRONG_P1P2: StatusWord = StatusWord(0x6B00);

    /// Builds from SW1 and SW2.
    pub fn from_bytes(sw1: u8, sw2: u8) -> StatusWord {
        StatusWord(u16::from_be_bytes([sw1, sw2]))
    }

    /// SW1.
    pub fn sw1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }

    /// SW2.
    pub fn sw2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }

    /// `90 00`.
    pub fn is_ok(self) -> bool {
        self == StatusWord::OK
    }

    /// A warning (`62 xx` / `63 xx`): processing completed, data may come with it.
    pub fn is_warning(self) -> bool {
        matches!(self.sw1(), 0x62 | 0x63)
    }

    /// A short description of the status word (ISO 7816-4 §5.6, ETSI TS 102 221 §10.2).
    pub fn meaning(self) -> &'static str {
        match (self.sw1(), self.sw2()) {
            (0x90, 0x00) => "normal processing",
            (0x61, _) => "response bytes still available",
            (0x62, 0x82) => "end of file reached before reading Le bytes",
            (0x62, _) => "warning: non-volatile memory unchanged",
            (0x63, x) if x & 0xF0 == 0xC0 => "verification failed (retries left in SW2)",
            (0x63, _) => "warning: non-volatile memory changed",
            (0x64, _) => "execution error: memory unchanged",
            (0x65, _) => "execution error: memory changed",
            (0x67, _) => "wrong length",
            (0x68, 0x81) => "logical channel not supported",
            (0x68, 0x82) => "secure messaging not supported",
            (0x68, _) => "function in CLA not supported",
            (0x69, 0x81) => "command incompatible with file structure",
            (0x69, 0x82) => "security status not satisfied",
            (0x69, 0x83) => "authentication method blocked",
            (0x69, 0x84) => "reference data not usable",
            (0x69, 0x85) => "conditions of use not satisfied",
            (0x69, 0x86) => "command not allowed (no current EF)",
            (0x69, 0x88) => "incorrect secure messaging data objects",
            (0x69, _) => "command not allowed",
            (0x6A, 0x80) => "incorrect parameters in the data field",
            (0x6A, 0x81) => "function not supported",
            (0x6A, 0x82) => "file or application not found",
            (0x6A, 0x83) => "record not found",
            (0x6A, 0x84) => "not enough memory space in the file",
            (0x6A, 0x86) => "incorrect parameters P1-P2",
            (0x6A, 0x88) => "referenced data not found",
            (0x6A, _) => "wrong parameters",
            (0x6B, 0x00) => "wrong parameters P1-P2 (offset outside the EF)",
            (0x6C, _) => "wrong Le (exact length in SW2)",
            (0x6D, 0x00) => "instruction not supported",
            (0x6E, 0x00) => "class not supported",
            (0x6F, _) => "technical problem, no precise diagnosis",
            (0x98, _) => "security management error",
            _ => "unknown status word",
        }
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SW {:04X}", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02X} {:02X} ({})", self.sw1(), self.sw2(), self.meaning())
    }
}

/// A response APDU: data and status word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Response data (may be empty).
    pub data: Vec<u8>,
    /// The trailing status word.
    pub sw: StatusWord,
}

impl Response {
    /// Splits raw response bytes into data and the trailing status word.
    pub fn parse(bytes: &[u8]) -> Result<Response, CardError> {
        let split = bytes.len().checked_sub(2).ok_or(CardError::MalformedResponse)?;
        let (data, sw) = bytes.split_at(split);
        let [sw1, sw2] = sw else {
            return Err(CardError::MalformedResponse);
        };
        Ok(Response { data: data.to_vec(), sw: StatusWord::from_bytes(*sw1, *sw2) })
    }
}

/// The class byte for `channel` (0..=19, ETSI TS 102 221 §10.1.1): the first interindustry
/// class for channels 0-3 (secure messaging bit `04`), the further interindustry class for
/// 4-19 (secure messaging bit `20`); `proprietary` sets b8 (GlobalPlatform commands).
pub fn class_byte(channel: u8, secure_messaging: bool, proprietary: bool) -> Option<u8> {
    match channel {
        0..=3 => Some(
            channel | if secure_messaging { 0x04 } else { 0 } | if proprietary { 0x80 } else { 0 },
        ),
        4..=19 => Some(
            0x40 | (channel - 4)
                | if secure_messaging { 0x20 } else { 0 }
                | if proprietary { 0x80 } else { 0 },
        ),
        _ => None,
    }
}

/// The class byte of GET RESPONSE on the channel a command was sent on: the channel bits of
/// `cla`, no secure messaging, interindustry.
fn get_response_class(cla: u8) -> u8 {
    if cla & 0x40 == 0 {
        cla & 0x03
    } else {
        0x40 | (cla & 0x0F)
    }
}

/// Longest response (data bytes) accepted through GET RESPONSE chaining.
pub const MAX_RESPONSE_DATA: usize = 0x1_0000;

/// What an [`Exchange`] wants next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExchangeStep {
    /// Send these bytes to the card and feed the answer back.
    Transmit(Vec<u8>),
    /// The command completed with this response (any status word but `61 xx` / `6C xx`).
    Complete(Response),
}

/// One command's round trip, including GET RESPONSE chaining (`61 xx`) and one re-issue with
/// the length the card asked for (`6C xx`).
#[derive(Clone, Debug)]
pub struct Exchange {
    command: Command,
    data: Vec<u8>,
    reissued: bool,
}

impl Exchange {
    /// Starts the exchange; returns it with the bytes to transmit.
    pub fn start(command: Command) -> Result<(Exchange, Vec<u8>), CardError> {
        let bytes = command.encode()?;
        Ok((Exchange { command, data: Vec::new(), reissued: false }, bytes))
    }

    /// The command being exchanged.
    pub fn command(&self) -> &Command {
        &self.command
    }

    /// Feeds the card's raw answer to the last transmitted APDU.
    pub fn on_response(&mut self, bytes: &[u8]) -> Result<ExchangeStep, CardError> {
        let response = Response::parse(bytes)?;
        if self.data.len().saturating_add(response.data.len()) > MAX_RESPONSE_DATA {
            return Err(CardError::ResponseTooLong);
        }
        self.data.extend_from_slice(&response.data);
        match response.sw.sw1() {
            0x61 => {
                let le = match response.sw.sw2() {
                    0 => 256,
                    n => u16::from(n),
                };
                let cla = get_response_class(self.command.cla);
                let get = Command::new(cla, 0xC0, 0x00, 0x00).with_le(le);
                Ok(ExchangeStep::Transmit(get.encode()?))
            }
            0x6C if !self.reissued => {
                self.reissued = true;
                self.data.clear();
                let le = match response.sw.sw2() {
                    0 => 256,
                    n => u16::from(n),
                };
                self.command.le = Some(le);
                Ok(ExchangeStep::Transmit(self.command.encode()?))
            }
            _ => Ok(ExchangeStep::Complete(Response {
                data: core::mem::take(&mut self.data),
                sw: response.sw,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn encodes_the_four_iso_cases() {
        assert_eq!(Command::new(0x01, 0x70, 0x80, 0x01).encode().unwrap(), [1, 0x70, 0x80, 1]);
        let read = Command::new(0x01, 0xB0, 0x01, 0x00).with_le(256);
        assert_eq!(read.encode().unwrap(), [1, 0xB0, 1, 0, 0]);
        let case3 = Command::new(0, 0x20, 0, 1).with_data(&[0x31, 0x32]);
        assert_eq!(case3.encode().unwrap(), [0, 0x20, 0, 1, 2, 0x31, 0x32]);
        let aid = [0xA0, 0, 0, 0, 0x63, 0x50, 0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35];
        let select = Command::new(0x01, 0xA4, 0x04, 0x04).with_data(&aid).with_le(256);
        let mut expected = vec![0x01, 0xA4, 0x04, 0x04, 0x0C];
        expected.extend_from_slice(&aid);
        expected.push(0x00);
        assert_eq!(select.encode().unwrap(), expected, "SELECT by AID (ISO 7816-4)");
        assert_eq!(
            Command::new(0, 0, 0, 0).with_data(&[0; 256]).encode(),
            Err(CardError::CommandTooLong)
        );
    }

    #[test]
    fn class_byte_carries_the_channel() {
        assert_eq!(class_byte(1, false, false), Some(0x01));
        assert_eq!(class_byte(3, true, true), Some(0x87));
        assert_eq!(class_byte(4, false, false), Some(0x40));
        assert_eq!(class_byte(19, true, false), Some(0x6F));
        assert_eq!(class_byte(20, false, false), None);
        assert_eq!(get_response_class(0x87), 0x03);
        assert_eq!(get_response_class(0x6F), 0x4F);
    }

    #[test]
    fn get_response_chaining_collects_every_part() {
        let (mut ex, first) = Exchange::start(Command::new(0x02, 0xB2, 1, 4).with_le(256)).unwrap();
        assert_eq!(first, [0x02, 0xB2, 1, 4, 0]);
        assert_eq!(
            ex.on_response(&[0x61, 0x03]).unwrap(),
            ExchangeStep::Transmit(vec![0x02, 0xC0, 0, 0, 3])
        );
        assert_eq!(
            ex.on_response(&[1, 2, 3, 0x61, 0x00]).unwrap(),
            ExchangeStep::Transmit(vec![0x02, 0xC0, 0, 0, 0])
        );
        let done = ex.on_response(&[4, 0x90, 0x00]).unwrap();
        assert_eq!(
            done,
            ExchangeStep::Complete(Response { data: vec![1, 2, 3, 4], sw: StatusWord::OK })
        );
    }

    #[test]
    fn wrong_le_is_reissued_once() {
        let (mut ex, _) = Exchange::start(Command::new(0, 0xB0, 0, 0).with_le(255)).unwrap();
        assert_eq!(
            ex.on_response(&[0x6C, 0x10]).unwrap(),
            ExchangeStep::Transmit(vec![0, 0xB0, 0, 0, 0x10])
        );
        let again = ex.on_response(&[0x6C, 0x08]).unwrap();
        assert_eq!(
            again,
            ExchangeStep::Complete(Response { data: vec![], sw: StatusWord(0x6C08) })
        );
    }

    #[test]
    fn short_answers_are_malformed() {
        let (mut ex, _) = Exchange::start(Command::new(0, 0xB0, 0, 0)).unwrap();
        assert_eq!(ex.on_response(&[0x90]), Err(CardError::MalformedResponse));
        assert_eq!(Response::parse(&[]), Err(CardError::MalformedResponse));
        assert_eq!(StatusWord(0x6A82).to_string(), "6A 82 (file or application not found)");
    }
}
