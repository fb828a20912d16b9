"""Persistence through the ``load``/``save`` callbacks: a bootstrapped configuration survives a
restart (and the restarted client registers without bootstrapping again, as in 1.1-int-6);
a corrupt image is ignored."""

from __future__ import annotations

from lwm2m_bootstrap import EventKind, FileStorage, MemoryStorage, State

TIMEOUT = 60.0


def test_configuration_persisted_and_restored(make_client, bootstrap_server_factory, dm_server,
                                              tmp_path):
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0", lifetime=600)
    storage = FileStorage(tmp_path / "lwbs.img")
    first = make_client("urn:dev:persist", storage=storage)
    first.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    first.start()
    first.wait_event(EventKind.REGISTERED, TIMEOUT)
    assert storage.saves == 1 and storage.path.stat().st_size > 0
    first.stop()
    first.wait_event(EventKind.STOPPED, TIMEOUT)
    first.close()

    second = make_client("urn:dev:persist", storage=FileStorage(tmp_path / "lwbs.img"))
    assert second.servers == {1: {"uri": dm_uri, "lifetime_s": 600}}
    second.start()
    event = second.wait_event(EventKind.REGISTERED, TIMEOUT)
    assert event.location == "/rd/2"
    assert EventKind.BOOTSTRAP_STARTED not in second.event_kinds(), "no second bootstrap"
    assert len(bs.requests) == 1
    assert second.state == State.REGISTERED
    assert [r["ep"] for r in dm_server.history] == ["urn:dev:persist"] * 2


def test_corrupt_image_is_ignored(make_client):
    storage = MemoryStorage(b"\x00garbage" * 40)
    client = make_client("urn:dev:corrupt", storage=storage)
    assert client.servers == {} and not client.has_bootstrap_server
    assert client.state == State.IDLE
    assert client.logs, "the corrupt image is logged"
    assert storage.data == b"\x00garbage" * 40 and storage.saves == 0
