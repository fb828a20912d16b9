//! SenML records (RFC 8428) as LwM2M 1.1 §7.4.4 profiles them for Write and Bootstrap-Write:
//! what SenML JSON ([`super::senml_json`]) and SenML CBOR decode into, and how records become
//! the instances of one object ([`decode_records`]), with the same rules as TLV's
//! [`super::tlv::decode_instances`].
//!
//! Profile: the name of a record is the last base name (`bn`) followed by its name (`n`) and is
//! an LwM2M path of a resource (`/O/I/R`) or a resource instance (`/O/I/R/RI`) inside the
//! target path. One value per record: `v` (number), `vs` (string), `vb` (boolean), `vd`
//! (opaque) or `vlo` (object link `O:I`). Times (`bt`, `t`) are ignored for writes. A record
//! with a base name only (no name, no value) sets the base name.

use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::tlv::Resources;
use super::CodecError;
use crate::model::{DataType, ObjectDefinition, Path, ResourceValue, Value, VecMap};

/// A number as the format carried it.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    /// An integer that fits `i64`.
    Signed(i64),
    /// A non-negative integer above `i64::MAX`.
    Unsigned(u64),
    /// A decimal with a fraction or an exponent, as its text (SenML JSON): parsed only for a
    /// Float resource.
    Decimal(String),
    /// A floating-point value (SenML CBOR's floats).
    Float(f64),
}

/// The value of one record.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordValue {
    /// `v`.
    Number(Number),
    /// `vs`.
    String(String),
    /// `vb`.
    Boolean(bool),
    /// `vd`, decoded (wiped on drop: it may hold keys).
    Data(Zeroizing<Vec<u8>>),
    /// `vlo`, its text `O:I`.
    ObjLnk(String),
    /// Text typed by the resource (LwM2M CBOR): String, Core Link or Object Link `O:I`.
    #[cfg_attr(not(feature = "lwm2m-cbor"), allow(dead_code))]
    Text(String),
}

/// One SenML record, the fields LwM2M writes use.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// `bn`.
    pub base_name: Option<String>,
    /// `n`.
    pub name: Option<String>,
    /// The record's one value, if any.
    pub value: Option<RecordValue>,
}

/// A scalar as a SenML format carries it.
pub(super) enum Scalar {
    /// A text string.
    String(String),
    /// A number.
    Number(Number),
    /// `true` or `false`.
    Boolean(bool),
    /// A byte string (SenML CBOR's `vd`).
    #[cfg_attr(not(feature = "senml-cbor"), allow(dead_code))]
    Bytes(Zeroizing<Vec<u8>>),
}

#[cfg(any(feature = "senml-json", feature = "senml-cbor"))]
/// Sets the field `label` of `record` (RFC 8428 §4 names; SenML CBOR's integer labels are
/// mapped to them). Refused: a second value field, a field of the wrong type, base value and
/// sum fields (`bv`, `bs`, `s`: the profile has no use for them, and ignoring them would write
/// other values than sent) and labels ending in `_` (must-understand, RFC 8428 §4.4).
/// Ignored: times and units (`bt`, `t`, `ut`, `bu`, `u`), `bver` and unknown labels.
pub(super) fn apply(record: &mut Record, label: &str, value: Scalar) -> Result<(), CodecError> {
    let value = match (label, value) {
        ("bn", Scalar::String(s)) => {
            record.base_name = Some(s);
            return Ok(());
        }
        ("n", Scalar::String(s)) => {
            record.name = Some(s);
            return Ok(());
        }
        ("v", Scalar::Number(n)) => RecordValue::Number(n),
        ("vs", Scalar::String(s)) => RecordValue::String(s),
        ("vb", Scalar::Boolean(b)) => RecordValue::Boolean(b),
        #[cfg(feature = "senml-json")]
        ("vd", Scalar::String(s)) => RecordValue::Data(super::senml_json::base64url(&s)?),
        ("vd", Scalar::Bytes(b)) => RecordValue::Data(b),
        ("vlo", Scalar::String(s)) => RecordValue::ObjLnk(s),
        ("bn" | "n" | "v" | "vs" | "vb" | "vd" | "vlo", _) => return Err(CodecError::BadValue),
        ("bt" | "t" | "ut" | "bver", Scalar::Number(_)) | ("bu" | "u", Scalar::String(_)) => {
            return Ok(())
        }
        ("bt" | "t" | "ut" | "bver" | "bu" | "u" | "bv" | "bs" | "s", _) => {
            return Err(CodecError::BadValue)
        }
        (label, _) if label.ends_with('_') => return Err(CodecError::BadValue),
        _ => return Ok(()),
    };
    if record.value.replace(value).is_some() {
        return Err(CodecError::Duplicate);
    }
    Ok(())
}

/// The instances of `def` that `records` write at `path` (depth 1, 2 or 3), like
/// [`super::tlv::decode_instances`]: resources not defined in `def` are skipped, defined ones
/// are type-checked. Errors: a record without a name or a value ([`CodecError::BadValue`]), a
/// name that is not a path of a resource or resource instance, or is outside `path`
/// ([`CodecError::BadPath`]), a resource instance of a single resource or vice versa
/// ([`CodecError::UnexpectedTlv`]), the same resource or resource instance twice
/// ([`CodecError::Duplicate`]), a value of the wrong kind or range for the resource, and a
/// write to `/O/I/R` of a defined resource with no record for it.
pub fn decode_records(
    records: &[Record],
    path: &Path,
    def: &ObjectDefinition,
) -> Result<Vec<(u16, Resources)>, CodecError> {
    if path.depth() == 0 || path.depth() > 3 {
        return Err(CodecError::BadPath);
    }
    if path.object_id() != Some(def.id) {
        return Err(CodecError::IdMismatch);
    }
    let mut instances: Vec<(u16, Resources)> = Vec::new();
    if let Some(iid) = path.instance_id().filter(|_| path.depth() == 2) {
        instances.push((iid, VecMap::new()));
    }
    let mut base = String::new();
    for record in records {
        if let Some(base_name) = &record.base_name {
            base.clone_from(base_name);
        }
        let (name, value) = match (&record.name, &record.value) {
            (None, None) if record.base_name.is_some() => continue,
            (_, None) => return Err(CodecError::BadValue),
            (name, Some(value)) => (name.as_deref().unwrap_or(""), value),
        };
        let target = record_path(&base, name)?;
        if target.ids().get(..path.depth()) != Some(path.ids()) {
            return Err(CodecError::BadPath);
        }
        let (Some(iid), Some(rid)) = (target.instance_id(), target.resource_id()) else {
            return Err(CodecError::BadPath);
        };
        let Some(res) = def.resource(rid) else { continue };
        let value = to_value(value, res.data_type)?;
        let at = match instances.iter().position(|(id, _)| *id == iid) {
            Some(at) => at,
            None => {
                instances.push((iid, VecMap::new()));
                instances.len() - 1
            }
        };
        let resources = &mut instances[at].1;
        match (res.multiple, target.resource_instance_id()) {
            (false, None) => {
                if resources.insert(rid, ResourceValue::Single(value)).is_some() {
                    return Err(CodecError::Duplicate);
                }
            }
            (true, Some(riid)) => {
                let entry =
                    resources.get_or_insert_with(rid, || ResourceValue::Multiple(VecMap::new()));
                let ResourceValue::Multiple(values) = entry else {
                    return Err(CodecError::Duplicate);
                };
                if values.insert(riid, value).is_some() {
                    return Err(CodecError::Duplicate);
                }
            }
            _ => return Err(CodecError::UnexpectedTlv),
        }
    }
    if let Some(rid) = path.resource_id() {
        if def.resource(rid).is_some() && instances.is_empty() {
            return Err(CodecError::BadValue);
        }
    }
    Ok(instances)
}

/// Decimal digits of `v`, without `core::fmt`.
pub(super) fn push_u64(out: &mut String, v: u64) {
    let mut digits = [0u8; 20];
    let mut n = v;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

#[cfg(any(feature = "senml-json", feature = "senml-cbor"))]
/// The base name of an instance's records: `/O/I/`.
pub(super) fn base_name(object: u16, iid: u16) -> String {
    let mut name = String::from("/");
    push_u64(&mut name, object.into());
    name.push('/');
    push_u64(&mut name, iid.into());
    name.push('/');
    name
}

#[cfg(any(feature = "senml-json", feature = "senml-cbor"))]
/// A record's name relative to [`base_name`]: `R` or `R/RI`.
pub(super) fn relative_name(rid: u16, riid: Option<u16>) -> String {
    let mut name = String::new();
    push_u64(&mut name, rid.into());
    if let Some(riid) = riid {
        name.push('/');
        push_u64(&mut name, riid.into());
    }
    name
}

/// The path `base` + `name` names: `/` then 3 or 4 IDs.
fn record_path(base: &str, name: &str) -> Result<Path, CodecError> {
    let mut full = String::with_capacity(base.len() + name.len());
    full.push_str(base);
    full.push_str(name);
    let rest = full.strip_prefix('/').ok_or(CodecError::BadPath)?;
    let segments: Vec<&str> = rest.split('/').collect();
    let path = Path::parse(&segments).map_err(|_| CodecError::BadPath)?;
    if path.depth() < 3 {
        return Err(CodecError::BadPath);
    }
    Ok(path)
}

/// The record value as a value of `data_type`.
fn to_value(value: &RecordValue, data_type: DataType) -> Result<Value, CodecError> {
    Ok(match (data_type, value) {
        (DataType::Integer, RecordValue::Number(n)) => Value::Integer(signed(n)?),
        (DataType::Time, RecordValue::Number(n)) => Value::Time(signed(n)?),
        (DataType::Unsigned, RecordValue::Number(n)) => Value::Unsigned(unsigned(n)?),
        #[cfg(feature = "float")]
        (DataType::Float, RecordValue::Number(n)) => Value::Float(float(n)?),
        (DataType::Boolean, RecordValue::Boolean(b)) => Value::Boolean(*b),
        (DataType::String, RecordValue::String(s) | RecordValue::Text(s)) => {
            Value::String(s.clone())
        }
        (DataType::CoreLink, RecordValue::String(s) | RecordValue::Text(s)) => {
            Value::CoreLink(s.clone())
        }
        (DataType::Opaque, RecordValue::Data(d)) => Value::Opaque(d.clone()),
        (DataType::ObjLnk, RecordValue::ObjLnk(s) | RecordValue::Text(s)) => {
            super::text::decode_text(s.as_bytes(), DataType::ObjLnk)?
        }
        (DataType::None, _) => return Err(CodecError::BadType),
        _ => return Err(CodecError::BadValue),
    })
}

fn signed(n: &Number) -> Result<i64, CodecError> {
    match *n {
        Number::Signed(v) => Ok(v),
        _ => Err(CodecError::BadNumber),
    }
}

fn unsigned(n: &Number) -> Result<u64, CodecError> {
    match *n {
        Number::Signed(v) => u64::try_from(v).map_err(|_| CodecError::BadNumber),
        Number::Unsigned(v) => Ok(v),
        _ => Err(CodecError::BadNumber),
    }
}

#[cfg(feature = "float")]
fn float(n: &Number) -> Result<f64, CodecError> {
    let v = match n {
        Number::Signed(v) => *v as f64,
        Number::Unsigned(v) => *v as f64,
        Number::Float(v) => *v,
        Number::Decimal(text) => super::decimal::parse(text),
    };
    Some(v).filter(|v| v.is_finite()).ok_or(CodecError::BadNumber)
}

#[cfg(all(test, feature = "senml-json"))]
mod tests {
    use super::*;
    use crate::codec::senml_json;
    use crate::model::{SECURITY, SERVER};

    fn decode(json: &str, path: &Path) -> Result<Vec<(u16, Resources)>, CodecError> {
        let records = senml_json::parse(json.as_bytes())?;
        decode_records(&records, path, &SECURITY)
    }

    fn single(resources: &Resources, rid: u16) -> Option<&Value> {
        resources.get(&rid).and_then(ResourceValue::single)
    }

    /// A Bootstrap-Write of /0 as Leshan's and Anjay's servers send it: a base name per
    /// instance, relative names, every value field the profile has.
    #[test]
    fn a_security_object_with_base_names() {
        let json = r#"[
            {"bn":"/0/1/","n":"0","vs":"coap://127.0.0.1:5683"},
            {"n":"1","vb":false},
            {"n":"2","v":3},
            {"n":"3","vd":"aWQ"},
            {"n":"10","v":101},
            {"n":"16/0","v":49320},
            {"n":"16/1","v":49326},
            {"n":"17","vlo":"21:0"},
            {"n":"6000","vs":"an unsupported resource is skipped"},
            {"bn":"/0/2/","n":"0","vs":"coap://bs"},
            {"n":"1","vb":true,"t":-5}
        ]"#;
        let instances = decode(json, &Path::object(0)).unwrap();
        assert_eq!(instances.iter().map(|(iid, _)| *iid).collect::<Vec<_>>(), [1, 2]);
        let first = &instances[0].1;
        assert_eq!(single(first, 0), Some(&Value::String("coap://127.0.0.1:5683".into())));
        assert_eq!(single(first, 1), Some(&Value::Boolean(false)));
        assert_eq!(single(first, 2), Some(&Value::Integer(3)));
        assert_eq!(single(first, 3), Some(&Value::opaque(b"id")));
        assert_eq!(single(first, 17), Some(&Value::ObjLnk(21, 0)));
        let Some(ResourceValue::Multiple(suites)) = first.get(&16) else {
            panic!("16 is multiple")
        };
        assert_eq!(suites.get(&1), Some(&Value::Unsigned(49326)));
        assert_eq!(first.len(), 7);
        assert_eq!(single(&instances[1].1, 1), Some(&Value::Boolean(true)));
    }

    #[test]
    fn full_names_without_base_name_at_each_depth() {
        let json = r#"[{"n":"/1/0/0","v":1},{"n":"/1/0/1","v":300},{"n":"/1/0/7","vs":"U"}]"#;
        let records = senml_json::parse(json.as_bytes()).unwrap();
        let at = |path: Path| decode_records(&records, &path, &SERVER);
        let instances = at(Path::instance(1, 0)).unwrap();
        assert_eq!(instances.len(), 1);
        assert_eq!(single(&instances[0].1, 1), Some(&Value::Integer(300)));
        assert_eq!(at(Path::object(1)).unwrap(), instances);
        assert_eq!(at(Path::instance(1, 1)), Err(CodecError::BadPath), "outside the target");
        assert_eq!(at(Path::resource(1, 0, 1)), Err(CodecError::BadPath), "/1/0/0 is outside");
        let one = senml_json::parse(br#"[{"n":"/1/0/1","v":60}]"#).unwrap();
        let written = decode_records(&one, &Path::resource(1, 0, 1), &SERVER).unwrap();
        assert_eq!(single(&written[0].1, 1), Some(&Value::Integer(60)));
        assert_eq!(
            decode_records(&[], &Path::resource(1, 0, 1), &SERVER),
            Err(CodecError::BadValue)
        );
        assert_eq!(decode_records(&[], &Path::instance(1, 4), &SERVER).unwrap()[0].0, 4);
        assert_eq!(
            decode_records(&records, &Path::object(0), &SERVER),
            Err(CodecError::IdMismatch)
        );
    }

    #[test]
    fn inconsistent_records_change_nothing_and_are_refused() {
        let object = Path::object(0);
        for (json, error) in [
            (r#"[{"n":"/0/1/0","vs":"a"},{"n":"/0/1/0","vs":"b"}]"#, CodecError::Duplicate),
            (r#"[{"n":"/0/1/16/0","v":1},{"n":"/0/1/16/0","v":2}]"#, CodecError::Duplicate),
            (r#"[{"n":"/0/1/16","v":1}]"#, CodecError::UnexpectedTlv),
            (r#"[{"n":"/0/1/2/0","v":1}]"#, CodecError::UnexpectedTlv),
            (r#"[{"n":"/0/1","v":1}]"#, CodecError::BadPath),
            (r#"[{"n":"/1/0/1","v":1}]"#, CodecError::BadPath),
            (r#"[{"n":"0/1/1","vb":true}]"#, CodecError::BadPath),
            (r#"[{"n":"/0/1/1/","vb":true}]"#, CodecError::BadPath),
            (r#"[{"n":"/0/65535/1","vb":true}]"#, CodecError::BadPath),
            (r#"[{"n":"/0/1/0/0/0","vs":"x"}]"#, CodecError::BadPath),
            (r#"[{"n":"/0/1/0"}]"#, CodecError::BadValue),
            (r#"[{"n":"/0/1/0","v":1}]"#, CodecError::BadValue),
            (r#"[{"n":"/0/1/1","vs":"true"}]"#, CodecError::BadValue),
            (r#"[{"n":"/0/1/3","vs":"aWQ"}]"#, CodecError::BadValue),
            (r#"[{"n":"/0/1/2","v":1.5}]"#, CodecError::BadNumber),
            (r#"[{"n":"/0/1/13","v":-1}]"#, CodecError::BadNumber),
            (r#"[{"n":"/0/1/2","v":9223372036854775808}]"#, CodecError::BadNumber),
            (r#"[{"n":"/0/1/17","vlo":"21"}]"#, CodecError::BadValue),
        ] {
            assert_eq!(decode(json, &object), Err(error), "{json}");
        }
    }

    /// The same configuration in SenML JSON and in TLV decodes to the same instances.
    #[test]
    fn senml_json_and_tlv_agree() {
        use crate::codec::tlv;
        use crate::model::{Instance, Origin};
        let json = r#"[{"bn":"/1/0/","n":"0","v":101},{"n":"1","v":86400},{"n":"6","vb":true},
            {"n":"7","vs":"UQ"},{"n":"23","vb":false}]"#;
        let from_json = senml_json::parse(json.as_bytes()).unwrap();
        let from_json = decode_records(&from_json, &Path::object(1), &SERVER).unwrap();
        let instance =
            Instance { resources: from_json[0].1.clone(), origin: Origin::BootstrapServer };
        let bytes = tlv::encode_instances(&[(0, &instance)], true);
        assert_eq!(tlv::decode_instances(&bytes, &Path::object(1), &SERVER), Ok(from_json));
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use crate::model::{Instance, Origin, ResourceDefinition, SECURITY, SERVER};
    use proptest::prelude::*;

    fn value_of(data_type: DataType) -> BoxedStrategy<Value> {
        match data_type {
            DataType::String => "\\PC{0,20}".prop_map(Value::String).boxed(),
            DataType::CoreLink => "\\PC{0,20}".prop_map(Value::CoreLink).boxed(),
            DataType::Integer => any::<i64>().prop_map(Value::Integer).boxed(),
            DataType::Time => any::<i64>().prop_map(Value::Time).boxed(),
            DataType::Unsigned => any::<u64>().prop_map(Value::Unsigned).boxed(),
            DataType::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
            DataType::ObjLnk => {
                (0..65535u16, 0..65535u16).prop_map(|(o, i)| Value::ObjLnk(o, i)).boxed()
            }
            DataType::Float => {
                any::<f64>().prop_filter("finite", |v| v.is_finite()).prop_map(Value::Float).boxed()
            }
            _ => proptest::collection::vec(any::<u8>(), 0..40)
                .prop_map(|b| Value::opaque(&b))
                .boxed(),
        }
    }

    /// An instance of `def` with some of its resources (every data type of /0 and /1).
    fn instance(def: &'static ObjectDefinition) -> impl Strategy<Value = Instance> {
        let entries =
            def.resources.iter().filter(|r| r.data_type != DataType::None).map(move |res| {
                let value = value_of(res.data_type);
                let value = if res.multiple {
                    proptest::collection::btree_map(0..65535u16, value, 1..4)
                        .prop_map(|m| ResourceValue::Multiple(m.into_iter().collect()))
                        .boxed()
                } else {
                    value.prop_map(ResourceValue::Single).boxed()
                };
                proptest::option::of(value.prop_map(move |v| (res.id, v)))
            });
        entries.collect::<Vec<_>>().prop_map(|entries| Instance {
            resources: entries.into_iter().flatten().collect(),
            origin: Origin::BootstrapServer,
        })
    }

    const fn res(id: u16, data_type: DataType, multiple: bool) -> ResourceDefinition {
        ResourceDefinition {
            id,
            name: "test",
            data_type,
            mandatory: false,
            multiple,
            operations: crate::model::Operations::ReadWrite,
        }
    }

    /// One resource of every data type (Float with the `float` feature), single and multiple:
    /// the types /0 and /1 lack (Float, Core Link) too.
    static ALL_TYPES: ObjectDefinition = ObjectDefinition {
        id: 42,
        name: "All types",
        version: None,
        resources: &[
            res(0, DataType::String, false),
            res(1, DataType::Integer, false),
            res(2, DataType::Unsigned, false),
            res(3, if cfg!(feature = "float") { DataType::Float } else { DataType::Time }, false),
            res(4, DataType::Boolean, false),
            res(5, DataType::Opaque, false),
            res(6, DataType::Time, false),
            res(7, DataType::ObjLnk, false),
            res(8, DataType::CoreLink, false),
            res(9, DataType::Integer, true),
            res(10, DataType::Opaque, true),
        ],
    };

    proptest! {
        /// Every value type survives SenML JSON, SenML CBOR and LwM2M CBOR: encode, parse,
        /// decode; for /0, /1 and an object of every data type.
        #[test]
        fn senml_round_trips(
            object in 0u16..3,
            instances in proptest::collection::btree_map(0..65535u16, instance(&SECURITY), 0..3),
            servers in proptest::collection::btree_map(0..65535u16, instance(&SERVER), 0..3),
            all in proptest::collection::btree_map(0..65535u16, instance(&ALL_TYPES), 0..3),
        ) {
            let (def, instances) = match object {
                0 => (&SECURITY, instances),
                1 => (&SERVER, servers),
                _ => (&ALL_TYPES, all),
            };
            // Instances without resources leave no record: nothing to compare them by.
            let instances: Vec<(u16, Instance)> =
                instances.into_iter().filter(|(_, i)| !i.resources.is_empty()).collect();
            let refs: Vec<(u16, &Instance)> = instances.iter().map(|(k, v)| (*k, v)).collect();
            let expected: Vec<_> = instances.iter().map(|(k, v)| (*k, v.resources.clone())).collect();
            #[cfg(feature = "senml-json")]
            {
                use crate::codec::senml_json;
                let bytes = senml_json::encode(def.id, &refs);
                let records = senml_json::parse(&bytes).map_err(|e| TestCaseError::fail(alloc::format!("{e:?}: {}", String::from_utf8_lossy(&bytes))))?;
                prop_assert_eq!(&decode_records(&records, &Path::object(def.id), def).unwrap(), &expected);
            }
            #[cfg(feature = "lwm2m-cbor")]
            {
                use crate::codec::lwm2m_cbor;
                let bytes = lwm2m_cbor::encode(def.id, &refs);
                let records = lwm2m_cbor::parse(&bytes).map_err(|e| TestCaseError::fail(alloc::format!("{e:?}: {bytes:02x?}")))?;
                prop_assert_eq!(&decode_records(&records, &Path::object(def.id), def).unwrap(), &expected);
            }
            #[cfg(feature = "senml-cbor")]
            {
                use crate::codec::senml_cbor;
                let bytes = senml_cbor::encode(def.id, &refs);
                let records = senml_cbor::parse(&bytes).map_err(|e| TestCaseError::fail(alloc::format!("{e:?}: {bytes:02x?}")))?;
                prop_assert_eq!(&decode_records(&records, &Path::object(def.id), def).unwrap(), &expected);
            }
        }
    }
}
