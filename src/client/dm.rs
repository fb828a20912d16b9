//! Requests from LwM2M (DM) servers to the objects the library owns. The Security object is
//! never accessible to them (Core 1.1 §5.2: 4.01 Unauthorized, any method).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::coap::{content_format as cf, Code, Message};
use crate::codec::tlv;
use crate::model::{server_res, DataModel, Path, OBJ_ACCESS_CONTROL, OBJ_SECURITY, OBJ_SERVER};

/// A DM server's request for one of the firmware's own objects (anything but /0, /1, /2),
/// handed to the [`DmHandler`] after the library enforced its access rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmRequest<'a> {
    /// Short Server ID of the requesting server.
    pub ssid: u16,
    /// CoAP method (GET, POST, PUT, DELETE, ...).
    pub method: Code,
    /// The target: at least an object ID.
    pub path: Path,
    /// Content-Format of the payload, if any.
    pub content_format: Option<u16>,
    /// Accept option, if any.
    pub accept: Option<u16>,
    /// Request body (already reassembled when it came in blocks).
    pub payload: &'a [u8],
}

/// The firmware's answer to a [`DmRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmResponse {
    /// Response code, for example 2.05 Content.
    pub code: Code,
    /// Content-Format of `payload`, if any.
    pub content_format: Option<u16>,
    /// Response body.
    pub payload: Vec<u8>,
}

/// Answers DM requests for the firmware's own objects. Without one, they get 4.04.
pub type DmHandler = Box<dyn FnMut(&DmRequest<'_>) -> DmResponse + Send>;

/// The request as a [`DmRequest`] when it targets one of the firmware's objects and the access
/// rules let it through (not /0, /1 or /2, no bootstrap running, a well-formed path).
pub(crate) fn firmware_request<'a>(
    request: &'a Message,
    ssid: u16,
    bootstrapping: bool,
) -> Option<DmRequest<'a>> {
    let segments = request.uri_path().ok()?;
    let path = Path::parse(&segments).ok()?;
    let object = path.object_id()?;
    if bootstrapping || [OBJ_SECURITY, OBJ_SERVER, OBJ_ACCESS_CONTROL].contains(&object) {
        return None;
    }
    Some(DmRequest {
        ssid,
        method: request.code,
        path,
        content_format: request.content_format(),
        accept: request.accept(),
        payload: &request.payload,
    })
}

/// The CoAP response carrying the firmware's answer.
pub(crate) fn firmware_response(request: &Message, answer: DmResponse) -> Message {
    let mut response = Message::response_to(request, answer.code);
    if let Some(format) = answer.content_format {
        response.set_content_format(format);
    }
    response.payload = answer.payload;
    response
}

/// Answers a DM request; the flag asks for a Registration Update (/1/x/8 executed).
pub(crate) fn handle(model: &DataModel, request: &Message, bootstrapping: bool) -> (Message, bool) {
    let (code, payload, update) = answer(model, request, bootstrapping);
    let mut response = Message::response_to(request, code);
    if let Some(payload) = payload {
        response.set_content_format(cf::TLV);
        response.payload = payload;
    }
    (response, update)
}

fn answer(
    model: &DataModel,
    request: &Message,
    bootstrapping: bool,
) -> (Code, Option<alloc::vec::Vec<u8>>, bool) {
    let Ok(segments) = request.uri_path() else { return (Code::BAD_REQUEST, None, false) };
    if segments == ["bs"] {
        // A Bootstrap-Finish outside a bootstrap session changes nothing (REFERENCE §7.5).
        return (Code::BAD_REQUEST, None, false);
    }
    let Ok(path) = Path::parse(&segments) else { return (Code::NOT_FOUND, None, false) };
    if path.object_id() == Some(OBJ_SECURITY) {
        return (Code::UNAUTHORIZED, None, false);
    }
    if bootstrapping {
        return (Code::SERVICE_UNAVAILABLE, None, false);
    }
    if path.object_id() != Some(OBJ_SERVER) {
        return (Code::NOT_FOUND, None, false);
    }
    match (request.code, path.depth()) {
        (Code::GET, 1) => {
            let all: alloc::vec::Vec<_> = model.instances(OBJ_SERVER).collect();
            (Code::CONTENT, Some(tlv::encode_instances(&all, true)), false)
        }
        (Code::GET, 2 | 3) => read_instance(model, &path),
        (Code::POST, 3) if path.resource_id() == Some(server_res::UPDATE_TRIGGER) => {
            let exists =
                path.instance_id().is_some_and(|i| model.instance(OBJ_SERVER, i).is_some());
            if exists {
                (Code::CHANGED, None, true)
            } else {
                (Code::NOT_FOUND, None, false)
            }
        }
        _ => (Code::METHOD_NOT_ALLOWED, None, false),
    }
}

fn read_instance(model: &DataModel, path: &Path) -> (Code, Option<alloc::vec::Vec<u8>>, bool) {
    let Some(instance) = path.instance_id().and_then(|i| model.instance(OBJ_SERVER, i)) else {
        return (Code::NOT_FOUND, None, false);
    };
    match path.resource_id() {
        None => {
            let iid = path.instance_id().unwrap_or(0);
            (Code::CONTENT, Some(tlv::encode_instances(&[(iid, instance)], false)), false)
        }
        Some(rid) => match instance.resources.get(&rid) {
            Some(value) => (Code::CONTENT, Some(tlv::encode_resource(rid, value)), false),
            None => (Code::NOT_FOUND, None, false),
        },
    }
}
