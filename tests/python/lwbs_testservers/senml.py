"""SenML JSON (RFC 8428, content format 110) payloads as LwM2M 1.1 §7.4.4 Bootstrap-Servers
write them, built with Python's own ``json`` module (an implementation independent of the
library's reader).

The resource dictionaries are the ones :mod:`lwbs_testservers.tlv` takes: ``{rid: value}``
with ``str``, ``bool``, ``int``, ``float``, ``bytes``, ``(object, instance)`` object links
and ``{riid: value}`` for multiple resources. Each instance gets a base name (``bn`` =
``/O/I/``) in its first record and relative names (``n`` = ``R`` or ``R/RI``) after it, as
Leshan and Anjay write them; ``full_names=True`` writes absolute names and no base name.
"""

from __future__ import annotations

import base64
import json

import cbor2

CONTENT_FORMAT_SENML_JSON = 110
CONTENT_FORMAT_SENML_CBOR = 112
CONTENT_FORMAT_LWM2M_CBOR = 11544

# RFC 8428 §6: the integer labels of SenML CBOR ("vlo" has none: LwM2M writes the text label).
CBOR_LABELS = {"bver": -1, "bn": -2, "bt": -3, "bu": -4, "bv": -5, "bs": -6, "n": 0, "u": 1,
               "v": 2, "vs": 3, "vb": 4, "s": 5, "t": 6, "ut": 7, "vd": 8}


def _value_field(value) -> tuple[str, object]:
    if isinstance(value, bool):
        return "vb", value
    if isinstance(value, (int, float)):
        return "v", value
    if isinstance(value, str):
        return "vs", value
    if isinstance(value, bytes):
        # RFC 8428 §5: base64url, padding omitted.
        return "vd", base64.urlsafe_b64encode(value).decode().rstrip("=")
    if isinstance(value, tuple):
        return "vlo", f"{value[0]}:{value[1]}"
    raise TypeError(f"no SenML value for {value!r}")


def records(object_id: int, iid: int, resources: dict, *, full_names: bool = False) -> list:
    """The SenML records of one instance."""
    out = []
    for rid, value in sorted(resources.items()):
        items = sorted(value.items()) if isinstance(value, dict) else [(None, value)]
        for riid, v in items:
            name = f"{rid}" if riid is None else f"{rid}/{riid}"
            record: dict[str, object] = {}
            if full_names:
                record["n"] = f"/{object_id}/{iid}/{name}"
            else:
                if not out:
                    record["bn"] = f"/{object_id}/{iid}/"
                record["n"] = name
            key, field = _value_field(v)
            record[key] = field
            out.append(record)
    return out


def payload(*record_lists: list) -> bytes:
    """One SenML JSON array of the given records."""
    return json.dumps([r for rs in record_lists for r in rs]).encode()


def security_records(iid: int, uri: str, ssid: int, *, bootstrap: bool = False,
                     mode: int = 3, identity: bytes = b"", server_key: bytes = b"",
                     secret_key: bytes = b"", full_names: bool = False) -> list:
    """A Security (/0) instance, the resources of ``tlv.security_instance``."""
    res: dict[int, object] = {0: uri, 1: bootstrap, 2: mode, 3: identity, 4: server_key,
                              5: secret_key}
    if not bootstrap:
        res[10] = ssid
    return records(0, iid, res, full_names=full_names)


def server_records(iid: int, ssid: int, lifetime: int, *, binding: str = "U",
                   full_names: bool = False) -> list:
    """A Server (/1) instance, the resources of ``tlv.server_instance``."""
    return records(1, iid, {0: ssid, 1: lifetime, 6: False, 7: binding}, full_names=full_names)


def cbor_payload(*record_lists: list, canonical: bool = True) -> bytes:
    """The same records as SenML CBOR (``cbor2``): integer labels, ``vd`` as a byte string
    (the JSON form's base64url decoded). ``canonical`` makes cbor2 write the shortest float
    (half precision where exact), as constrained servers do."""
    out = []
    for record in (r for rs in record_lists for r in rs):
        item = {}
        for key, value in record.items():
            if key == "vd":
                value = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            item[CBOR_LABELS.get(key, key)] = value
        out.append(item)
    return cbor2.dumps(out, canonical=canonical)


def from_cbor(payload: bytes) -> list:
    """SenML CBOR records with their RFC 8428 names (the inverse of the label mapping)."""
    names = {v: k for k, v in CBOR_LABELS.items()}
    return [{names.get(k, k): v for k, v in record.items()} for record in cbor2.loads(payload)]


def lwm2m_cbor_payload(object_id: int, instances: dict[int, dict], *,
                       array_keys: bool = False) -> bytes:
    """LwM2M CBOR (LwM2M 1.2 §7.4.6) of ``{iid: {rid: value}}`` resource dictionaries:
    ``{O: {I: {R: value}}}``, or with ``array_keys`` ``{(O, I): {R: value}}`` (a key that
    is an array of path elements; cbor2 writes a tuple as an array). Object links are text
    ``O:I``; multiple resources nest ``{RI: value}``."""
    def leaf(value):
        if isinstance(value, tuple):
            return f"{value[0]}:{value[1]}"
        if isinstance(value, dict):
            return {riid: leaf(v) for riid, v in value.items()}
        return value
    body = {iid: {rid: leaf(v) for rid, v in res.items()} for iid, res in instances.items()}
    if array_keys:
        return cbor2.dumps({(object_id, iid): res for iid, res in body.items()})
    return cbor2.dumps({object_id: body})


def security_resources(uri: str, ssid: int, *, bootstrap: bool = False, mode: int = 3) -> dict:
    """The resources of ``tlv.security_instance`` (NoSec keys empty) as a dictionary."""
    res: dict[int, object] = {0: uri, 1: bootstrap, 2: mode, 3: b"", 4: b"", 5: b""}
    if not bootstrap:
        res[10] = ssid
    return res
