//! CoRE link-format (RFC 6690) as the client parses it: whatever parses re-encodes to
//! links that parse to the same targets, attribute names and values. (Whether a value was
//! quoted may differ: the encoder quotes every value that is not a `ptoken`, while the
//! parser tolerates such values unquoted, e.g. `ver=1"1`.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwm2m_bootstrap::codec::{encode_links, parse_links, Link};

fn plain(links: &[Link]) -> Vec<(String, Vec<(String, Option<String>)>)> {
    links
        .iter()
        .map(|l| {
            let attrs = l.attributes.iter().map(|a| (a.name.clone(), a.value.clone())).collect();
            (l.target.clone(), attrs)
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Ok(links) = parse_links(text) {
        let encoded = encode_links(&links);
        let again = parse_links(&encoded).unwrap_or_else(|e| panic!("{encoded:?}: {e:?}"));
        assert_eq!(plain(&again), plain(&links), "{encoded:?}");
    }
});
