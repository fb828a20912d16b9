//! Requests from LwM2M (DM) servers to the objects the library owns. The Security object is
//! never accessible to them (Core 1.1 §5.2: 4.01 Unauthorized, any method).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::coap::{Code, Message};
use crate::model::{
    server_res, DataModel, Operations, Origin, Path, OBJ_ACCESS_CONTROL, OBJ_SECURITY, OBJ_SERVER,
    SERVER,
};

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

/// What a handled DM request asks the client to do after the response went out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DmAction {
    /// Nothing.
    None,
    /// Registration Update Trigger (/1/x/8) executed.
    Update,
    /// Bootstrap-Request Trigger (/1/x/9) executed: start a client-initiated bootstrap.
    Bootstrap,
    /// Disable (/1/x/4) executed: deregister and stay away for this many seconds.
    Disable(u64),
    /// The server wrote its Server instance: re-read lifetime, binding and retry parameters.
    ServerWritten,
}

/// What the client knows that the answer depends on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DmContext {
    /// Short Server ID of the requesting server.
    pub ssid: u16,
    /// A bootstrap is running: everything but /0 (4.01) gets 5.03.
    pub bootstrapping: bool,
    /// A Bootstrap-Server account exists (else /1/x/9 is 4.05).
    pub has_bootstrap_account: bool,
}

/// Disable Timeout used when /1/x/5 is absent (seconds).
pub(crate) const DEFAULT_DISABLE_TIMEOUT_S: u64 = 86_400;

/// Answers a DM request for /0, /1 (and the rest with 4.04); writes to the requesting
/// server's own Server instance are applied to `model`.
pub(crate) fn handle(
    model: &mut DataModel,
    request: &Message,
    ctx: &DmContext,
) -> (Message, DmAction) {
    let (code, payload, action) = answer(model, request, ctx);
    let mut response = Message::response_to(request, code);
    if let Some((format, payload)) = payload {
        response.set_content_format(format);
        response.payload = payload;
    }
    (response, action)
}

type Answer = (Code, Option<(u16, Vec<u8>)>, DmAction);

fn answer(model: &mut DataModel, request: &Message, ctx: &DmContext) -> Answer {
    let Ok(segments) = request.uri_path() else { return (Code::BAD_REQUEST, None, DmAction::None) };
    if segments == ["bs"] {
        // A Bootstrap-Finish outside a bootstrap session changes nothing (4.00: there is no bootstrap to finish).
        return (Code::BAD_REQUEST, None, DmAction::None);
    }
    let Ok(path) = Path::parse(&segments) else { return (Code::NOT_FOUND, None, DmAction::None) };
    if path.object_id() == Some(OBJ_SECURITY) {
        return (Code::UNAUTHORIZED, None, DmAction::None);
    }
    if ctx.bootstrapping {
        return (Code::SERVICE_UNAVAILABLE, None, DmAction::None);
    }
    if path.object_id() != Some(OBJ_SERVER) {
        return (Code::NOT_FOUND, None, DmAction::None);
    }
    let (code, payload) = match (request.code, path.depth()) {
        (Code::GET, 1) => match crate::codec::read_format(request.accept()) {
            Some(format) => {
                let all: Vec<_> = model.instances(OBJ_SERVER).collect();
                (
                    Code::CONTENT,
                    Some((format, crate::codec::encode_read(format, OBJ_SERVER, &all, true))),
                )
            }
            None => (Code::NOT_ACCEPTABLE, None),
        },
        (Code::GET, 2 | 3) => read_instance(model, &path, request.accept()),
        (Code::POST, 3) => return execute(model, &path, ctx),
        (Code::PUT, 2 | 3) | (Code::POST, 2) => return write(model, request, &path, ctx),
        _ => (Code::METHOD_NOT_ALLOWED, None),
    };
    (code, payload, DmAction::None)
}

/// Execute on /1/x/r: 8 Registration Update Trigger, 9 Bootstrap-Request Trigger (4.05
/// without a Bootstrap-Server account), 4 Disable; anything else 4.05.
fn execute(model: &DataModel, path: &Path, ctx: &DmContext) -> Answer {
    let Some(instance) = path.instance_id().and_then(|i| model.instance(OBJ_SERVER, i)) else {
        return (Code::NOT_FOUND, None, DmAction::None);
    };
    match path.resource_id() {
        Some(server_res::UPDATE_TRIGGER) => (Code::CHANGED, None, DmAction::Update),
        Some(server_res::BOOTSTRAP_TRIGGER) if ctx.has_bootstrap_account => {
            (Code::CHANGED, None, DmAction::Bootstrap)
        }
        Some(server_res::DISABLE) => {
            let timeout = instance.uint(DISABLE_TIMEOUT).unwrap_or(DEFAULT_DISABLE_TIMEOUT_S);
            (Code::CHANGED, None, DmAction::Disable(timeout))
        }
        _ => (Code::METHOD_NOT_ALLOWED, None, DmAction::None),
    }
}

/// /1/x/5 Disable Timeout.
const DISABLE_TIMEOUT: u16 = 5;

/// Write (PUT, or POST partial update) on the requesting server's own Server instance: every
/// written resource must be writable by a DM server (RW in the registry), else 4.05; another
/// server's instance is 4.01. The written resources are merged in.
fn write(model: &mut DataModel, request: &Message, path: &Path, ctx: &DmContext) -> Answer {
    let Some(iid) = path.instance_id() else {
        return (Code::METHOD_NOT_ALLOWED, None, DmAction::None);
    };
    let Some(instance) = model.instance(OBJ_SERVER, iid) else {
        return (Code::NOT_FOUND, None, DmAction::None);
    };
    if (crate::model::ServerAccount { instance_id: iid, instance }).ssid() != Some(ctx.ssid) {
        return (Code::UNAUTHORIZED, None, DmAction::None);
    }
    let instances = match crate::bootstrap::operations::decode_write(request, path, &SERVER) {
        Ok(instances) => instances,
        Err(code) => return (code, None, DmAction::None),
    };
    let writable = instances.iter().all(|(i, resources)| {
        *i == iid
            && resources
                .keys()
                .all(|r| SERVER.resource(*r).is_some_and(|d| d.operations == Operations::ReadWrite))
    });
    if !writable {
        return (Code::METHOD_NOT_ALLOWED, None, DmAction::None);
    }
    for (i, resources) in instances {
        let origin = model.instance(OBJ_SERVER, i).map(|x| x.origin).unwrap_or(Origin::Factory);
        model.write(OBJ_SERVER, i, resources, origin);
    }
    (Code::CHANGED, None, DmAction::ServerWritten)
}

/// Read of `/1/I` or `/1/I/R` in the Accept format (TLV without one; text/plain for a single
/// resource value too); 4.06 for a format this build cannot write.
fn read_instance(
    model: &DataModel,
    path: &Path,
    accept: Option<u16>,
) -> (Code, Option<(u16, Vec<u8>)>) {
    let Some(instance) = path.instance_id().and_then(|i| model.instance(OBJ_SERVER, i)) else {
        return (Code::NOT_FOUND, None);
    };
    match path.resource_id() {
        None => {
            let Some(format) = crate::codec::read_format(accept) else {
                return (Code::NOT_ACCEPTABLE, None);
            };
            let iid = path.instance_id().unwrap_or(0);
            let payload = crate::codec::encode_read(format, OBJ_SERVER, &[(iid, instance)], false);
            (Code::CONTENT, Some((format, payload)))
        }
        Some(rid) => match instance.resources.get(&rid) {
            Some(value) => match crate::codec::resource_read_format(accept, value) {
                Some(format) => (
                    Code::CONTENT,
                    Some((format, crate::codec::encode_read_resource(format, path, value))),
                ),
                None => (Code::NOT_ACCEPTABLE, None),
            },
            None => (Code::NOT_FOUND, None),
        },
    }
}
