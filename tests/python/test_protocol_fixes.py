"""Two behaviours found by driving the demo against Bootstrap-Servers as a new user would
(issue 15), over real UDP on 127.0.0.1 against the aiocoap test servers:

- a Bootstrap-Finish refused with 4.06 keeps the staged writes for the rest of the bootstrap
  session, so a corrected Finish succeeds whether the server resends only the missing object
  or starts over; a session that ends without a successful Finish leaves the committed
  configuration (and the storage slots) as they were;
- a 2.01 to Register without Location-Path is a failed registration attempt with its own
  reason code, never a registration whose Updates would go to ``/``."""

from __future__ import annotations

from lwm2m_bootstrap import (BootstrapFailure, EventKind, MemoryStorage, RegistrationFailure,
                             State, VirtualClock)
from lwbs_testservers import bootstrap_server as bss
from lwbs_testservers import tlv

TIMEOUT = 60.0
LIFETIME = 3600     # no Update falls due while a test jumps the virtual clock


def codes(bs):
    bs.wait_done(TIMEOUT)
    return [(s.operation.label(), s.code) for s in bs.steps]


def refused(client):
    return [e for e in client.events if e.kind == EventKind.BOOTSTRAP_FINISH_REFUSED]


def security_write(dm_uri, ssid=1, iid=1):
    return bss.write("/0", tlv.security_instance(iid, dm_uri, ssid))


def server_write(ssid=1, iid=0):
    return bss.write("/1", tlv.server_instance(iid, ssid, LIFETIME))


def test_a_server_that_writes_only_the_missing_object_after_4_06(
        make_client, bootstrap_server_factory, dm_server):
    """The DM account's Server instance is missing at the first Finish (4.06); the server
    then writes only /1 and finishes again: 2.04, and the device registers."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    ops = [security_write(dm_uri), bss.finish(), server_write(), bss.finish()]
    bs = bootstrap_server_factory(scenario=ops)
    storage = MemoryStorage()
    client = make_client("urn:dev:fix-missing", storage=storage)
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=1)
    assert codes(bs) == [("WRITE /0", "2.04"), ("FINISH", "4.06"), ("WRITE /1", "2.04"),
                         ("FINISH", "2.04")]
    assert len(refused(client)) == 1 and refused(client)[0].accounts >= 1
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": LIFETIME}}
    assert dm_server.registrations["/rd/1"]["ep"] == "urn:dev:fix-missing"
    assert storage.saves == 1, "one durable write: the accepted Finish"
    assert EventKind.BOOTSTRAP_FAILED not in client.event_kinds()


def test_a_server_that_starts_over_after_4_06(make_client, bootstrap_server_factory,
                                              dm_server):
    """After the 4.06 the server deletes everything (the BS account survives a Delete /)
    and writes the whole configuration again."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    ops = [security_write(dm_uri), bss.finish(), bss.delete("/"),
           security_write(dm_uri, iid=2), server_write(iid=3), bss.discover(), bss.finish()]
    bs = bootstrap_server_factory(scenario=ops)
    client = make_client("urn:dev:start-over")
    client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=1)
    assert codes(bs) == [("WRITE /0", "2.04"), ("FINISH", "4.06"), ("DELETE /", "2.02"),
                         ("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("DISCOVER /", "2.05"),
                         ("FINISH", "2.04")]
    links = bs.step("DISCOVER /").payload.decode()
    # Only what the second pass wrote (the first pass's /0/1 went with the Delete /).
    assert "</0/2>" in links and "</1/3>" in links and "</0/1>" not in links
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": LIFETIME}}
    assert len(refused(client)) == 1


def test_a_session_that_ends_after_4_06_keeps_the_old_configuration_across_a_restart(
        make_client, bootstrap_server_factory, dm_server):
    """Registered with server 1 from a first bootstrap (persisted); a second bootstrap
    writes a new account, gets 4.06 and the Bootstrap-Server goes quiet: the Finish timer
    fails the session, nothing of it is kept or saved, the registration stays, and a
    restart from the same slots comes back with server 1 only."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(scenario=[security_write(dm_uri), server_write(),
                                            bss.finish()])
    clock = VirtualClock()
    storage = MemoryStorage()
    first = make_client("urn:dev:cut-off", storage=storage, clock=clock)
    first.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    first.start()
    first.wait_event(EventKind.REGISTERED, TIMEOUT, location="/rd/1")
    bs.wait_done(TIMEOUT)
    saves = storage.saves
    assert saves == 1
    old_servers = {1: {"uri": dm_uri, "lifetime_s": LIFETIME}}
    assert first.servers == old_servers

    # Second session: a new DM account (ssid 2) without its Server instance, Finish, silence.
    bs.operations = [security_write(dm_uri, ssid=2, iid=5), bss.finish()]
    bs.steps, bs.done = [], False
    first.trigger_bootstrap()
    first.run_until(lambda: refused(first), TIMEOUT)
    assert codes(bs) == [("WRITE /0", "2.04"), ("FINISH", "4.06")]
    assert first.servers == old_servers, "nothing of the session is committed"
    clock.advance(250_000)      # beyond EXCHANGE_LIFETIME (247 s) after the last operation
    failed = first.wait_event(EventKind.BOOTSTRAP_FAILED, TIMEOUT)
    assert failed.reason == BootstrapFailure.FINISH_TIMEOUT
    assert first.servers == old_servers
    assert (first.state, first.registration_location(1)) == (State.REGISTERED, "/rd/1")
    assert storage.saves == saves, "the refused session wrote nothing"
    first.close()               # power cut

    second = make_client("urn:dev:cut-off", storage=MemoryStorage(*storage.slots))
    assert second.servers == old_servers, "restored: the committed configuration only"
    second.start()
    second.wait_event(EventKind.REGISTERED, TIMEOUT, ssid=1)
    assert EventKind.BOOTSTRAP_STARTED not in second.event_kinds()
    assert [r["location"] for r in dm_server.history] == ["/rd/1", "/rd/2"]


def test_register_answered_2_01_without_location_path_is_a_failed_attempt(make_client,
                                                                           dm_server):
    """The server MUST send the location (Core 1.1 §6.2.1). Without it: REGISTRATION_FAILED
    with reason NO_LOCATION, not registered, and the next attempt (a fixed server) registers;
    no Update or De-register ever goes to ``/``."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    dm_server.omit_location = True
    clock = VirtualClock()
    client = make_client("urn:dev:no-location", clock=clock, registration_retry_count=3,
                         registration_retry_timer_s=30)
    client.provision_server(1, dm_uri, lifetime_s=LIFETIME)
    client.start()
    failed = client.wait_event(EventKind.REGISTRATION_FAILED, TIMEOUT, ssid=1)
    assert failed.reason == RegistrationFailure.NO_LOCATION
    assert failed.detail == "registered without a Location-Path"
    assert EventKind.REGISTERED not in client.event_kinds()
    assert client.state == State.REGISTERING and client.registration_location(1) is None
    assert [h["location"] for h in dm_server.history] == [None]

    dm_server.omit_location = False
    clock.advance(30_000)       # the Retry Timer (30 s x 2^0)
    client.wait_event(EventKind.REGISTERED, TIMEOUT, location="/rd/1")
    assert [h["location"] for h in dm_server.history] == [None, "/rd/1"]
    client.stop()
    client.wait_event(EventKind.STOPPED, TIMEOUT)
    assert EventKind.DEREGISTERED in client.event_kinds()
    assert dm_server.registrations == {}, "the De-register went to /rd/1"
