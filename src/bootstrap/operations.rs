//! The Bootstrap-Server's operations on the client (LwM2M Core 1.1 §5.2.7, Transport §6.1):
//! Write, Delete, Read, Discover and Finish, with the response codes of LwM2M Transport 1.2 "Response Codes: Bootstrap Interface".
//! Everything is applied to the staged copy of the [`Store`]; Finish validates (the caller
//! saves and commits).

use alloc::string::String;
use alloc::vec::Vec;

use super::firmware::FirmwareTransaction;
use super::validate::{validate, Inconsistency, ValidationPolicy};
use crate::coap::{content_format as cf, Code, Message};
use crate::codec::{link, text, tlv};
use crate::model::{
    object_definition, DataModel, ObjectInfo, Origin, Path, PathError, ResourceValue, Store,
    VecMap, Version, OBJ_DEVICE, OBJ_SECURITY,
};

/// What the client knows about itself that the operations need.
#[derive(Clone, Copy, Debug)]
pub struct OperationContext<'a> {
    /// The enabler version the client speaks.
    pub version: Version,
    /// The firmware's own objects (listed in Discover).
    pub objects: &'a [ObjectInfo],
    /// The Finish validation policy.
    pub policy: &'a ValidationPolicy,
}

/// What a handled request means for the bootstrap session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An ordinary operation (Write, Delete, Read, Discover, or an error reply).
    Operation,
    /// Bootstrap-Finish accepted (the response is 2.04): the staged configuration is complete
    /// and consistent but still staged, and an open firmware transaction is still open. The
    /// caller makes it durable, then commits ([`Store::commit`], `end(true)`) and sends the
    /// 2.04, or rolls both back and answers 5.00 when it could not be saved.
    Finished,
    /// Bootstrap-Finish refused with 4.06; the staged writes stay in place for the rest of
    /// the bootstrap session, so that the Bootstrap-Server can correct them and finish again.
    Rejected(Vec<Inconsistency>),
    /// Bootstrap-Finish refused with 4.06 by the firmware's validation of its own objects;
    /// the staged writes (and the firmware's transaction) stay open as for `Rejected`.
    Vetoed,
}

/// Handles one request from the Bootstrap-Server and returns its response. Writes and
/// Deletes of objects the library does not own go to `firmware` when there is one; at
/// Finish the firmware validates; a refused Finish keeps both staged (the session's end
/// without a successful Finish rolls them back, in the caller).
pub fn handle(
    store: &mut Store,
    request: &Message,
    ctx: &OperationContext<'_>,
    mut firmware: Option<&mut FirmwareTransaction>,
) -> (Message, Outcome) {
    let mut reply = Reply::new(Code::BAD_REQUEST);
    let mut outcome = Outcome::Operation;
    match parse_path(request) {
        Err(code) => reply.code = code,
        Ok(Target::Finish) => {
            (reply, outcome) = finish(store, request, ctx.policy, firmware.as_deref_mut());
        }
        Ok(Target::Path(path)) => {
            reply = match firmware {
                Some(fw) if is_firmware_operation(request, &path) => {
                    firmware_operation(store, request, &path, fw)
                }
                _ => dispatch(store, request, &path, ctx),
            };
        }
    }
    (reply.into_message(request), outcome)
}

/// A Write or Delete the firmware takes: an object it owns, or `Delete /` (the library then
/// deletes its own instances too).
fn is_firmware_operation(request: &Message, path: &Path) -> bool {
    let foreign = path.object_id().is_some_and(|o| object_definition(o).is_none());
    match request.code {
        Code::PUT => foreign,
        Code::DELETE => foreign || path.is_root(),
        _ => false,
    }
}

fn firmware_operation(
    store: &mut Store,
    request: &Message,
    path: &Path,
    firmware: &mut FirmwareTransaction,
) -> Reply {
    if request.code == Code::PUT {
        let format = request.content_format().unwrap_or(cf::TLV);
        return Reply::new(firmware.write(path, format, &request.payload));
    }
    if path.depth() > 2 {
        return Reply::new(Code::BAD_REQUEST);
    }
    if path.object_id() == Some(OBJ_DEVICE) && path.instance_id() == Some(0) {
        return Reply::new(Code::BAD_REQUEST);
    }
    if path.is_root() {
        let own = delete(store, path);
        let theirs = firmware.delete(path);
        return Reply::new(if theirs.is_success() { own } else { theirs });
    }
    Reply::new(firmware.delete(path))
}

enum Target {
    Finish,
    Path(Path),
}

fn parse_path(request: &Message) -> Result<Target, Code> {
    let segments = request.uri_path().map_err(|_| Code::BAD_REQUEST)?;
    if segments == ["bs"] {
        return Ok(Target::Finish);
    }
    match Path::parse(&segments) {
        Ok(path) => Ok(Target::Path(path)),
        Err(PathError::TooDeep) => Err(Code::BAD_OPTION),
        Err(PathError::NotAnId) => Err(Code::NOT_FOUND),
    }
}

/// A response under construction.
struct Reply {
    code: Code,
    content_format: Option<u16>,
    payload: Vec<u8>,
}

impl Reply {
    fn new(code: Code) -> Reply {
        Reply { code, content_format: None, payload: Vec::new() }
    }

    fn content(content_format: u16, payload: Vec<u8>) -> Reply {
        Reply { code: Code::CONTENT, content_format: Some(content_format), payload }
    }

    fn into_message(self, request: &Message) -> Message {
        let mut msg = Message::response_to(request, self.code);
        if let Some(format) = self.content_format {
            msg.set_content_format(format);
        }
        msg.payload = self.payload;
        msg
    }
}

fn dispatch(
    store: &mut Store,
    request: &Message,
    path: &Path,
    ctx: &OperationContext<'_>,
) -> Reply {
    match request.code {
        Code::PUT => write(store, request, path),
        Code::DELETE => Reply::new(delete(store, path)),
        Code::GET if request.accept() == Some(cf::LINK_FORMAT) => {
            discover(store.current(), path, ctx)
        }
        Code::GET => read(store.current(), request, path),
        _ => Reply::new(Code::METHOD_NOT_ALLOWED),
    }
}

/// Bootstrap-Finish: validate (the library's objects, then the firmware's), then leave both
/// staged for the caller to save and commit (2.04), or leave both staged and refuse (4.06):
/// the Bootstrap-Server may write the missing piece (or delete and start over) and finish
/// again within the same session.
fn finish(
    store: &mut Store,
    request: &Message,
    policy: &ValidationPolicy,
    firmware: Option<&mut FirmwareTransaction>,
) -> (Reply, Outcome) {
    if request.code != Code::POST {
        return (Reply::new(Code::METHOD_NOT_ALLOWED), Outcome::Operation);
    }
    let findings = validate(store.current(), policy);
    let vetoed = findings.is_empty() && firmware.is_some_and(|fw| !fw.validate());
    if findings.is_empty() && !vetoed {
        store.staged_mut();
        (Reply::new(Code::CHANGED), Outcome::Finished)
    } else {
        let outcome = if vetoed { Outcome::Vetoed } else { Outcome::Rejected(findings) };
        (Reply::new(Code::NOT_ACCEPTABLE), outcome)
    }
}

/// Bootstrap-Write on `/O`, `/O/I` or `/O/I/R`: creates what is missing, answers 2.04.
fn write(store: &mut Store, request: &Message, path: &Path) -> Reply {
    let (Some(object), 1..=3) = (path.object_id(), path.depth()) else {
        return Reply::new(if path.is_root() {
            Code::METHOD_NOT_ALLOWED
        } else {
            Code::BAD_REQUEST
        });
    };
    let Some(def) = object_definition(object) else {
        return Reply::new(Code::NOT_FOUND);
    };
    let instances = match decode_write(request, path, def) {
        Ok(instances) => instances,
        Err(code) => return Reply::new(code),
    };
    if object == OBJ_SECURITY && adds_second_bootstrap_account(store.current(), &instances) {
        return Reply::new(Code::BAD_REQUEST);
    }
    let staged = store.staged_mut();
    for (iid, resources) in instances {
        staged.write(object, iid, resources, Origin::BootstrapServer);
    }
    Reply::new(Code::CHANGED)
}

/// Decoded instances of a write: instance ID and its resources.
pub(crate) type Instances = Vec<(u16, VecMap<u16, ResourceValue>)>;

/// Decodes the payload of a write to `path` (TLV at any level; plain text and opaque at
/// resource level).
pub(crate) fn decode_write(
    request: &Message,
    path: &Path,
    def: &crate::model::ObjectDefinition,
) -> Result<Instances, Code> {
    let format = request.content_format().unwrap_or(cf::TLV);
    if format == cf::TLV || format == cf::OLD_TLV {
        return tlv::decode_instances(&request.payload, path, def).map_err(|_| Code::BAD_REQUEST);
    }
    #[cfg(any(feature = "senml-json", feature = "senml-cbor", feature = "lwm2m-cbor"))]
    {
        let records = match format {
            #[cfg(feature = "senml-json")]
            cf::SENML_JSON => Some(crate::codec::senml_json::parse(&request.payload)),
            #[cfg(feature = "senml-cbor")]
            cf::SENML_CBOR => Some(crate::codec::senml_cbor::parse(&request.payload)),
            #[cfg(feature = "lwm2m-cbor")]
            cf::LWM2M_CBOR => Some(crate::codec::lwm2m_cbor::parse(&request.payload)),
            _ => None,
        };
        if let Some(records) = records {
            let records = records.map_err(|_| Code::BAD_REQUEST)?;
            return crate::codec::senml::decode_records(&records, path, def)
                .map_err(|_| Code::BAD_REQUEST);
        }
    }
    let (Some(iid), Some(rid)) = (path.instance_id(), path.resource_id()) else {
        return Err(Code::UNSUPPORTED_CONTENT_FORMAT);
    };
    let value = match (format, def.resource(rid)) {
        (_, None) => return Ok(Vec::new()),
        (_, Some(res)) if res.multiple => return Err(Code::BAD_REQUEST),
        (cf::TEXT_PLAIN, Some(res)) => text::decode_text(&request.payload, res.data_type),
        (cf::OCTET_STREAM, Some(res)) => text::decode_opaque(&request.payload, res.data_type),
        _ => return Err(Code::UNSUPPORTED_CONTENT_FORMAT),
    }
    .map_err(|_| Code::BAD_REQUEST)?;
    let mut resources = VecMap::new();
    resources.insert(rid, ResourceValue::Single(value));
    Ok(alloc::vec![(iid, resources)])
}

/// At most one Bootstrap-Server account (Core §5.2.2): a write that would flag a second
/// instance as Bootstrap-Server is refused with 4.00 (policy decision, see the README).
fn adds_second_bootstrap_account(model: &DataModel, instances: &Instances) -> bool {
    let existing = model.bootstrap_account().map(|a| a.instance_id);
    instances.iter().any(|(iid, resources)| {
        let flagged = resources.get(&crate::model::security_res::BOOTSTRAP_SERVER)
            == Some(&ResourceValue::Single(crate::model::Value::Boolean(true)));
        flagged && existing.is_some_and(|bs| bs != *iid)
    })
}

/// Bootstrap-Delete on `/`, `/O` or `/O/I` (2.02). Never the Bootstrap-Server account nor
/// the Device instance /3/0; a resource path is 4.00.
fn delete(store: &mut Store, path: &Path) -> Code {
    if path.depth() > 2 {
        return Code::BAD_REQUEST;
    }
    let bootstrap_iid = store.current().bootstrap_account().map(|a| a.instance_id);
    let is_protected = |object: u16, iid: u16| {
        (object == OBJ_SECURITY && Some(iid) == bootstrap_iid) || (object == OBJ_DEVICE && iid == 0)
    };
    if let (Some(object), Some(iid)) = (path.object_id(), path.instance_id()) {
        if is_protected(object, iid) {
            return Code::BAD_REQUEST;
        }
    }
    let staged = store.staged_mut();
    let doomed: Vec<(u16, u16)> = staged
        .object_ids()
        .filter(|o| path.object_id().is_none_or(|p| p == *o))
        .flat_map(|o| staged.instance_ids(o).map(move |i| (o, i)).collect::<Vec<_>>())
        .filter(|&(o, i)| path.instance_id().is_none_or(|p| p == i) && !is_protected(o, i))
        .collect();
    for (object, iid) in doomed {
        staged.remove(object, iid);
    }
    Code::DELETED
}

/// Bootstrap-Read (1.1): only /1 and /2, at object or instance level; /0 is never readable.
fn read(model: &DataModel, request: &Message, path: &Path) -> Reply {
    let Some(object) = path.object_id() else {
        return Reply::new(Code::METHOD_NOT_ALLOWED);
    };
    if !matches!(object, 1 | 2) {
        return Reply::new(Code::METHOD_NOT_ALLOWED);
    }
    if path.depth() > 2 {
        return Reply::new(Code::BAD_REQUEST);
    }
    let Some(format) = crate::codec::read_format(request.accept()) else {
        return Reply::new(Code::NOT_ACCEPTABLE);
    };
    let instances: Vec<_> = model
        .instances(object)
        .filter(|(iid, _)| path.instance_id().is_none_or(|p| p == *iid))
        .collect();
    if path.instance_id().is_some() && instances.is_empty() {
        return Reply::new(Code::NOT_FOUND);
    }
    let wrap = path.instance_id().is_none();
    Reply::content(format, crate::codec::encode_read(format, object, &instances, wrap))
}

/// Bootstrap-Discover on `/` or `/O`: enabler version, then every instance with `ssid` (and,
/// in 1.1, `uri`) on Security and Server instances.
fn discover(model: &DataModel, path: &Path, ctx: &OperationContext<'_>) -> Reply {
    if path.depth() > 1 {
        return Reply::new(Code::BAD_REQUEST);
    }
    let mut links = Vec::new();
    links.push(match ctx.version {
        Version::V1_0 => link::Link::new("").quoted_attr("lwm2m", "1.0"),
        Version::V1_1 => link::Link::new("/").attr("lwm2m", "1.1"),
    });
    let mut known = false;
    for object in listed_objects(model, ctx.objects) {
        if path.object_id().is_some_and(|p| p != object.id) {
            continue;
        }
        known = true;
        object_links(model, &object, ctx.version, &mut links);
    }
    if !known {
        return Reply::new(Code::NOT_FOUND);
    }
    Reply::content(cf::LINK_FORMAT, link::encode_links(&links).into_bytes())
}

/// The objects a client lists: /0, /1, /2 from the model, then the firmware's objects.
pub fn listed_objects(model: &DataModel, firmware: &[ObjectInfo]) -> Vec<ObjectInfo> {
    let mut objects: Vec<ObjectInfo> = [0u16, 1, 2]
        .iter()
        .filter_map(|&id| object_definition(id))
        .map(|def| ObjectInfo {
            id: def.id,
            version: def.version.map(String::from),
            instances: model.instance_ids(def.id).collect(),
        })
        .collect();
    objects.extend(firmware.iter().filter(|o| o.id > 2).cloned());
    objects
}

fn object_links(
    model: &DataModel,
    object: &ObjectInfo,
    version: Version,
    links: &mut Vec<link::Link>,
) {
    let mut head = link::Link::new(alloc::format!("/{}", object.id));
    if let Some(ver) = object.version.as_deref().filter(|_| version != Version::V1_0) {
        head = head.attr("ver", ver);
    }
    if object.instances.is_empty() || !head.attributes.is_empty() {
        links.push(head);
    }
    for &iid in &object.instances {
        let mut l = link::Link::new(alloc::format!("/{}/{}", object.id, iid));
        if let Some(instance) = model.instance(object.id, iid) {
            let ssid_res = if object.id == OBJ_SECURITY { 10 } else { 0 };
            let is_bs = object.id == OBJ_SECURITY && instance.boolean(1) == Some(true);
            if let (Some(ssid), false, true) = (instance.int(ssid_res), is_bs, object.id <= 1) {
                l = l.attr("ssid", ssid);
            }
            if let (Some(uri), true, Version::V1_1) =
                (instance.string(0), object.id == OBJ_SECURITY, version)
            {
                l = l.quoted_attr("uri", uri);
            }
        }
        links.push(l);
    }
}
