"""A small OMA-TLV encoder/decoder (LwM2M Core 1.1 §7.4.3) for the test servers.

Written independently of the Rust codec so that the tests do not trust the code under test.

Encoding helpers return ``bytes``; build nested structures with :func:`instance`,
:func:`resource` and :func:`multi_resource`. :func:`decode` returns a list of
:class:`Tlv` records (children decoded for object instances and multiple resources).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

OBJECT_INSTANCE = 0b00
RESOURCE_INSTANCE = 0b01
MULTIPLE_RESOURCE = 0b10
RESOURCE = 0b11

CONTENT_FORMAT_TLV = 11542
CONTENT_FORMAT_LINK = 40
CONTENT_FORMAT_TEXT = 0


def encode_value(value) -> bytes:
    """Encodes a Python value the way LwM2M TLV carries it.

    ``bool`` → 1 byte, ``int`` → the shortest of 1/2/4/8 signed big-endian bytes,
    ``str`` → UTF-8, ``bytes`` → as is.
    """
    if isinstance(value, bool):
        return b"\x01" if value else b"\x00"
    if isinstance(value, int):
        for size, fmt in ((1, ">b"), (2, ">h"), (4, ">i"), (8, ">q")):
            if -(1 << (8 * size - 1)) <= value < (1 << (8 * size - 1)):
                return struct.pack(fmt, value)
        raise ValueError(f"integer {value} does not fit 64 bits")
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"cannot encode {type(value).__name__} as TLV")


def tlv(kind: int, ident: int, value: bytes) -> bytes:
    """One TLV record: type byte, identifier (8 or 16 bits), length, value."""
    if not 0 <= ident <= 0xFFFF:
        raise ValueError("identifier out of range")
    type_byte = kind << 6
    head = b""
    if ident > 0xFF:
        type_byte |= 0x20
        head += struct.pack(">H", ident)
    else:
        head += bytes([ident])
    n = len(value)
    if n < 8:
        type_byte |= n
    elif n <= 0xFF:
        type_byte |= 0x08
        head += bytes([n])
    elif n <= 0xFFFF:
        type_byte |= 0x10
        head += struct.pack(">H", n)
    elif n <= 0xFFFFFF:
        type_byte |= 0x18
        head += struct.pack(">I", n)[1:]
    else:
        raise ValueError("TLV value too long")
    return bytes([type_byte]) + head + value


def resource(rid: int, value) -> bytes:
    """A single-instance resource with its value."""
    return tlv(RESOURCE, rid, encode_value(value))


def multi_resource(rid: int, values: dict[int, object]) -> bytes:
    """A multiple-instance resource: ``{resource_instance_id: value}``."""
    body = b"".join(tlv(RESOURCE_INSTANCE, riid, encode_value(v)) for riid, v in values.items())
    return tlv(MULTIPLE_RESOURCE, rid, body)


def instance(iid: int, resources: dict[int, object]) -> bytes:
    """An object instance; a ``dict`` value becomes a multiple-instance resource."""
    return tlv(OBJECT_INSTANCE, iid, encode_resources(resources))


def encode_resources(resources: dict[int, object]) -> bytes:
    """The concatenated resources of one instance (the payload of an instance-level write)."""
    out = b""
    for rid, value in resources.items():
        out += multi_resource(rid, value) if isinstance(value, dict) else resource(rid, value)
    return out


@dataclass
class Tlv:
    """One decoded TLV record."""

    kind: int
    ident: int
    value: bytes
    children: list["Tlv"] = field(default_factory=list)

    def as_int(self) -> int:
        """The value as a signed big-endian integer."""
        return int.from_bytes(self.value, "big", signed=True)

    def as_bool(self) -> bool:
        """The value as a boolean."""
        return self.value == b"\x01"

    def as_str(self) -> str:
        """The value as UTF-8 text."""
        return self.value.decode("utf-8")


def decode(data: bytes) -> list[Tlv]:
    """Decodes a sequence of TLV records (recursively for containers)."""
    out = []
    pos = 0
    while pos < len(data):
        type_byte = data[pos]
        pos += 1
        kind = type_byte >> 6
        if type_byte & 0x20:
            ident = struct.unpack_from(">H", data, pos)[0]
            pos += 2
        else:
            ident = data[pos]
            pos += 1
        length_type = (type_byte >> 3) & 0x3
        if length_type == 0:
            n = type_byte & 0x7
        else:
            n = int.from_bytes(data[pos:pos + length_type], "big")
            pos += length_type
        if pos + n > len(data):
            raise ValueError("truncated TLV")
        value = bytes(data[pos:pos + n])
        pos += n
        children = decode(value) if kind in (OBJECT_INSTANCE, MULTIPLE_RESOURCE) else []
        out.append(Tlv(kind, ident, value, children))
    return out


def decode_instances(data: bytes) -> dict[int, dict[int, object]]:
    """Decodes an object-level payload into ``{iid: {rid: bytes | {riid: bytes}}}``.

    Values stay raw ``bytes`` (the type is known only to the caller). A payload of bare
    resources (an instance-level read) is returned under the key ``None``.
    """
    result: dict = {}
    for record in decode(data):
        if record.kind == OBJECT_INSTANCE:
            result[record.ident] = _resources(record.children)
        else:
            result.setdefault(None, {}).update(_resources([record]))
    return result


def _resources(records: list[Tlv]) -> dict[int, object]:
    res: dict[int, object] = {}
    for r in records:
        if r.kind == MULTIPLE_RESOURCE:
            res[r.ident] = {c.ident: c.value for c in r.children}
        else:
            res[r.ident] = r.value
    return res


def int_value(raw: bytes) -> int:
    """A raw TLV integer value as ``int``."""
    return int.from_bytes(raw, "big", signed=True)


# ----- the LwM2M instances the Bootstrap Server writes ------------------------------------------

SECURITY_MODES = {"psk": 0, "rpk": 1, "cert": 2, "nosec": 3}


def security_instance(iid: int, uri: str, ssid: int, *, bootstrap: bool = False,
                      mode: int = 3, identity: bytes = b"", server_key: bytes = b"",
                      secret_key: bytes = b"", certificate_usage: int | None = None,
                      matching_type: int | None = None) -> bytes:
    """A Security (/0) instance: URI, Bootstrap-Server flag, mode (0 PSK, 1 RPK, 2 certificate,
    3 NoSec), /0/x/3 identity (PSK identity, own SubjectPublicKeyInfo DER, own certificate
    DER), /0/x/4 server key (server SubjectPublicKeyInfo or certificate / trust anchor DER),
    /0/x/5 secret key (PSK, own PKCS#8 DER), (servers) SSID and, when given, /0/x/13 Matching
    Type and /0/x/15 Certificate Usage."""
    res: dict[int, object] = {0: uri, 1: bootstrap, 2: mode, 3: identity, 4: server_key,
                              5: secret_key}
    if not bootstrap:
        res[10] = ssid
    if matching_type is not None:
        res[13] = matching_type
    if certificate_usage is not None:
        res[15] = certificate_usage
    return instance(iid, res)


def server_instance(iid: int, ssid: int, lifetime: int, *, binding: str = "U",
                    notification_storing: bool = False) -> bytes:
    """A Server (/1) instance: SSID, lifetime, notification storing, binding."""
    return instance(iid, {0: ssid, 1: lifetime, 6: notification_storing, 7: binding})


def acl_instance(iid: int, object_id: int, instance_id: int, acl: dict[int, int],
                 owner: int) -> bytes:
    """An Access Control (/2) instance: target object, target instance, ACL, owner."""
    return instance(iid, {0: object_id, 1: instance_id, 2: acl, 3: owner})
