"""Around the ETS cases: Client Hold Off Time, a rejected Bootstrap-Request, LwM2M 1.0
requests and Discover syntax, a firmware-triggered re-bootstrap."""

from __future__ import annotations

from aiocoap.numbers.codes import Code

from lwm2m_bootstrap import BootstrapFailure, EventKind, State, StateReason, VirtualClock
from lwbs_testservers.links import parse_links

TIMEOUT = 60.0


def test_client_hold_off_time_delays_the_bootstrap_request(make_client, bootstrap_server_factory,
                                                           dm_server):
    bs = bootstrap_server_factory(server_uri=f"coap://127.0.0.1:{dm_server.port}",
                                  scenario="int0")
    clock = VirtualClock()
    client = make_client("urn:dev:holdoff", clock=clock)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}", hold_off_s=30)
    start = clock()
    client.start(start)
    assert client.state == State.HOLD_OFF
    assert client.tick(start) == start + 30_000
    # During the hold-off a connection to the BS is open, listening for a 1.0
    # server-initiated bootstrap; nothing is sent on it.
    assert client.transport.opened == [(1, f"coap://127.0.0.1:{bs.port}")]
    assert client.transport.sent == [] and bs.requests == []
    assert client.state_reason == StateReason.NO_SERVER_ACCOUNT
    client.tick(start + 29_999)
    assert client.state == State.HOLD_OFF
    clock.advance(30_000)
    client.wait_event(EventKind.REGISTERED, TIMEOUT)
    assert [r["ep"] for r in bs.requests] == ["urn:dev:holdoff"]


def test_rejected_bootstrap_request(make_client, bootstrap_server_factory):
    bs = bootstrap_server_factory(scenario=[], request_code=Code.FORBIDDEN)
    client = make_client("urn:dev:rejected")
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    client.start()
    failed = client.wait_event(EventKind.BOOTSTRAP_FAILED, TIMEOUT)
    assert failed.reason == BootstrapFailure.REJECTED
    assert failed.detail and "4.03" in failed.detail, failed.detail
    assert client.state == State.FAILED
    assert client.servers == {} and client.has_bootstrap_server
    assert client.transport.sockets == {}, "the bootstrap connection was closed"
    assert len(bs.requests) == 1


def test_lwm2m_1_0_request_has_no_pct_and_discover_uses_1_0_syntax(make_client,
                                                                     bootstrap_server_factory,
                                                                     dm_server):
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0")
    client = make_client("urn:dev:v10", lwm2m_version=10)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT)
    bs.wait_done(TIMEOUT)
    assert bs.requests[0]["query"] == ["ep=urn:dev:v10"]
    links = parse_links(bs.step("DISCOVER /").payload)
    assert links[""] == {"lwm2m": "1.0"}
    assert links["/0/1"] == {"ssid": "1"} and links["/1/0"] == {"ssid": "1"}
    assert not any("uri" in attrs for attrs in links.values()), "no uri attribute in 1.0"
    assert dm_server.registrations["/rd/1"]["query"]["lwm2m"] == "1.0"


def test_trigger_bootstrap_while_registered_rebootstraps(make_client, bootstrap_server_factory,
                                                         dm_server):
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="standard", lifetime=120)
    client = make_client("urn:dev:again")
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT, location="/rd/1")
    client.trigger_bootstrap()
    assert client.state == State.BOOTSTRAPPING

    def finished():
        return [e for e in client.events if e.kind == EventKind.BOOTSTRAP_FINISHED]
    client.run_until(lambda: len(finished()) == 2, TIMEOUT)
    assert [r["ep"] for r in bs.requests] == ["urn:dev:again"] * 2
    assert [e.accounts for e in finished()] == [1, 1]
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": 120}}
    # The second bootstrap wrote the same account: the registration is kept (Core 1.1 §5.2.5 asks
    # for a new session and Register only when URI, mode or keys change).
    assert client.state == State.REGISTERED
    assert client.registration_location(1) == "/rd/1"
    assert client.event_kinds().count(EventKind.REGISTERED) == 1


def test_icmp_port_unreachable_is_reported_and_the_bootstrap_backs_off(make_client):
    """Nothing listens on the BS port: the kernel's ICMP error reaches the library through
    lwbs_client_conn_error, the bootstrap fails at once (no CoAP retransmissions) and the
    next one waits the back-off."""
    from conftest import free_udp_port
    port = free_udp_port()
    client = make_client("urn:dev:icmp", report_transport_errors=True,
                         bootstrap_backoff_base_s=30)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{port}")
    client.start()
    assert (client.state, client.state_reason) == (State.BOOTSTRAPPING,
                                                   StateReason.NO_SERVER_ACCOUNT)
    failed = client.wait_event(EventKind.BOOTSTRAP_FAILED, 10)
    assert failed.reason == BootstrapFailure.TRANSPORT
    assert (client.state, client.state_reason) == (State.FAILED, StateReason.BOOTSTRAP_FAILED)
    assert len(client.transport.sent) == 1, "no retransmission after the ICMP error"
    deadline = client.tick()
    assert deadline is not None and 15_000 <= deadline - client.clock() <= 30_000
