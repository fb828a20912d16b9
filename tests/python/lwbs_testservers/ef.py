"""EF LwM2M_Bootstrap (LwM2M Core 1.1 Appendix G.3.3) built in Python, for smartcard tests.

``bootstrap_data ::= number_of_objects:u16 size:u16 { object_id:u16 version length:u16 TLV }*``,
big-endian, ``version`` one byte ``00`` (implicit) or two bytes MAJOR MINOR; ``size`` is the
byte length of the object collection. Written independently of the library's ``build_ef``.
"""

from __future__ import annotations

from . import tlv


def build_ef(objects: list[tuple[int, bytes]], *, version: tuple[int, int] | None = None,
             padding: int = 0) -> bytes:
    """The EF for ``[(object_id, OMA-TLV instances)]``; ``padding`` 0xFF bytes appended."""
    body = b""
    for object_id, instances in objects:
        ver = bytes([0]) if version is None else bytes(version)
        body += object_id.to_bytes(2, "big") + ver + len(instances).to_bytes(2, "big") + instances
    return len(objects).to_bytes(2, "big") + len(body).to_bytes(2, "big") + body + b"\xff" * padding


def server_ef(server_uri: str, ssid: int = 1, lifetime: int = 300,
              bootstrap_uri: str | None = None) -> bytes:
    """A card provisioning one NoSec LwM2M Server (/0/1, /1/0) and optionally a
    Bootstrap-Server account (/0/0)."""
    security = tlv.security_instance(1, server_uri, ssid)
    if bootstrap_uri is not None:
        security = tlv.security_instance(0, bootstrap_uri, 0, bootstrap=True) + security
    return build_ef([(0, security), (1, tlv.server_instance(0, ssid, lifetime))], padding=8)
