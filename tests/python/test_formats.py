"""Data formats of Bootstrap-Write (issue 14), over real UDP on 127.0.0.1: the aiocoap test
Bootstrap-Server writes the configuration in SenML JSON (content format 110) built by
Python's ``json`` module, or in SenML CBOR (112) or LwM2M CBOR (11544) built by ``cbor2``, and
the device registers with what it wrote.

Interop quirks these tests pin down (the library's reader, src/codec/senml_json.rs):
- base names: Leshan and Anjay put ``bn`` = ``/O/I/`` in an instance's first record and
  relative ``n`` after it; other servers write absolute names and no ``bn``. Both are the
  same write; a ``bn`` stays in force until the next one (RFC 8428 §4.5.1).
- ``vd``: RFC 8428 says base64url without padding; some servers send classic base64 with
  ``=``. Both are read; mixing the two alphabets in one value is refused.
- ``t``/``bt`` (times) may be present in writes and are ignored.
- SenML CBOR: ``cbor2`` with ``canonical=True`` writes floats in half precision where exact
  (``t: 0.5`` is ``f9 3800``); canonical map keys put the negative labels (``bn`` -2) after
  the positive ones, so ``bn`` may come after ``n`` inside one record, which RFC 8428 allows
  (a base field applies to its own record). ``vlo`` has no integer label: LwM2M writes the
  text label ``"vlo"``.
- LwM2M CBOR: paths are absolute from the Object ID whatever the request path; a key may be
  one ID or an array of IDs (cbor2: a tuple), and servers mix both in one payload.
"""

from __future__ import annotations

import json

import cbor2

from lwm2m_bootstrap import EventKind, MemoryStorage
from lwbs_testservers import bootstrap_server as bss
from lwbs_testservers import senml

TIMEOUT = 60.0
LIFETIME = 3600
SENML_JSON = senml.CONTENT_FORMAT_SENML_JSON
SENML_CBOR = senml.CONTENT_FORMAT_SENML_CBOR
LWM2M_CBOR = senml.CONTENT_FORMAT_LWM2M_CBOR


def codes(bs):
    bs.wait_done(TIMEOUT)
    return [(s.operation.label(), s.code) for s in bs.steps]


def senml_write(path, *record_lists):
    return bss.write(path, senml.payload(*record_lists), SENML_JSON)


def bootstrap(make_client, bootstrap_server_factory, ops, endpoint):
    bs = bootstrap_server_factory(scenario=ops)
    storage = MemoryStorage()
    client = make_client(endpoint, storage=storage)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    client.start()
    return bs, client, storage


def test_a_bootstrap_server_writing_only_senml_json(make_client, bootstrap_server_factory,
                                                    dm_server):
    """/0 and /1 written in SenML JSON with base names; the device registers to the
    server they name, with the lifetime they set."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    ops = [bss.delete("/"),
           senml_write("/0", senml.security_records(1, dm_uri, 7)),
           senml_write("/1", senml.server_records(0, 7, LIFETIME)),
           bss.finish()]
    bs, client, storage = bootstrap(make_client, bootstrap_server_factory, ops,
                                    "urn:dev:senml-json")
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=7)
    assert codes(bs) == [("DELETE /", "2.02"), ("WRITE /0", "2.04"), ("WRITE /1", "2.04"),
                         ("FINISH", "2.04")]
    assert client.servers == {7: {"uri": dm_uri, "lifetime_s": LIFETIME}}
    assert dm_server.registrations["/rd/1"]["ep"] == "urn:dev:senml-json"
    assert storage.saves == 1


def test_absolute_names_times_and_padded_base64_at_instance_and_resource_level(
        make_client, bootstrap_server_factory, dm_server):
    """Absolute names without ``bn`` at /0/1, a ``t`` field, ``vd`` in padded classic
    base64, then one resource rewritten at /1/0/1: the last write's lifetime counts."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    security = senml.security_records(1, dm_uri, 3, full_names=True)
    for record in security:
        record["t"] = 0
    server_key = next(r for r in security if r["n"] == "/0/1/4")
    server_key["vd"] = "AAECAw=="                         # classic base64, padded
    server = senml.server_records(0, 3, 600, full_names=True)
    lifetime = [{"bn": "/1/0/", "n": "1", "v": LIFETIME}]
    ops = [senml_write("/0/1", security), senml_write("/1/0", server),
           senml_write("/1/0/1", lifetime), bss.finish()]
    bs, client, _ = bootstrap(make_client, bootstrap_server_factory, ops, "urn:dev:senml-abs")
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=3)
    assert [c for _, c in codes(bs)] == ["2.04", "2.04", "2.04", "2.04"]
    assert client.servers == {3: {"uri": dm_uri, "lifetime_s": LIFETIME}}


def test_inconsistent_senml_json_is_refused_with_4_00_and_changes_nothing(
        make_client, bootstrap_server_factory, dm_server):
    """Each bad write gets 4.00 and stages nothing (the Discover after them lists no
    instance they named); the good writes after them bootstrap the device."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    good_security = senml.security_records(1, dm_uri, 1)
    bad = [
        # A record outside the target path (/1/0/1 in a write of /0).
        senml.payload(senml.security_records(5, dm_uri, 2), [{"n": "/1/0/1", "v": 60}]),
        # The same resource twice.
        senml.payload(senml.security_records(6, dm_uri, 2), [{"n": "/0/6/0", "vs": "x"}]),
        # A string for the boolean /0/x/1.
        json.dumps([{"bn": "/0/7/", "n": "0", "vs": dm_uri}, {"n": "1", "vs": "false"}]).encode(),
        # Truncated JSON and trailing bytes.
        senml.payload(senml.security_records(8, dm_uri, 2))[:-3],
        senml.payload(senml.security_records(9, dm_uri, 2)) + b"[]",
    ]
    ops = [bss.write("/0", payload, SENML_JSON) for payload in bad]
    ops += [bss.discover("/0"), senml_write("/0", good_security),
            senml_write("/1", senml.server_records(0, 1, LIFETIME)), bss.finish()]
    bs, client, _ = bootstrap(make_client, bootstrap_server_factory, ops, "urn:dev:senml-bad")
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=1)
    steps = codes(bs)
    assert [c for _, c in steps[:len(bad)]] == ["4.00"] * len(bad)
    assert steps[len(bad):] == [("DISCOVER /0", "2.05"), ("WRITE /0", "2.04"),
                                ("WRITE /1", "2.04"), ("FINISH", "2.04")]
    links = bs.step("DISCOVER /0").payload.decode()
    assert not any(f"</0/{iid}>" in links for iid in (5, 6, 7, 8, 9)), links
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": LIFETIME}}


def test_bootstrap_read_in_senml_json_decoded_by_python(make_client, bootstrap_server_factory,
                                                        dm_server):
    """Bootstrap-Read /1 with Accept: 110 answers SenML JSON that Python's ``json`` reads back
    to what was written (base name, relative names, ``v``/``vb``/``vs``); an Accept the
    library cannot write is 4.06."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    ops = [senml_write("/0", senml.security_records(1, dm_uri, 4)),
           senml_write("/1", senml.server_records(0, 4, LIFETIME, binding="UQ")),
           bss.read("/1", SENML_JSON), bss.read("/1/0", 11543), bss.finish()]
    bs, client, _ = bootstrap(make_client, bootstrap_server_factory, ops, "urn:dev:senml-read")
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=4)
    assert [c for _, c in codes(bs)] == ["2.04", "2.04", "2.05", "4.06", "2.04"]
    step = bs.step("READ /1")
    assert step.content_format == SENML_JSON
    records = json.loads(step.payload)
    assert records[0]["bn"] == "/1/0/"
    values = {r["n"]: r.get("v", r.get("vb", r.get("vs"))) for r in records}
    assert values == {"0": 4, "1": LIFETIME, "6": False, "7": "UQ"}


def test_a_bootstrap_server_writing_only_senml_cbor(make_client, bootstrap_server_factory,
                                                    dm_server):
    """/0 and /1 in SenML CBOR from ``cbor2`` (canonical: half floats, sorted keys), with a
    float time and an object link; then Bootstrap-Read /1 with Accept: 112, which ``cbor2``
    decodes to what was written."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    security = senml.security_records(2, dm_uri, 9)
    security[0]["t"] = 0.5
    security.append({"n": "17", "vlo": "21:0"})
    ops = [bss.write("/0", senml.cbor_payload(security), SENML_CBOR),
           bss.write("/1", senml.cbor_payload(senml.server_records(0, 9, LIFETIME)), SENML_CBOR),
           bss.read("/1", SENML_CBOR), bss.finish()]
    bs, client, storage = bootstrap(make_client, bootstrap_server_factory, ops,
                                    "urn:dev:senml-cbor")
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=9)
    assert [c for _, c in codes(bs)] == ["2.04", "2.04", "2.05", "2.04"]
    assert client.servers == {9: {"uri": dm_uri, "lifetime_s": LIFETIME}}
    assert dm_server.registrations["/rd/1"]["ep"] == "urn:dev:senml-cbor"
    step = bs.step("READ /1")
    assert step.content_format == SENML_CBOR
    records = senml.from_cbor(step.payload)
    assert records[0]["bn"] == "/1/0/"
    values = {r["n"]: r.get("v", r.get("vb", r.get("vs"))) for r in records}
    assert values == {"0": 9, "1": LIFETIME, "6": False, "7": "U"}
    assert storage.saves == 1


def test_inconsistent_senml_cbor_is_refused_with_4_00(make_client, bootstrap_server_factory,
                                                      dm_server):
    """Truncated CBOR, trailing bytes, a tag, an indefinite-length (chunked) string and a
    text ``vd`` each get 4.00 and stage nothing; the correct write after them bootstraps."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    good = senml.cbor_payload(senml.security_records(1, dm_uri, 1))
    bad = [good[:-2], good + b"\x00",
           bytes([0x81, 0xA2, 0x00, 0x66]) + b"/0/3/0" + bytes([0x03, 0xC0, 0x60]),
           bytes([0x81, 0xA2, 0x00, 0x66]) + b"/0/3/0" + bytes([0x03, 0x7F, 0x61, 0x61, 0xFF]),
           cbor2.dumps([{0: "/0/3/3", 8: "aWQ"}])]
    ops = [bss.write("/0", payload, SENML_CBOR) for payload in bad]
    ops += [bss.discover("/0"), bss.write("/0", good, SENML_CBOR),
            bss.write("/1", senml.cbor_payload(senml.server_records(0, 1, LIFETIME)), SENML_CBOR),
            bss.finish()]
    bs, client, _ = bootstrap(make_client, bootstrap_server_factory, ops, "urn:dev:cbor-bad")
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=1)
    steps = codes(bs)
    assert [c for _, c in steps[:len(bad)]] == ["4.00"] * len(bad)
    assert "</0/3>" not in bs.step("DISCOVER /0").payload.decode()
    assert [c for _, c in steps[len(bad):]] == ["2.05", "2.04", "2.04", "2.04"]


def test_a_bootstrap_server_writing_only_lwm2m_cbor(make_client, bootstrap_server_factory,
                                                    dm_server):
    """/0 in nested maps and /1 with array keys ``{(1, 0): {...}}``, an object link and a
    multiple resource; Bootstrap-Read /1 with Accept: 11544 reads back through ``cbor2``."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    security = senml.security_resources(dm_uri, 5)
    security[16] = {0: 49320}
    security[17] = (21, 0)
    server = {0: 5, 1: LIFETIME, 6: False, 7: "U"}
    ops = [bss.write("/0", senml.lwm2m_cbor_payload(0, {3: security}), LWM2M_CBOR),
           bss.write("/1/0", senml.lwm2m_cbor_payload(1, {0: server}, array_keys=True),
                     LWM2M_CBOR),
           bss.read("/1", LWM2M_CBOR), bss.read("/1", 112), bss.finish()]
    bs, client, storage = bootstrap(make_client, bootstrap_server_factory, ops,
                                    "urn:dev:lwm2m-cbor")
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=5)
    assert [c for _, c in codes(bs)] == ["2.04", "2.04", "2.05", "2.05", "2.04"]
    assert client.servers == {5: {"uri": dm_uri, "lifetime_s": LIFETIME}}
    read = bs.step("READ /1")
    assert read.content_format == LWM2M_CBOR
    assert cbor2.loads(read.payload) == {1: {0: server}}
    assert storage.saves == 1


def test_inconsistent_lwm2m_cbor_is_refused_with_4_00(make_client, bootstrap_server_factory,
                                                      dm_server):
    """A path outside the target, a text key, a fifth path element, ``null`` and a string for
    an integer resource each get 4.00 and stage nothing."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    good = senml.lwm2m_cbor_payload(0, {1: senml.security_resources(dm_uri, 1)})
    bad = [cbor2.dumps({1: {0: {1: 60}}}),                      # /1 in a write of /0
           cbor2.dumps({"0": {4: {0: dm_uri}}}),
           cbor2.dumps({(0, 4, 0, 0, 0): dm_uri}),
           cbor2.dumps({0: {4: {0: None}}}),
           cbor2.dumps({0: {4: {0: dm_uri, 2: "3"}}})]
    ops = [bss.write("/0", payload, LWM2M_CBOR) for payload in bad]
    ops += [bss.discover("/0"), bss.write("/0", good, LWM2M_CBOR),
            bss.write("/1", senml.lwm2m_cbor_payload(1, {0: {0: 1, 1: LIFETIME, 6: False, 7: "U"}}),
                      LWM2M_CBOR),
            bss.finish()]
    bs, client, _ = bootstrap(make_client, bootstrap_server_factory, ops, "urn:dev:lcbor-bad")
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=1)
    steps = codes(bs)
    assert [c for _, c in steps[:len(bad)]] == ["4.00"] * len(bad)
    assert "</0/4>" not in bs.step("DISCOVER /0").payload.decode()
    assert [c for _, c in steps[len(bad):]] == ["2.05", "2.04", "2.04", "2.04"]


def test_the_preferred_format_is_announced_in_pct_and_register_ct(
        make_client, bootstrap_server_factory, dm_server):
    """``preferred_format=SENML_CBOR``: the Bootstrap-Request carries ``pct=112`` and the
    Register payload's root link ``ct=112``; a format the library cannot write is refused
    when the client is made."""
    from lwm2m_bootstrap import ContentFormat, InvalidArgumentError
    import pytest
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    ops = [bss.write("/0", senml.cbor_payload(senml.security_records(1, dm_uri, 1)), SENML_CBOR),
           bss.write("/1", senml.cbor_payload(senml.server_records(0, 1, LIFETIME)), SENML_CBOR),
           bss.finish()]
    bs = bootstrap_server_factory(scenario=ops)
    client = make_client("urn:dev:pct", preferred_format=ContentFormat.SENML_CBOR)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=1)
    assert bs.requests[0]["query"] == ["ep=urn:dev:pct", "pct=112"]
    payload = dm_server.registrations["/rd/1"]["payload"]
    assert payload.startswith('</>;rt="oma.lwm2m";ct=112,'), payload
    for unsupported in (11543, 40, 1542, 70000):
        with pytest.raises(InvalidArgumentError):
            make_client("urn:dev:bad-pct", preferred_format=unsupported)


def test_a_bootstrap_pack_bootstraps_in_one_round_trip(make_client, bootstrap_server_factory,
                                                       dm_server):
    """``bootstrap_pack=True``: one ``GET /bspack?ep=`` with Accept: SenML CBOR, a 2.05 pack
    of /0 and /1 from ``cbor2``, applied as one Finish (saved once), then Register; no
    Bootstrap-Request is sent."""
    from lwm2m_bootstrap import ContentFormat
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    pack = senml.cbor_payload(senml.security_records(1, dm_uri, 6),
                              senml.server_records(0, 6, LIFETIME))
    bs = bootstrap_server_factory(scenario=[], pack=(SENML_CBOR, pack))
    storage = MemoryStorage()
    client = make_client("urn:dev:bspack", storage=storage, bootstrap_pack=True,
                         preferred_format=ContentFormat.SENML_CBOR)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=6)
    assert bs.pack_requests == [{"query": ["ep=urn:dev:bspack"], "accept": SENML_CBOR}]
    assert bs.requests == [], "no classic Bootstrap-Request"
    assert client.servers == {6: {"uri": dm_uri, "lifetime_s": LIFETIME}}
    assert storage.saves == 1


def test_a_server_without_bootstrap_pack_is_asked_the_classic_way(
        make_client, bootstrap_server_factory, dm_server):
    """The aiocoap server has no ``/bspack`` (4.04): the client falls back to
    ``POST /bs?ep=&pct=`` on the same port and bootstraps from the writes."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    ops = [senml_write("/0", senml.security_records(1, dm_uri, 1)),
           senml_write("/1", senml.server_records(0, 1, LIFETIME)), bss.finish()]
    bs = bootstrap_server_factory(scenario=ops)
    client = make_client("urn:dev:bspack-fallback", bootstrap_pack=True)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=1)
    assert bs.requests[0]["query"] == ["ep=urn:dev:bspack-fallback", "pct=11542"]
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": LIFETIME}}
