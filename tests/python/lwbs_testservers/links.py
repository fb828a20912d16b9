"""A tolerant CoRE link-format (RFC 6690) parser for asserting Discover/Register payloads."""

from __future__ import annotations


def parse_links(text: str | bytes) -> dict[str, dict[str, str | None]]:
    """``'</>;lwm2m=1.1,</0/1>;ssid=1;uri="coap://h"'`` →
    ``{"/": {"lwm2m": "1.1"}, "/0/1": {"ssid": "1", "uri": "coap://h"}}``.

    A bare attribute (``lwm2m="1.0"`` before any link, the 1.0 Discover form) is stored under
    the target ``""``. Quotes around values are removed.
    """
    if isinstance(text, bytes):
        text = text.decode()
    links: dict[str, dict[str, str | None]] = {}
    for item in _split(text, ","):
        item = item.strip()
        if not item:
            continue
        parts = _split(item, ";")
        head = parts[0].strip()
        if head.startswith("<") and head.endswith(">"):
            target, attrs = head[1:-1], parts[1:]
        else:
            target, attrs = "", parts
        entry = links.setdefault(target, {})
        for attr in attrs:
            key, eq, value = attr.strip().partition("=")
            entry[key] = value.strip('"') if eq else None
    return links


def _split(text: str, sep: str) -> list[str]:
    """Splits on ``sep`` outside double quotes."""
    out, cur, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out
