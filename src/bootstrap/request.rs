//! Bootstrap-Request (LwM2M Transport 1.1 §6.1):
//! `POST {BS URI path}/bs?{BS URI query}&ep={endpoint_name}[&pct={format}]`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::coap::{Code, Message, MessageType};
use crate::model::ServerUri;

/// Builds the Bootstrap-Request for the Bootstrap-Server at `uri`. `pct` (1.1) announces the
/// preferred content format; `None` sends a 1.0 request.
pub fn bootstrap_request(uri: &ServerUri, endpoint_name: &str, pct: Option<u16>) -> Message {
    let mut msg = Message::new(MessageType::Confirmable, Code::POST);
    let mut path: Vec<&str> = uri.path.iter().map(String::as_str).collect();
    path.push("bs");
    msg.set_uri_path(&path);
    for query in &uri.query {
        msg.add_uri_query(query);
    }
    msg.add_uri_query(&format!("ep={endpoint_name}"));
    if let Some(pct) = pct {
        msg.add_uri_query(&format!("pct={pct}"));
    }
    msg
}

/// The Bootstrap-Pack-Request (LwM2M 1.2 §5.2.7.x): `GET /bspack?ep=NAME` with `Accept`, on
/// the same path and query base as [`bootstrap_request`].
pub fn bootstrap_pack_request(uri: &ServerUri, endpoint_name: &str, accept: u16) -> Message {
    let mut msg = bootstrap_request(uri, endpoint_name, None);
    msg.code = Code::GET;
    let mut path: Vec<&str> = uri.path.iter().map(String::as_str).collect();
    path.push("bspack");
    msg.set_uri_path(&path);
    msg.set_accept(accept);
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_uri_path_and_query() {
        let uri = ServerUri::parse("coap://127.0.0.1:5683/tenant?key=v").unwrap();
        let msg = bootstrap_request(&uri, "dev-1", Some(11542));
        assert_eq!(msg.code, Code::POST);
        assert_eq!(msg.uri_path().unwrap(), ["tenant", "bs"]);
        assert_eq!(msg.uri_query().unwrap(), ["key=v", "ep=dev-1", "pct=11542"]);
        let plain = bootstrap_request(&ServerUri::parse("coap://h").unwrap(), "e", None);
        assert_eq!(plain.uri_path().unwrap(), ["bs"]);
        assert_eq!(plain.uri_query().unwrap(), ["ep=e"]);
    }
}
