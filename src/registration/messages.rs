//! Register / Update / De-register messages.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::bootstrap::listed_objects;
use crate::coap::{content_format as cf, Code, Message, MessageType};
use crate::codec::link::{encode_links, Link};
use crate::model::{DataModel, ObjectInfo, ServerUri, Version, OBJ_SECURITY};

/// `POST {server path}/rd?ep=&lt=&lwm2m=&b=` with the object list as link-format payload.
pub fn register_request(
    uri: &ServerUri,
    endpoint_name: &str,
    lifetime_s: u64,
    version: Version,
    binding: &str,
    payload: String,
) -> Message {
    let mut msg = Message::new(MessageType::Confirmable, Code::POST);
    let mut path: Vec<&str> = uri.path.iter().map(String::as_str).collect();
    path.push("rd");
    msg.set_uri_path(&path);
    msg.add_uri_query(&format!("ep={endpoint_name}"));
    msg.add_uri_query(&format!("lt={lifetime_s}"));
    msg.add_uri_query(&format!("lwm2m={}", version.as_str()));
    msg.add_uri_query(&format!("b={binding}"));
    msg.set_content_format(cf::LINK_FORMAT);
    msg.payload = payload.into_bytes();
    msg
}

/// The Register payload: `</>;rt="oma.lwm2m";ct=FORMAT` (1.1; `format` is the preferred
/// content format), then every object and instance except the Security object /0, which is
/// never listed.
pub fn register_payload(
    model: &DataModel,
    firmware: &[ObjectInfo],
    version: Version,
    format: u16,
) -> String {
    let mut links = Vec::new();
    if version != Version::V1_0 {
        links.push(Link::new("/").quoted_attr("rt", "oma.lwm2m").attr("ct", format));
    }
    for object in listed_objects(model, firmware).into_iter().filter(|o| o.id != OBJ_SECURITY) {
        let versioned = object.version.as_deref().filter(|_| version != Version::V1_0);
        if object.instances.is_empty() || versioned.is_some() {
            let head = Link::new(format!("/{}", object.id));
            links.push(match versioned {
                Some(ver) => head.attr("ver", ver),
                None => head,
            });
        }
        for iid in object.instances {
            links.push(Link::new(format!("/{}/{}", object.id, iid)));
        }
    }
    encode_links(&links)
}

/// Update: `POST {location}` with no payload; `lt=` only when the lifetime changed.
pub fn update_request(location: &[String], new_lifetime_s: Option<u64>) -> Message {
    update_request_with(location, new_lifetime_s, None)
}

/// Update with `lt=` when the lifetime changed and `b=` when the binding changed.
pub fn update_request_with(
    location: &[String],
    new_lifetime_s: Option<u64>,
    new_binding: Option<&str>,
) -> Message {
    let mut msg = Message::new(MessageType::Confirmable, Code::POST);
    let path: Vec<&str> = location.iter().map(String::as_str).collect();
    msg.set_uri_path(&path);
    if let Some(lt) = new_lifetime_s {
        msg.add_uri_query(&format!("lt={lt}"));
    }
    if let Some(b) = new_binding {
        msg.add_uri_query(&format!("b={b}"));
    }
    msg
}

/// De-register: `DELETE {location}`.
pub fn deregister_request(location: &[String]) -> Message {
    let mut msg = Message::new(MessageType::Confirmable, Code::DELETE);
    let path: Vec<&str> = location.iter().map(String::as_str).collect();
    msg.set_uri_path(&path);
    msg
}

/// Delay after a successful Register/Update before the next Update: early enough that the
/// Update (with all its retransmissions, MAX_TRANSMIT_WAIT) lands before the lifetime ends.
pub fn update_delay_ms(lifetime_s: u64, max_transmit_wait_ms: u64) -> u64 {
    let lifetime_ms = lifetime_s.saturating_mul(1000);
    if lifetime_ms > max_transmit_wait_ms.saturating_mul(2) {
        lifetime_ms - max_transmit_wait_ms
    } else {
        (lifetime_ms / 2).max(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Instance, Origin, Value};

    #[test]
    fn updates_leave_max_transmit_wait_before_the_lifetime_ends() {
        assert_eq!(update_delay_ms(86_400, 93_000), 86_400_000 - 93_000);
        assert_eq!(update_delay_ms(100, 93_000), 50_000);
        assert_eq!(update_delay_ms(1, 93_000), 1_000);
        assert_eq!(update_delay_ms(0, 93_000), 1_000);
    }

    #[test]
    fn register_payload_lists_server_and_firmware_objects_never_security() {
        let mut model = DataModel::new();
        model.insert(
            0,
            0,
            Instance::new(Origin::Factory).with(0, Value::String("coap://x".into())),
        );
        model.insert(1, 4, Instance::new(Origin::Factory).with(0, Value::Integer(1)));
        let firmware = [ObjectInfo { id: 3, version: None, instances: alloc::vec![0] }];
        let text = register_payload(&model, &firmware, Version::V1_1, cf::TLV);
        assert_eq!(text, "</>;rt=\"oma.lwm2m\";ct=11542,</1>;ver=1.1,</1/4>,</2>,</3/0>");
        let text10 = register_payload(&model, &firmware, Version::V1_0, cf::TLV);
        assert_eq!(text10, "</1/4>,</2>,</3/0>");
    }

    #[test]
    fn register_keeps_the_server_uri_path() {
        let uri = ServerUri::parse("coap://h:1/lwm2m").unwrap();
        let msg = register_request(&uri, "ep", 60, Version::V1_1, "UQ", String::new());
        assert_eq!(msg.uri_path().unwrap(), ["lwm2m", "rd"]);
        assert_eq!(msg.uri_query().unwrap(), ["ep=ep", "lt=60", "lwm2m=1.1", "b=UQ"]);
        let upd = update_request(&["rd".into(), "7".into(), String::new()], Some(30));
        assert_eq!(upd.uri_path().unwrap(), ["rd", "7", ""]);
        assert_eq!(upd.uri_query().unwrap(), ["lt=30"]);
        assert_eq!(deregister_request(&["rd".into()]).code, Code::DELETE);
    }
}
