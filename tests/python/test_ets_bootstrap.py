"""OMA ETS bootstrap cases (the LwM2M Enabler Test Specification) over real UDP on 127.0.0.1: the C library
(through the ctypes wrapper) against the aiocoap Bootstrap Server and DM server, and against
an independent libcoap resource directory."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from lwm2m_bootstrap import (BootstrapFailure, EventKind, MemoryStorage, State, VirtualClock)
from lwbs_testservers import bootstrap_server as bss
from lwbs_testservers import tlv
from lwbs_testservers.links import parse_links

TIMEOUT = 60.0          # generous: a loaded 2-core machine
LIFETIME = 300
ENDPOINT = "urn:dev:ets-1"


def start_bootstrap(make_client, bs, **kwargs):
    """A client with the factory BS account pointing at ``bs`` (hold-off 0), started."""
    client = make_client(ENDPOINT, **kwargs)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    assert client.has_bootstrap_server and client.servers == {}
    client.start()
    return client


def codes(bs):
    """The (operation, response code) list, once the server ran its whole script (the client
    may report success before the server thread has recorded the last response)."""
    bs.wait_done(TIMEOUT)
    return [(s.operation.label(), s.code) for s in bs.steps]


def decode_server(raw: dict) -> dict:
    """A decoded /1 instance with its values typed."""
    return {0: tlv.int_value(raw[0]), 1: tlv.int_value(raw[1]), 6: raw[6] == b"\x01",
            7: raw[7].decode()}


def assert_registered(client, dm, dm_uri, lifetime=LIFETIME):
    event = client.wait_event(EventKind.REGISTERED, TIMEOUT)
    assert (event.ssid, event.location) == (1, "/rd/1")
    assert client.state == State.REGISTERED
    assert client.registration_location(1) == "/rd/1"
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": lifetime}}
    reg = dm.registrations["/rd/1"]
    assert reg["ep"] == ENDPOINT
    assert (reg["query"]["lt"], reg["query"]["lwm2m"], reg["query"]["b"]) == (
        str(lifetime), "1.1", "U")
    targets = parse_links(reg["payload"])
    assert "/1/0" in targets and "/3/0" in targets
    assert not any(t.startswith("/0") for t in targets), "Security is never registered"


def test_lwm2m_1_1_int_0_client_initiated_bootstrap(make_client, bootstrap_server_factory,
                                                    dm_server):
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0", lifetime=LIFETIME)
    storage = MemoryStorage()
    clock = VirtualClock()
    client = start_bootstrap(make_client, bs, storage=storage, clock=clock)
    assert_registered(client, dm_server, dm_uri)

    # Step 1: POST /bs?ep=..&pct=11542 answered 2.04.
    assert bs.requests[0]["ep"] == ENDPOINT
    assert bs.requests[0]["query"] == [f"ep={ENDPOINT}", "pct=11542"]
    # Steps 2-4: Writes 2.04, Discover 2.05, Finish 2.04.
    assert codes(bs) == [("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("DISCOVER /", "2.05"),
                         ("FINISH", "2.04")]
    discover = bs.step("DISCOVER /")
    assert discover.content_format == 40
    links = parse_links(discover.payload)   # compare the link set, not the bytes
    assert links["/"] == {"lwm2m": "1.1"}
    assert links["/0/0"] == {"uri": f"coap://127.0.0.1:{bs.port}"}, "BS account: no ssid"
    assert links["/0/1"] == {"ssid": "1", "uri": dm_uri}
    assert links["/1/0"] == {"ssid": "1"}
    assert "/3/0" in links

    kinds = client.event_kinds()
    assert kinds[:4] == [EventKind.BOOTSTRAP_STARTED, EventKind.BOOTSTRAP_FINISHED,
                         EventKind.CONFIGURATION_CHANGED, EventKind.REGISTERED]
    finished = next(e for e in client.events if e.kind == EventKind.BOOTSTRAP_FINISHED)
    assert finished.accounts == 1
    assert storage.saves >= 1 and storage.data, "the configuration was persisted"

    # The Update comes before the lifetime runs out (jump the client's clock).
    clock.advance(LIFETIME * 1000)
    client.wait_event(EventKind.UPDATED, TIMEOUT, ssid=1)
    assert dm_server.registrations["/rd/1"]["updates"] >= 1

    # De-register on stop.
    client.stop()
    client.wait_event(EventKind.STOPPED, TIMEOUT)
    assert EventKind.DEREGISTERED in client.event_kinds()
    assert dm_server.registrations == {}
    assert client.state == State.IDLE
    assert client.registration_location(1) is None
    assert client.transport.sockets == {}, "every connection closed"


def test_lwm2m_1_1_int_4_bootstrap_delete(make_client, bootstrap_server_factory, dm_server):
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int4", lifetime=LIFETIME)
    client = start_bootstrap(make_client, bs)
    assert_registered(client, dm_server, dm_uri)
    assert codes(bs) == [
        ("WRITE /0", "2.04"), ("WRITE /1", "2.04"),
        ("DISCOVER /", "2.05"), ("READ /1", "2.05"),
        ("DELETE /0", "2.02"), ("DELETE /1", "2.02"),
        ("DISCOVER /", "2.05"), ("READ /1", "2.05"),
        ("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("FINISH", "2.04")]
    bs_uri = f"coap://127.0.0.1:{bs.port}"
    # Before the Deletes: the new /1 instance is visible.
    before = parse_links(bs.step("DISCOVER /", 0).payload)
    assert before["/1/0"] == {"ssid": "1"} and before["/0/1"]["uri"] == dm_uri
    read = tlv.decode_instances(bs.step("READ /1", 0).payload)
    assert decode_server(read[0]) == {0: 1, 1: LIFETIME, 6: False, 7: "U"}
    # After the Deletes: /1 is gone and the BS account's Security instance is untouched.
    after = parse_links(bs.step("DISCOVER /", 1).payload)
    assert after["/0/0"] == {"uri": bs_uri}
    assert not [t for t in after if t.startswith("/1/") or t == "/0/1"], after
    assert tlv.decode_instances(bs.step("READ /1", 1).payload) == {}
    assert client.has_bootstrap_server


def test_lwm2m_1_1_int_8_bootstrap_read(make_client, bootstrap_server_factory, dm_server):
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int8", lifetime=LIFETIME)
    client = start_bootstrap(make_client, bs)
    assert_registered(client, dm_server, dm_uri)
    assert codes(bs) == [("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("WRITE /2", "2.04"),
                         ("READ /1", "2.05"), ("READ /2", "2.05"), ("FINISH", "2.04")]
    read1 = bs.step("READ /1")
    assert read1.content_format == tlv.CONTENT_FORMAT_TLV
    assert decode_server(tlv.decode_instances(read1.payload)[0]) == {
        0: 1, 1: LIFETIME, 6: False, 7: "U"}
    read2 = bs.step("READ /2")
    assert read2.content_format == tlv.CONTENT_FORMAT_TLV
    acl = tlv.decode_instances(read2.payload)
    assert list(acl) == [0]
    assert tlv.int_value(acl[0][0]) == 3          # target object
    assert tlv.int_value(acl[0][1]) == 0          # target instance
    assert {k: tlv.int_value(v) for k, v in acl[0][2].items()} == {0: 31}
    assert tlv.int_value(acl[0][3]) == 65535      # owner


def test_lwm2m_1_1_int_9_configuration_consistency(make_client, bootstrap_server_factory,
                                                   dm_server):
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    ops = [bss.write_text("/1/0/5", "86400"), bss.finish(), bss.read("/1"),
           *bss.standard_writes(dm_uri, 1, LIFETIME), bss.finish()]
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario=ops)
    storage = MemoryStorage()
    saves_at_refusal = []
    client = start_bootstrap(
        make_client, bs, storage=storage,
        on_event=lambda e: saves_at_refusal.append(storage.saves)
        if e.kind == EventKind.BOOTSTRAP_FINISH_REFUSED else None)
    assert_registered(client, dm_server, dm_uri)
    assert codes(bs) == [("WRITE /1/0/5", "2.04"), ("FINISH", "4.06"), ("READ /1", "2.05"),
                         ("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("FINISH", "2.04")]
    # The refused configuration stays staged for the rest of the session (the READ after the
    # 4.06 sees /1/0/5) and was never persisted.
    staged = tlv.decode_instances(bs.step("READ /1").payload)
    assert list(staged) == [0] and tlv.int_value(staged[0][5]) == 86400
    assert saves_at_refusal == [0]
    refused = next(e for e in client.events if e.kind == EventKind.BOOTSTRAP_FINISH_REFUSED)
    assert refused.accounts >= 1, "number of inconsistencies"
    kinds = client.event_kinds()
    assert kinds.index(EventKind.BOOTSTRAP_FINISH_REFUSED) < kinds.index(
        EventKind.BOOTSTRAP_FINISHED)
    assert EventKind.BOOTSTRAP_FAILED not in kinds


def exchange_lifetime_ms(ack_timeout_ms: int, max_retransmit: int) -> int:
    """RFC 7252 §4.8.2: MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY (= ACK_TIMEOUT)."""
    span = ack_timeout_ms * ((1 << max_retransmit) - 1) * 1.5
    return int(span) + 2 * 100_000 + ack_timeout_ms


def test_finish_timeout(make_client, bootstrap_server_factory):
    """No Finish within EXCHANGE_LIFETIME after the last operation: the bootstrap fails with
    FINISH_TIMEOUT and nothing of it is kept. The client's clock jumps instead of sleeping."""
    bs = bootstrap_server_factory(server_uri="coap://127.0.0.1:9", scenario="no-finish")
    clock = VirtualClock()
    storage = MemoryStorage()
    recv_times = []
    client = start_bootstrap(make_client, bs, clock=clock, storage=storage,
                             ack_timeout_ms=1000, max_retransmit=2)
    original_recv = client.recv

    def recording_recv(conn, data, now_ms=None):
        now = clock() if now_ms is None else now_ms
        recv_times.append(now)
        original_recv(conn, data, now)

    client.recv = recording_recv
    client.run_until(lambda: bs.done, TIMEOUT)
    assert codes(bs) == [("WRITE /0", "2.04"), ("WRITE /1", "2.04")]
    assert client.state == State.BOOTSTRAPPING

    lifetime = exchange_lifetime_ms(1000, 2)
    assert lifetime == 205_500
    deadline = client.tick(clock())
    assert deadline in {t + lifetime for t in recv_times}, (deadline, recv_times)

    client.tick(deadline - 1)
    assert client.state == State.BOOTSTRAPPING
    assert EventKind.BOOTSTRAP_FAILED not in client.event_kinds()

    client.tick(deadline)
    failed = [e for e in client.events if e.kind == EventKind.BOOTSTRAP_FAILED]
    assert len(failed) == 1 and failed[0].reason == BootstrapFailure.FINISH_TIMEOUT
    assert client.state == State.FAILED
    assert client.servers == {}, "the staged writes were rolled back"
    assert client.has_bootstrap_server
    assert storage.saves == 0
    assert client.transport.sockets == {}, "the bootstrap connection was closed"
    assert EventKind.BOOTSTRAP_FINISHED not in client.event_kinds()


def test_registration_after_bootstrap_with_coap_rd_openssl(make_client, bootstrap_server_factory,
                                                            coap_rd):
    """The BS provisions an independent libcoap RD; the client registers there. No
    De-register: coap-rd-openssl 4.3.1 aborts on it."""
    port, rd = coap_rd
    rd_uri = f"coap://127.0.0.1:{port}"
    bs = bootstrap_server_factory(server_uri=rd_uri, scenario="standard", lifetime=LIFETIME)
    client = start_bootstrap(make_client, bs)
    event = client.wait_event(EventKind.REGISTERED, TIMEOUT)
    assert codes(bs) == [("DISCOVER /", "2.05"), ("DELETE /0", "2.02"), ("DELETE /1", "2.02"),
                         ("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("FINISH", "2.04")]
    assert event.ssid == 1
    assert re.fullmatch(r"/rd/[^/]+", event.location), event.location
    assert client.registration_location(1) == event.location
    assert client.state == State.REGISTERED
    assert client.servers == {1: {"uri": rd_uri, "lifetime_s": LIFETIME}}
    assert rd.proc.poll() is None, "the RD is alive"
    # The RD lists the new registration resource (its own view, via aiocoap-client).
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([str(root / ".venv" / "bin" / "aiocoap-client"),
                          f"{rd_uri}/.well-known/core"], capture_output=True, text=True,
                         timeout=60)
    assert event.location in out.stdout, (out.stdout, out.stderr, rd.output())
    client.close()   # frees without deregistering
