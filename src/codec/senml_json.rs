//! SenML JSON (RFC 8428 §5, content format 110) as LwM2M 1.1 §7.4.4 profiles it: an array of
//! flat objects. A reader for exactly that shape (no JSON crate: those parse every number into
//! `f64` through core's `dec2flt`, about 17 KB of Cortex-M4 flash; SenML needs integers and,
//! for Float resources only, one decimal parser).
//!
//! Accepted: the RFC 8259 grammar for the array, its objects, strings (every escape, `\u`
//! surrogate pairs), numbers, `true` and `false`; whitespace anywhere between tokens. Refused
//! ([`CodecError`]): anything else (nested arrays or objects, `null`, trailing bytes, invalid
//! UTF-8 or escapes), a key twice in one record, two value fields in one record, a label
//! ending in `_` (RFC 8428 §4.4: must-understand) and base value/sum fields (`bv`, `bs`, `s`:
//! the profile has no use for them, and ignoring them would write other values than sent).
//! Ignored: `bt`, `t`, `bu`, `u`, `ut`, `bver` and unknown labels (RFC 8428 §4.4).

use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::senml::{apply, base_name, push_u64, relative_name, Number, Record, Scalar};
use super::CodecError;
use crate::model::{Path, ResourceValue, Value};

/// Parses a SenML JSON payload into its records.
pub fn parse(payload: &[u8]) -> Result<Vec<Record>, CodecError> {
    let text = core::str::from_utf8(payload).map_err(|_| CodecError::BadUtf8)?;
    let mut reader = Reader { bytes: text.as_bytes(), at: 0 };
    reader.expect(b'[')?;
    let mut records = Vec::new();
    if !reader.eat(b']') {
        loop {
            records.push(reader.record()?);
            if reader.eat(b']') {
                break;
            }
            reader.expect(b',')?;
        }
    }
    reader.skip_space();
    if reader.at != reader.bytes.len() {
        return Err(CodecError::TrailingBytes);
    }
    Ok(records)
}

/// Encodes instances of `object` as SenML JSON, the inverse of [`parse`] +
/// [`super::senml::decode_records`]: one record per resource (per resource instance of a
/// multiple resource), the first record of each instance with the base name `/O/I/`, names
/// `R` or `R/RI` relative to it. Values: `vs` (String, CoreLink), `v` (numbers), `vb`, `vd`
/// (base64url without padding, RFC 8428 §5), `vlo` (`O:I`). A non-finite float has no JSON
/// number and is left out (no resource of /0, /1, /2 is a Float).
pub fn encode(object: u16, instances: &[(u16, &crate::model::Instance)]) -> Vec<u8> {
    let mut out = String::from("[");
    for (iid, instance) in instances {
        let mut base = Some((object, *iid));
        for (rid, value) in instance.resources.iter() {
            match value {
                ResourceValue::Single(v) => record(&mut out, &mut base, *rid, None, v),
                ResourceValue::Multiple(values) => {
                    for (riid, v) in values.iter() {
                        record(&mut out, &mut base, *rid, Some(*riid), v);
                    }
                }
            }
        }
    }
    out.push(']');
    out.into_bytes()
}

/// Encodes one resource `/O/I/R` (all its instances when multiple) with absolute names.
pub fn encode_resource(path: &Path, value: &ResourceValue) -> Vec<u8> {
    let (Some(object), Some(iid), Some(rid)) =
        (path.object_id(), path.instance_id(), path.resource_id())
    else {
        return b"[]".to_vec();
    };
    let mut resources = crate::model::VecMap::new();
    resources.insert(rid, value.clone());
    let instance =
        crate::model::Instance { resources, origin: crate::model::Origin::BootstrapServer };
    encode(object, &[(iid, &instance)])
}

/// Appends one record; `base` is taken by the first record of an instance.
fn record(
    out: &mut String,
    base: &mut Option<(u16, u16)>,
    rid: u16,
    riid: Option<u16>,
    value: &Value,
) {
    let mut field = String::new();
    match value {
        Value::String(s) | Value::CoreLink(s) => {
            field.push_str("\"vs\":");
            push_string(&mut field, s);
        }
        Value::Integer(v) | Value::Time(v) => {
            field.push_str(if *v < 0 { "\"v\":-" } else { "\"v\":" });
            push_u64(&mut field, v.unsigned_abs());
        }
        Value::Unsigned(v) => {
            field.push_str("\"v\":");
            push_u64(&mut field, *v);
        }
        Value::Float(_v) => {
            #[cfg(feature = "float")]
            if _v.is_finite() {
                field.push_str("\"v\":");
                field.push_str(&alloc::string::ToString::to_string(_v));
            }
            if field.is_empty() {
                return; // no JSON number for it
            }
        }
        Value::Boolean(b) => field.push_str(if *b { "\"vb\":true" } else { "\"vb\":false" }),
        Value::Opaque(bytes) => {
            field.push_str("\"vd\":\"");
            push_base64url(&mut field, bytes);
            field.push('"');
        }
        Value::ObjLnk(o, i) => {
            field.push_str("\"vlo\":\"");
            push_u64(&mut field, (*o).into());
            field.push(':');
            push_u64(&mut field, (*i).into());
            field.push('"');
        }
    }
    if out.len() > 1 {
        out.push(',');
    }
    out.push('{');
    if let Some((object, iid)) = base.take() {
        out.push_str("\"bn\":\"");
        out.push_str(&base_name(object, iid));
        out.push_str("\",");
    }
    out.push_str("\"n\":\"");
    out.push_str(&relative_name(rid, riid));
    out.push_str("\",");
    out.push_str(&field);
    out.push('}');
}

/// A JSON string: `"` and `\` escaped, control characters as `\u00XX`.
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                for nibble in [u32::from(c) >> 4, u32::from(c) & 0xF] {
                    out.push(char::from_digit(nibble, 16).unwrap_or('0'));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Base64url without padding (RFC 4648 §5, RFC 8428 §5).
fn push_base64url(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for chunk in bytes.chunks(3) {
        let b = [0, 1, 2].map(|i| chunk.get(i).copied().unwrap_or(0));
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for shift in [18u32, 12, 6, 0].into_iter().take(chunk.len() + 1) {
            out.push(char::from(ALPHABET[((n >> shift) & 0x3F) as usize]));
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    /// Consumes `byte` (after whitespace) when it is next.
    fn eat(&mut self, byte: u8) -> bool {
        let next = self.peek() == Some(byte);
        if next {
            self.at += 1;
        }
        next
    }

    fn expect(&mut self, byte: u8) -> Result<(), CodecError> {
        match self.peek() {
            Some(b) if b == byte => {
                self.at += 1;
                Ok(())
            }
            Some(_) => Err(CodecError::BadValue),
            None => Err(CodecError::Truncated),
        }
    }

    fn record(&mut self) -> Result<Record, CodecError> {
        self.expect(b'{')?;
        let mut record = Record::default();
        let mut seen: Vec<String> = Vec::new();
        if self.eat(b'}') {
            return Ok(record);
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            let value = self.scalar()?;
            if seen.contains(&key) {
                return Err(CodecError::Duplicate);
            }
            apply(&mut record, &key, value)?;
            seen.push(key);
            if self.eat(b'}') {
                return Ok(record);
            }
            self.expect(b',')?;
        }
    }

    fn scalar(&mut self) -> Result<Scalar, CodecError> {
        match self.peek() {
            Some(b'"') => self.string().map(Scalar::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Scalar::Number),
            Some(b't') => self.literal(b"true").map(|()| Scalar::Boolean(true)),
            Some(b'f') => self.literal(b"false").map(|()| Scalar::Boolean(false)),
            Some(_) => Err(CodecError::BadValue),
            None => Err(CodecError::Truncated),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), CodecError> {
        let end = self.at + word.len();
        match self.bytes.get(self.at..end) {
            Some(w) if w == word => {
                self.at = end;
                Ok(())
            }
            Some(_) => Err(CodecError::BadValue),
            None => Err(CodecError::Truncated),
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<Number, CodecError> {
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.bytes.get(r.at).is_some_and(u8::is_ascii_digit) {
                r.at += 1;
            }
            r.at - from
        };
        let negative = self.bytes.get(self.at) == Some(&b'-');
        if negative {
            self.at += 1;
        }
        let int_start = self.at;
        let int_len = digits(self);
        if int_len == 0 || (int_len > 1 && self.bytes[int_start] == b'0') {
            return Err(CodecError::BadNumber);
        }
        let mut integral = true;
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            integral = false;
            if digits(self) == 0 {
                return Err(CodecError::BadNumber);
            }
        }
        if matches!(self.bytes.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            integral = false;
            if matches!(self.bytes.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(CodecError::BadNumber);
            }
        }
        let text =
            core::str::from_utf8(&self.bytes[start..self.at]).map_err(|_| CodecError::BadUtf8)?;
        if !integral {
            return Ok(Number::Decimal(String::from(text)));
        }
        // An integer beyond i64/u64 is still a JSON number: a Float resource takes it (a
        // writer prints 1e113 as its 114 digits), any integer resource refuses it.
        let decimal = || Number::Decimal(String::from(text));
        let Some(magnitude) = self.bytes[int_start..self.at]
            .iter()
            .try_fold(0u64, |n, d| n.checked_mul(10)?.checked_add(u64::from(*d - b'0')))
        else {
            return Ok(decimal());
        };
        if negative {
            // -(2^63) is the one magnitude above i64::MAX that fits.
            Ok(0i64.checked_sub_unsigned(magnitude).map_or_else(decimal, Number::Signed))
        } else {
            Ok(i64::try_from(magnitude).map_or(Number::Unsigned(magnitude), Number::Signed))
        }
    }

    fn string(&mut self) -> Result<String, CodecError> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(&b) = self.bytes.get(self.at) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // The input is UTF-8 and the stops are ASCII, so the run is UTF-8.
            out.push_str(
                core::str::from_utf8(&self.bytes[start..self.at])
                    .map_err(|_| CodecError::BadUtf8)?,
            );
            match self.bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(CodecError::BadValue),
                None => return Err(CodecError::Truncated),
            }
        }
    }

    /// After a `\`: the escaped character.
    fn escape(&mut self) -> Result<char, CodecError> {
        let b = *self.bytes.get(self.at).ok_or(CodecError::Truncated)?;
        self.at += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&high) {
                    self.literal(b"\\u")?;
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(CodecError::BadValue);
                    }
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    high
                };
                char::from_u32(code).ok_or(CodecError::BadValue)?
            }
            _ => return Err(CodecError::BadValue),
        })
    }

    fn hex4(&mut self) -> Result<u32, CodecError> {
        let digits = self.bytes.get(self.at..self.at + 4).ok_or(CodecError::Truncated)?;
        self.at += 4;
        digits.iter().try_fold(0u32, |n, &d| {
            let v = char::from(d).to_digit(16).ok_or(CodecError::BadValue)?;
            Ok(n << 4 | v)
        })
    }
}

/// `vd`: base64url (RFC 4648 §5) without padding, as RFC 8428 §5 writes it. Also accepted, for
/// Bootstrap-Servers that encode with their platform's default: the `+` `/` alphabet and `=`
/// padding. Not both alphabets in one value.
pub(super) fn base64url(text: &str) -> Result<Zeroizing<Vec<u8>>, CodecError> {
    let symbols = text.trim_end_matches('=');
    let padding = text.len() - symbols.len();
    if symbols.len() % 4 == 1 || padding > 2 || (padding > 0 && text.len() % 4 != 0) {
        return Err(CodecError::BadValue);
    }
    let url = symbols.bytes().any(|b| b == b'-' || b == b'_');
    let classic = symbols.bytes().any(|b| b == b'+' || b == b'/');
    if url && classic {
        return Err(CodecError::BadValue);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(symbols.len() / 4 * 3 + 2));
    for chunk in symbols.as_bytes().chunks(4) {
        let mut n: u32 = 0;
        for &symbol in chunk {
            let v = match symbol {
                b'A'..=b'Z' => symbol - b'A',
                b'a'..=b'z' => symbol - b'a' + 26,
                b'0'..=b'9' => symbol - b'0' + 52,
                b'-' | b'+' => 62,
                b'_' | b'/' => 63,
                _ => return Err(CodecError::BadValue),
            };
            n = n << 6 | u32::from(v);
        }
        // A short last group: 2 symbols are 1 byte, 3 are 2; the unused low bits must be 0.
        let bytes = chunk.len() * 6 / 8;
        let unused = chunk.len() * 6 - bytes * 8;
        if n & ((1 << unused) - 1) != 0 {
            return Err(CodecError::BadValue);
        }
        let n = n >> unused;
        out.extend_from_slice(&n.to_be_bytes()[4 - bytes..]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::senml::RecordValue;
    use super::*;

    fn number(text: &str) -> Result<Number, CodecError> {
        let payload = alloc::format!("[{{\"n\":\"/3/0/1\",\"v\":{text}}}]");
        let records = parse(payload.as_bytes())?;
        match &records[0].value {
            Some(RecordValue::Number(n)) => Ok(n.clone()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number("0"), Ok(Number::Signed(0)));
        assert_eq!(number("-12"), Ok(Number::Signed(-12)));
        assert_eq!(number("9223372036854775807"), Ok(Number::Signed(i64::MAX)));
        assert_eq!(number("-9223372036854775808"), Ok(Number::Signed(i64::MIN)));
        assert_eq!(number("18446744073709551615"), Ok(Number::Unsigned(u64::MAX)));
        assert_eq!(number("1.5e3"), Ok(Number::Decimal("1.5e3".into())));
        assert_eq!(number("-0.25"), Ok(Number::Decimal("-0.25".into())));
        for bad in ["01", "-", "1.", ".5", "1e", "1e+", "+1"] {
            assert!(number(bad).is_err(), "{bad}");
        }
        // Beyond i64/u64: a number still, for Float resources (integer ones refuse it).
        for big in ["18446744073709551616", "-9223372036854775809"] {
            assert_eq!(number(big), Ok(Number::Decimal(big.into())));
        }
    }

    #[test]
    fn strings_and_escapes() {
        let records =
            parse(br#"[{"bn":"/0/1/","n":"0","vs":"a\"b\\c\/d\u00e9\ud83d\ude00\n"}]"#).unwrap();
        assert_eq!(records[0].base_name.as_deref(), Some("/0/1/"));
        assert_eq!(records[0].value, Some(RecordValue::String("a\"b\\c/dé😀\n".into())));
        for bad in [
            &br#"[{"n":"\ud83d"}]"#[..],
            br#"[{"n":"\x"}]"#,
            b"[{\"n\":\"a\nb\"}]",
            br#"[{"n":"\u12"}]"#,
            br#"[{"n":"abc}]"#,
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn shape_is_an_array_of_flat_objects() {
        assert_eq!(parse(b" [ ] "), Ok(Vec::new()));
        assert_eq!(parse(b"[{}]"), Ok(alloc::vec![Record::default()]));
        for bad in [
            &b""[..],
            b"{}",
            b"[",
            b"[{}",
            b"[{},]",
            b"[{}] x",
            br#"[{"n":null}]"#,
            br#"[{"n":["a"]}]"#,
            br#"[{"n":{"a":1}}]"#,
            br#"[{"n":"a","n":"b"}]"#,
            br#"[{"v":1,"vs":"x"}]"#,
            br#"[{"n":1}]"#,
            br#"[{"vb":1}]"#,
            br#"[{"bv":1}]"#,
            br#"[{"x_":1}]"#,
            br#"[{"n" "a"}]"#,
            b"[\xff]",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let records = parse(br#"[{"n":"/3/0/1","vb":true,"t":0,"bt":1.5e9,"ext":[]}]"#);
        assert!(records.is_err(), "an unknown label's value must still be a scalar");
        let records =
            parse(br#"[{"n":"/3/0/1","vb":true,"t":0,"bt":1.5e9,"ext":"x","bver":10}]"#).unwrap();
        assert_eq!(records[0].value, Some(RecordValue::Boolean(true)));
    }

    #[test]
    fn opaque_in_either_base64_alphabet() {
        let data = |s: &str| base64url(s).map(|d| d.to_vec());
        assert_eq!(data(""), Ok(Vec::new()));
        assert_eq!(data("Zg"), Ok(b"f".to_vec()));
        assert_eq!(data("Zg=="), Ok(b"f".to_vec()));
        assert_eq!(data("Zm9vYmE"), Ok(b"fooba".to_vec()));
        assert_eq!(data("-_8"), Ok(alloc::vec![0xFB, 0xFF]));
        assert_eq!(data("+/8="), Ok(alloc::vec![0xFB, 0xFF]));
        for bad in ["Z", "Zh", "Zg=", "Zg===", "-/8", "Zm9v!A", "Z=g="] {
            assert!(data(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = parse(&bytes);
        }

        /// JSON-looking text reaches the deeper states of the reader.
        #[test]
        fn parse_never_panics_on_near_json(text in r#"\[(\{("(bn|n|v|vs|vb|vd|vlo|t|x_)":(-?[0-9.eE+]{1,8}|"[A-Za-z0-9/\\u_-]{0,12}"|true|false|null),?){0,4}\},?){0,3}\]"#) {
            let _ = parse(text.as_bytes());
        }
    }
}
