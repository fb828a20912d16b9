//! CoRE link-format (RFC 6690, content format 40), for the Register payload and the
//! Bootstrap-Discover response.
//!
//! A link with an empty target stands for the LwM2M 1.0 Discover head, a bare attribute list
//! without `<>` (`lwm2m="1.0",</0/0>;...`).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::CodecError;

/// One target attribute. The value is stored unquoted and unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkAttribute {
    /// Attribute name (`ssid`, `ver`, `lwm2m`...).
    pub name: String,
    /// Value; `None` for a flag attribute written without `=`.
    pub value: Option<String>,
    /// Written as a quoted string (it is quoted anyway when it is not a valid token).
    pub quoted: bool,
}

/// One link: a target and its attributes, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// URI reference between `<` and `>`; empty for a bare attribute list.
    pub target: String,
    /// Attributes in order.
    pub attributes: Vec<LinkAttribute>,
}

impl Link {
    /// A link to `target` without attributes.
    pub fn new(target: impl Into<String>) -> Link {
        Link { target: target.into(), attributes: Vec::new() }
    }

    /// Adds `name=value`, the value written as a token (unquoted, unless it contains
    /// characters a token cannot hold).
    pub fn attr(self, name: &str, value: impl fmt::Display) -> Link {
        self.push(name, Some(value.to_string()), false)
    }

    /// Adds `name="value"`, escaping `"` and `\`.
    pub fn quoted_attr(self, name: &str, value: &str) -> Link {
        self.push(name, Some(String::from(value)), true)
    }

    /// Adds an attribute without a value.
    pub fn flag(self, name: &str) -> Link {
        self.push(name, None, false)
    }

    /// The first attribute called `name`: `None` when absent, `Some(None)` for a flag.
    pub fn attribute(&self, name: &str) -> Option<Option<&str>> {
        self.attributes.iter().find(|a| a.name == name).map(|a| a.value.as_deref())
    }

    fn push(mut self, name: &str, value: Option<String>, quoted: bool) -> Link {
        self.attributes.push(LinkAttribute { name: String::from(name), value, quoted });
        self
    }
}

/// True when `value` can be written unquoted (RFC 6690 `ptoken`).
fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'()*+-./:<=>?@[]^_`{|}~".contains(&b))
}

impl fmt::Display for LinkAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        let Some(value) = &self.value else {
            return Ok(());
        };
        if !self.quoted && is_token(value) {
            return write!(f, "={value}");
        }
        f.write_str("=\"")?;
        for c in value.chars() {
            if matches!(c, '"' | '\\') {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("\"")
    }
}

impl fmt::Display for Link {
    /// `<target>;a=1;b="x"`, or `a=1;b="x"` for an empty target with attributes (the bare
    /// head of a 1.0 Discover; [`encode_links`] writes it only first).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bare = self.target.is_empty() && !self.attributes.is_empty();
        if !bare {
            write!(f, "<{}>", self.target)?;
        }
        for (index, attribute) in self.attributes.iter().enumerate() {
            if !(bare && index == 0) {
                f.write_str(";")?;
            }
            write!(f, "{attribute}")?;
        }
        Ok(())
    }
}

/// Encodes links separated by `,`, e.g.
/// `</>;lwm2m=1.1,</0/0>;ssid=1;uri="coap://h:5683",</1/0>;ssid=1`.
pub fn encode_links(links: &[Link]) -> String {
    let mut out = String::new();
    for (index, link) in links.iter().enumerate() {
        if index > 0 {
            out.push(',');
            if link.target.is_empty() {
                // Only the first link may be a bare attribute list: `<>` after it.
                out.push_str("<>");
                for attribute in &link.attributes {
                    out.push(';');
                    out.push_str(&attribute.to_string());
                }
                continue;
            }
        }
        out.push_str(&link.to_string());
    }
    out
}

/// Parses link-format text. Tolerates whitespace around separators, quoted values holding
/// `,` `;` and escaped characters, and a leading bare attribute list (the LwM2M 1.0 Discover
/// head `lwm2m="1.0"`), returned as a link with an empty target. Empty text gives no links.
pub fn parse_links(text: &str) -> Result<Vec<Link>, CodecError> {
    let mut parser = Parser { text, pos: 0 };
    let mut links = Vec::new();
    parser.skip_ws();
    if parser.peek().is_none() {
        return Ok(links);
    }
    loop {
        links.push(parser.link(links.is_empty())?);
        parser.skip_ws();
        match parser.next() {
            None => return Ok(links),
            Some(b',') => parser.skip_ws(),
            Some(_) => return Err(CodecError::BadLink),
        }
    }
}

/// A cursor over the text. Every delimiter is ASCII, so byte positions found by scanning for
/// delimiters are always character boundaries; slicing still goes through `get`.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos = self.pos.saturating_add(1);
        Some(b)
    }

    fn eat(&mut self, expected: u8) -> bool {
        let found = self.peek() == Some(expected);
        if found {
            self.pos = self.pos.saturating_add(1);
        }
        found
    }

    fn skip_ws(&mut self) {
        self.scan_while(|b| b.is_ascii_whitespace());
    }

    /// Advances over bytes matching `keep`; returns the text passed over.
    fn scan_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos = self.pos.saturating_add(1);
        }
        self.text.get(start..self.pos).unwrap_or_default()
    }

    /// One link; a bare attribute list (no `<target>`) is accepted only as the first link.
    fn link(&mut self, first: bool) -> Result<Link, CodecError> {
        let mut link = if self.eat(b'<') {
            let target = self.scan_while(|b| b != b'>');
            if !self.eat(b'>') {
                return Err(CodecError::BadLink);
            }
            Link::new(target)
        } else if first {
            let mut head = Link::new("");
            head.attributes.push(self.attribute()?);
            head
        } else {
            return Err(CodecError::BadLink);
        };
        loop {
            self.skip_ws();
            if !self.eat(b';') {
                return Ok(link);
            }
            self.skip_ws();
            link.attributes.push(self.attribute()?);
        }
    }

    fn attribute(&mut self) -> Result<LinkAttribute, CodecError> {
        let name = self.scan_while(|b| !(b.is_ascii_whitespace() || b"=;,\"<>".contains(&b)));
        if name.is_empty() {
            return Err(CodecError::BadLink);
        }
        let name = String::from(name);
        self.skip_ws();
        if !self.eat(b'=') {
            return Ok(LinkAttribute { name, value: None, quoted: false });
        }
        self.skip_ws();
        if self.eat(b'"') {
            let value = Some(self.quoted_string()?);
            return Ok(LinkAttribute { name, value, quoted: true });
        }
        let value = self.scan_while(|b| b != b';' && b != b',').trim_end();
        Ok(LinkAttribute { name, value: Some(String::from(value)), quoted: false })
    }

    /// The rest of a quoted string after its opening `"`, unescaping `\x` to `x`.
    fn quoted_string(&mut self) -> Result<String, CodecError> {
        let mut bytes = Vec::new();
        loop {
            match self.next().ok_or(CodecError::BadLink)? {
                b'"' => break,
                b'\\' => bytes.push(self.next().ok_or(CodecError::BadLink)?),
                b => bytes.push(b),
            }
        }
        String::from_utf8(bytes).map_err(|_| CodecError::BadUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    #[test]
    fn encodes_discover_and_register() {
        let links = [
            Link::new("/").attr("lwm2m", "1.1"),
            Link::new("/0/0").attr("ssid", 1).quoted_attr("uri", "coap://h:5683"),
            Link::new("/1/0").attr("ssid", 1),
        ];
        assert_eq!(
            encode_links(&links),
            "</>;lwm2m=1.1,</0/0>;ssid=1;uri=\"coap://h:5683\",</1/0>;ssid=1"
        );
        let register = [
            Link::new("/").quoted_attr("rt", "oma.lwm2m").attr("ct", 11542u16),
            Link::new("/1").attr("ver", "1.1"),
            Link::new("/1/0"),
            Link::new("/3/0").flag("obs"),
        ];
        assert_eq!(
            encode_links(&register),
            "</>;rt=\"oma.lwm2m\";ct=11542,</1>;ver=1.1,</1/0>,</3/0>;obs"
        );
        assert_eq!(encode_links(&[]), "");
    }

    #[test]
    fn encodes_bare_head_and_escapes() {
        let links = [Link::new("").quoted_attr("lwm2m", "1.0"), Link::new("/0/0")];
        assert_eq!(encode_links(&links), "lwm2m=\"1.0\",</0/0>");
        let escaped = Link::new("/x").quoted_attr("a", "say \"hi\" \\ ok");
        assert_eq!(escaped.to_string(), "</x>;a=\"say \\\"hi\\\" \\\\ ok\"");
        // A value that is not a token is quoted even through `attr`.
        assert_eq!(Link::new("/x").attr("a", "1,2").to_string(), "</x>;a=\"1,2\"");
        assert_eq!(Link::new("/x").attr("a", "").to_string(), "</x>;a=\"\"");
    }

    #[test]
    fn parses_round_trip_exactly() {
        let text = "</>;lwm2m=1.1,</0/0>;ssid=1;uri=\"coap://h:5683\",</1/0>;ssid=1";
        let links = parse_links(text).unwrap();
        assert_eq!(links.len(), 3);
        assert_eq!(links[1].attribute("uri"), Some(Some("coap://h:5683")));
        assert_eq!(links[1].attribute("ssid"), Some(Some("1")));
        assert_eq!(links[1].attribute("ver"), None);
        assert_eq!(encode_links(&links), text);
    }

    #[test]
    fn an_empty_target_after_the_first_link_re_encodes_as_angle_brackets() {
        // Found by the link_format fuzz target: `</1>,<>` encoded as `</1>,` (a bare empty
        // link), which does not parse.
        let links = parse_links("</1>,<>,<>;a=1").unwrap();
        assert_eq!(links.len(), 3);
        let encoded = encode_links(&links);
        assert_eq!(encoded, "</1>,<>,<>;a=1");
        assert_eq!(parse_links(&encoded).unwrap(), links);
        assert_eq!(encode_links(&parse_links("<>").unwrap()), "<>");
    }

    #[test]
    fn an_unquoted_value_with_a_quote_re_encodes_quoted_and_escaped() {
        // Found by the link_format fuzz target: the parser takes `ver=1"1` unquoted (lenient);
        // the encoder must then quote and escape it so that the value survives.
        let links = parse_links("</0>;ver=1\"1").unwrap();
        assert_eq!(links[0].attributes[0].value.as_deref(), Some("1\"1"));
        let encoded = encode_links(&links);
        assert_eq!(encoded, "</0>;ver=\"1\\\"1\"");
        let again = parse_links(&encoded).unwrap();
        assert_eq!(again[0].attributes[0].value, links[0].attributes[0].value);
    }

    #[test]
    fn parses_quoted_separators_and_whitespace() {
        let text = "</1/0>; a=\"x,y;z\" ; b = \"q\\\"uo\\\\te\" ,\n </2>;obs, </3>;c=tok";
        let links = parse_links(text).unwrap();
        assert_eq!(links[0].target, "/1/0");
        assert_eq!(links[0].attribute("a"), Some(Some("x,y;z")));
        assert_eq!(links[0].attribute("b"), Some(Some("q\"uo\\te")));
        assert_eq!(links[1].attribute("obs"), Some(None));
        assert_eq!(links[2].attribute("c"), Some(Some("tok")));
        assert_eq!(
            encode_links(&links),
            "</1/0>;a=\"x,y;z\";b=\"q\\\"uo\\\\te\",</2>;obs,</3>;c=tok"
        );
    }

    #[test]
    fn parses_lwm2m_1_0_head() {
        let links = parse_links("lwm2m=\"1.0\",</0/0>;ssid=101,</1/0>;ssid=101").unwrap();
        assert_eq!(links[0], Link::new("").quoted_attr("lwm2m", "1.0"));
        assert_eq!(links[1], Link::new("/0/0").attr("ssid", 101));
        assert_eq!(links.len(), 3);
        let head = parse_links("lwm2m=\"1.0\";foo").unwrap();
        assert_eq!(head, vec![Link::new("").quoted_attr("lwm2m", "1.0").flag("foo")]);
    }

    #[test]
    fn malformed_links() {
        for bad in [
            "<",
            "</1/0",
            "</1/0>;",
            "</1/0>;=1",
            "</1/0>;a=\"unterminated",
            "</1/0>;a=\"x\\",
            "</1/0>,",
            "</1/0>,ssid=1",
            "</1/0> x",
            ",</1/0>",
            "</1/0>;a=\"x\"y",
        ] {
            assert_eq!(parse_links(bad), Err(CodecError::BadLink), "{bad:?}");
        }
        assert_eq!(parse_links(""), Ok(Vec::new()));
        assert_eq!(parse_links("  "), Ok(Vec::new()));
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,60}") {
            let _ = parse_links(&text);
        }

        #[test]
        fn parse_never_panics_on_link_like_text(text in "[<>/0-9a-z;,=\"\\\\ é]{0,60}") {
            let _ = parse_links(&text);
        }

        #[test]
        fn encode_then_parse(
            target in "/[0-9/]{0,10}",
            attrs in proptest::collection::vec(
                ("[a-z]{1,6}", proptest::option::of("\\PC{0,12}"), any::<bool>()),
                0..4,
            ),
        ) {
            let mut link = Link::new(target);
            for (name, value, quoted) in attrs {
                link = match (value, quoted) {
                    (None, _) => link.flag(&name),
                    (Some(v), true) => link.quoted_attr(&name, &v),
                    (Some(v), false) => link.attr(&name, v),
                };
            }
            let parsed = parse_links(&encode_links(core::slice::from_ref(&link))).unwrap();
            prop_assert_eq!(parsed.len(), 1);
            prop_assert_eq!(&parsed[0].target, &link.target);
            let values: Vec<_> = link.attributes.iter().map(|a| a.value.clone()).collect();
            let parsed_values: Vec<_> = parsed[0].attributes.iter().map(|a| a.value.clone()).collect();
            prop_assert_eq!(parsed_values, values);
        }
    }
}
