"""The Bootstrap Sequence over real UDP on 127.0.0.1 (the OMA ETS
sequence cases): the C library through the ctypes wrapper against the aiocoap Bootstrap-Server and
DM server and the independent libcoap resource directory (``coap-rd-openssl``).

ETS 1.1-int-5 (server-initiated bootstrap through /1/x/9), 1.1-int-6 (the sequence: a valid
factory configuration means no Bootstrap-Request at all), 1.1-int-7 (fallback to bootstrap
after the factory server is unreachable), the LwM2M 1.0 push during the hold-off, the Client
Hold Off Time honoured, and a restart that comes back registered from the storage slots.
The demo's version of int-7 is in test_demo.py."""

from __future__ import annotations

import time

import pytest
from aiocoap.numbers.codes import Code

from conftest import free_udp_port
from lwm2m_bootstrap import (EventKind, FileStorage, MemoryStorage, RegistrationFailure, State,
                             StateReason, UdpTransport, VirtualClock, monotonic_ms)
from lwbs_testservers.links import parse_links

TIMEOUT = 60.0          # generous: a loaded 2-core machine

CON, ACK = 0, 2
POST, CHANGED = 0x02, 0x44


class StampedTransport(UdpTransport):
    """UDP transport that also records when (monotonic ms) each datagram was sent."""

    def __init__(self):
        super().__init__()
        self.stamps: list[tuple[int, int, bytes]] = []

    def send(self, conn: int, data: bytes) -> int:
        rc = super().send(conn, data)
        if rc == 0:
            self.stamps.append((monotonic_ms(), conn, bytes(data)))
        return rc


def header(data: bytes) -> tuple[int, int, int]:
    """(type, code, message ID) of a CoAP datagram."""
    return (data[0] >> 4) & 0x3, data[1], int.from_bytes(data[2:4], "big")


def is_bootstrap_request(data: bytes) -> bool:
    """A CON POST whose Uri-Path ends in ``bs`` (read through the options loosely: the only
    POST a client sends to the Bootstrap-Server)."""
    kind, code, _ = header(data)
    return kind == CON and code == POST and b"bs" in data and b"ep=" in data


def codes(bs):
    bs.wait_done(TIMEOUT)
    return [(s.operation.label(), s.code) for s in bs.steps]


def drive(client, seconds: float) -> None:
    """Runs the client for ``seconds`` of wall time."""
    end = time.monotonic() + seconds
    client.run_until(lambda: time.monotonic() >= end, seconds + 10)


def kinds(client, *wanted) -> list[EventKind]:
    return [k for k in client.event_kinds() if k in wanted]


def test_lwm2m_1_1_int_5_server_initiated_bootstrap(make_client, bootstrap_server_factory,
                                                     dm_server):
    """Registered with a factory server; the DM server executes /1/0/9: the client answers
    2.04 first, then sends the Bootstrap-Request, the BS writes (a new lifetime) and finishes
    (2.04). The server's security material did not change, so its session and registration
    are kept (session rules) and an Update carries the new lifetime."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0", lifetime=120)
    bs_uri = f"coap://127.0.0.1:{bs.port}"
    client = make_client("urn:dev:int5")
    client.provision_bootstrap_server(bs_uri)
    client.provision_server(1, dm_uri, lifetime_s=300)
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT, location="/rd/1")
    assert bs.requests == [] and client.state_reason == StateReason.FACTORY_CONFIGURATION
    sent_before = len(client.transport.sent)

    execute = dm_server.execute("/rd/1", "/1/0/9")
    client.run_until(lambda: client.state == State.BOOTSTRAPPING, TIMEOUT)
    assert client.state_reason == StateReason.SERVER_TRIGGER
    client.wait_event(EventKind.BOOTSTRAP_FINISHED, TIMEOUT)
    client.wait_event(EventKind.UPDATED, TIMEOUT)
    assert execute.result(TIMEOUT).code == Code.CHANGED

    # What the client sent after the Execute: its 2.04 (piggy-backed ACK on the DM
    # connection) before the Bootstrap-Request (on a connection to the BS).
    after = client.transport.sent[sent_before:]
    ack = next(i for i, (c, d) in enumerate(after)
               if client.transport.uris[c] == dm_uri and header(d)[:2] == (ACK, CHANGED))
    request = next(i for i, (c, d) in enumerate(after)
                   if client.transport.uris[c] == bs_uri and is_bootstrap_request(d))
    assert ack < request, "2.04 to /1/x/9 first, then the Bootstrap-Request"
    assert [r["query"] for r in bs.requests] == [["ep=urn:dev:int5", "pct=11542"]]
    assert codes(bs) == [("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("DISCOVER /", "2.05"),
                         ("FINISH", "2.04")]
    assert kinds(client, EventKind.REGISTERED, EventKind.BOOTSTRAP_STARTED,
                 EventKind.BOOTSTRAP_FINISHED, EventKind.UPDATED) == [
        EventKind.REGISTERED, EventKind.BOOTSTRAP_STARTED, EventKind.BOOTSTRAP_FINISHED,
        EventKind.UPDATED]
    assert EventKind.DEREGISTERED not in client.event_kinds(), "no De-register before"
    assert (client.state, client.state_reason) == (State.REGISTERED, StateReason.BOOTSTRAPPED)
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": 120}}
    assert list(dm_server.registrations) == ["/rd/1"], "no new Register"
    assert dm_server.registrations["/rd/1"]["update_queries"][-1]["lt"] == "120"


def test_lwm2m_1_1_int_6_bootstrap_sequence(make_client, bootstrap_server_factory, dm_server,
                                           coap_rd):
    """1. A valid factory configuration: the client registers and never sends a
    Bootstrap-Request. 2. Without a server instance: it bootstraps first (here to the libcoap
    resource directory), then registers."""
    rd_port, _ = coap_rd
    rd_uri = f"coap://127.0.0.1:{rd_port}"
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=rd_uri, scenario="standard", lifetime=600)
    bs_uri = f"coap://127.0.0.1:{bs.port}"

    factory = make_client("urn:dev:int6-factory")
    factory.provision_bootstrap_server(bs_uri)
    factory.provision_server(1, dm_uri, lifetime_s=300)
    factory.start()
    assert (factory.state, factory.state_reason) == (State.REGISTERING,
                                                     StateReason.FACTORY_CONFIGURATION)
    factory.wait_event(EventKind.REGISTERED, TIMEOUT, location="/rd/1")
    drive(factory, 1.0)
    assert bs.requests == [], "a valid factory configuration: no Bootstrap-Request at all"
    assert EventKind.BOOTSTRAP_STARTED not in factory.event_kinds()
    assert not any(factory.transport.uris[c] == bs_uri for c, _ in factory.transport.sent)
    assert dm_server.registrations["/rd/1"]["ep"] == "urn:dev:int6-factory"
    assert factory.state == State.REGISTERED

    bare = make_client("urn:dev:int6-bare")
    bare.provision_bootstrap_server(bs_uri)
    bare.start()
    assert (bare.state, bare.state_reason) == (State.BOOTSTRAPPING, StateReason.NO_SERVER_ACCOUNT)
    registered = bare.wait_event(EventKind.REGISTERED, TIMEOUT)
    assert kinds(bare, EventKind.BOOTSTRAP_STARTED, EventKind.BOOTSTRAP_FINISHED,
                 EventKind.REGISTERED) == [EventKind.BOOTSTRAP_STARTED,
                                           EventKind.BOOTSTRAP_FINISHED, EventKind.REGISTERED]
    assert registered.location.startswith("/rd/") and len(registered.location) > 4
    assert [r["ep"] for r in bs.requests] == ["urn:dev:int6-bare"]
    assert bare.servers == {1: {"uri": rd_uri, "lifetime_s": 600}}
    assert (bare.state, bare.state_reason) == (State.REGISTERED, StateReason.BOOTSTRAPPED)


def test_lwm2m_1_1_int_7_fallback_to_bootstrap(make_client, bootstrap_server_factory,
                                               dm_server):
    """The factory server's port has no listener: every Register gets an ICMP port
    unreachable (reported with lwbs_client_conn_error). With Retry Count 3 and Retry Timer
    1 s the attempts go at 0, +1 s, +2 s after the failures, then the hold-off (1 s), the
    bootstrap, and the registration with the server the BS wrote."""
    dead_uri = f"coap://127.0.0.1:{free_udp_port()}"
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0")
    bs_uri = f"coap://127.0.0.1:{bs.port}"
    stamps: list[tuple[EventKind, int]] = []
    transport = StampedTransport()
    client = make_client("urn:dev:int7", transport=transport, report_transport_errors=True,
                         registration_retry_count=3, registration_retry_timer_s=1,
                         registration_sequence_retry_count=1,
                         on_event=lambda e: stamps.append((e.kind, monotonic_ms())))
    client.provision_bootstrap_server(bs_uri, hold_off_s=1)
    client.provision_server(1, dead_uri, lifetime_s=300)
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT)

    failures = [e for e in client.events if e.kind == EventKind.REGISTRATION_FAILED]
    assert [(e.ssid, e.reason, e.detail) for e in failures] == [
        (1, RegistrationFailure.TRANSPORT, "transport error")] * 3
    registers = [t for t, c, _ in transport.stamps if transport.uris[c] == dead_uri]
    assert len(registers) == 3, "one datagram per attempt: no CoAP retransmission after ICMP"
    # Stamped in the event callback, a few ms at most after the library's `now` of the failure.
    failed_at = [t for k, t in stamps if k == EventKind.REGISTRATION_FAILED]
    slack = 10
    assert 1000 - slack <= registers[1] - failed_at[0] < 1800, "Retry Timer x 2^0"
    assert 2000 - slack <= registers[2] - failed_at[1] < 2800, "Retry Timer x 2^1"
    request_at = next(t for t, c, d in transport.stamps if is_bootstrap_request(d))
    assert 1000 - slack <= request_at - failed_at[2] < 1800, "Client Hold Off Time"
    assert kinds(client, EventKind.REGISTRATION_FAILED, EventKind.BOOTSTRAP_STARTED,
                 EventKind.BOOTSTRAP_FINISHED, EventKind.REGISTERED) == [
        *[EventKind.REGISTRATION_FAILED] * 3, EventKind.BOOTSTRAP_STARTED,
        EventKind.BOOTSTRAP_FINISHED, EventKind.REGISTERED]
    assert [r["ep"] for r in bs.requests] == ["urn:dev:int7"]
    assert codes(bs)[-1] == ("FINISH", "2.04")
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": 300}}
    assert dm_server.registrations["/rd/1"]["ep"] == "urn:dev:int7"
    assert (client.state, client.state_reason) == (State.REGISTERED, StateReason.BOOTSTRAPPED)


def test_lwm2m_1_0_server_push(make_client, bootstrap_server_factory, dm_server):
    """During the hold-off the client listens on a connection to the Bootstrap-Server's URI.
    The BS writes and finishes without any Bootstrap-Request (1.0 server-initiated), from its
    own address and port; the client accepts, registers, and the hold-off is over: no
    Bootstrap-Request follows. The same push from another port never reaches the client."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0", lifetime=240)
    stranger = bootstrap_server_factory(server_uri="coap://127.0.0.1:9", scenario="int0",
                                        operation_timeout=2.0)
    bs_uri = f"coap://127.0.0.1:{bs.port}"
    clock = VirtualClock()
    client = make_client("urn:dev:push", clock=clock)
    client.provision_bootstrap_server(bs_uri, hold_off_s=60)
    client.start()
    assert (client.state, client.state_reason) == (State.HOLD_OFF, StateReason.NO_SERVER_ACCOUNT)
    [(conn, uri)] = client.transport.opened
    assert uri == bs_uri and client.transport.sent == []
    sock = client.transport.sockets[conn]
    assert sock.getpeername()[1] == bs.port
    host, port = sock.getsockname()

    stranger.push(host, port)
    steps = stranger.wait_done(TIMEOUT)
    drive(client, 0.2)
    # The kernel answers ICMP port unreachable (aiocoap: NetworkError) or drops it.
    assert steps and all(s.code in ("timeout", "error:NetworkError") for s in steps), \
        "a connected socket only hears the Bootstrap-Server"
    assert client.state == State.HOLD_OFF and EventKind.BOOTSTRAP_STARTED not in client.event_kinds()

    bs.push(host, port)
    client.run_until(lambda: client.state == State.BOOTSTRAPPING, TIMEOUT)
    assert client.state_reason == StateReason.SERVER_PUSH
    client.wait_event(EventKind.REGISTERED, TIMEOUT, location="/rd/1")
    assert codes(bs) == [("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("DISCOVER /", "2.05"),
                         ("FINISH", "2.04")]
    links = parse_links(bs.step("DISCOVER /").payload)
    assert links["/0/1"] == {"ssid": "1", "uri": dm_uri}
    assert bs.requests == [] and not any(is_bootstrap_request(d) for _, d in client.transport.sent)
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": 240}}

    clock.advance(120_000)      # past the end of the hold-off
    drive(client, 0.5)
    assert bs.requests == [], "the push ended the hold-off: no Bootstrap-Request"
    assert client.event_kinds().count(EventKind.BOOTSTRAP_STARTED) == 1
    assert (client.state, client.state_reason) == (State.REGISTERED, StateReason.BOOTSTRAPPED)


def test_hold_off_honoured(make_client, bootstrap_server_factory, dm_server):
    """Client Hold Off Time 2 s on the monotonic clock: nothing is sent before it ends, the
    Bootstrap-Request goes out right after (measured where it is sent and where it arrives)."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0")
    transport = StampedTransport()
    client = make_client("urn:dev:holdoff2", transport=transport)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}", hold_off_s=2)
    started = monotonic_ms()
    client.start(started)
    assert client.state == State.HOLD_OFF
    assert client.tick(started) == started + 2000, "the next deadline is the hold-off's end"
    client.wait_event(EventKind.REGISTERED, TIMEOUT)

    first_sent, _, first = transport.stamps[0]
    assert is_bootstrap_request(first), "nothing is sent during the hold-off"
    assert 2000 <= first_sent - started < 3000
    arrived = bs.requests[0]["time"] * 1000
    assert arrived >= started + 2000
    assert len(bs.requests) == 1


@pytest.mark.parametrize("storage_kind", ["file", "memory"])
def test_restart_comes_back_registered_from_flash(storage_kind, make_client,
                                                  bootstrap_server_factory, dm_server, tmp_path):
    """A client bootstraps and registers, then loses power (freed without De-register). A new
    client instance reading the same two slots has the configuration at once and registers
    without bootstrapping."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0", lifetime=180)
    first_storage = FileStorage(tmp_path / "flash") if storage_kind == "file" else MemoryStorage()
    first = make_client("urn:dev:restart", storage=first_storage)
    first.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    first.start()
    first.wait_event(EventKind.REGISTERED, TIMEOUT, location="/rd/1")
    assert first_storage.saves >= 1 and len(bs.requests) == 1
    first.close()   # power cut: no De-register

    if storage_kind == "file":
        second_storage = FileStorage(tmp_path / "flash")
        assert second_storage.load(first_storage.writes[-1])[:4] == b"LWBS"
    else:
        second_storage = MemoryStorage(*first_storage.slots)
    second = make_client("urn:dev:restart", storage=second_storage)
    assert second.servers == {1: {"uri": dm_uri, "lifetime_s": 180}}, "restored at creation"
    assert second.has_bootstrap_server
    second.start()
    assert (second.state, second.state_reason) == (State.REGISTERING,
                                                   StateReason.FACTORY_CONFIGURATION)
    second.wait_event(EventKind.REGISTERED, TIMEOUT, location="/rd/2")
    assert EventKind.BOOTSTRAP_STARTED not in second.event_kinds()
    assert not any(is_bootstrap_request(d) for _, d in second.transport.sent)
    assert len(bs.requests) == 1, "no second Bootstrap-Request"
    assert dm_server.registrations["/rd/2"]["ep"] == "urn:dev:restart"
    assert dm_server.registrations["/rd/2"]["query"]["lt"] == "180"
    assert second_storage.saves == 0, "nothing changed, nothing written"
