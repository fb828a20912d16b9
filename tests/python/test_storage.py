"""Persistence through the slot-aware ``load``/``save`` callbacks: a bootstrapped configuration
survives a restart (and the restarted client registers without bootstrapping again, as in
1.1-int-6); the two slots alternate; the newest valid slot wins; torn, corrupt and foreign
images are reported (``STORAGE_IGNORED``) and ignored. Some images are built here by an
independent encoder of the documented format (docs/persistence.md)."""

from __future__ import annotations

import struct
import zlib

from lwbs_testservers import tlv

from lwm2m_bootstrap import EventKind, FileStorage, MemoryStorage, State

TIMEOUT = 60.0
DM_URI = "coap://127.0.0.1:5683"


def image(generation: int, objects: dict[int, bytes], origins: list[tuple[int, int, int]],
          *, magic: bytes = b"LWBS", fmt: int = 1) -> bytes:
    """magic | format | 3 reserved | generation | length | CRC-32 | payload (big-endian)."""
    payload = b"".join(struct.pack(">HI", obj, len(body)) + body for obj, body in objects.items())
    payload += struct.pack(">HH", 0xFFFF, len(origins))
    payload += b"".join(struct.pack(">HHB", *o) for o in origins)
    head = magic + bytes([fmt, 0, 0, 0]) + struct.pack(">II", generation, len(payload))
    return head + struct.pack(">I", zlib.crc32(head + payload)) + payload


def dm_image(generation: int, lifetime: int) -> bytes:
    """One LwM2M Server account (ssid 1), written by a Bootstrap-Server (origin 2)."""
    return image(generation, {0: tlv.security_instance(0, DM_URI, 1),
                              1: tlv.server_instance(0, 1, lifetime)},
                 [(0, 0, 2), (1, 0, 2)])


def ignored(client) -> list[str]:
    return [e.detail for e in client.events if e.kind == EventKind.STORAGE_IGNORED]


def test_configuration_persisted_and_restored(make_client, bootstrap_server_factory, dm_server,
                                              tmp_path):
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0", lifetime=600)
    storage = FileStorage(tmp_path / "state")
    first = make_client("urn:dev:persist", storage=storage)
    first.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
    first.start()
    first.wait_event(EventKind.REGISTERED, TIMEOUT)
    assert storage.writes == [1], "generation 1 goes to slot 1"
    assert storage.path(1).read_bytes()[:4] == b"LWBS" and not storage.path(0).exists()
    first.stop()
    first.wait_event(EventKind.STOPPED, TIMEOUT)
    first.close()

    second = make_client("urn:dev:persist", storage=FileStorage(tmp_path / "state"))
    assert second.servers == {1: {"uri": dm_uri, "lifetime_s": 600}}
    assert ignored(second) == []
    second.start()
    event = second.wait_event(EventKind.REGISTERED, TIMEOUT)
    assert event.location == "/rd/2"
    assert EventKind.BOOTSTRAP_STARTED not in second.event_kinds(), "no second bootstrap"
    assert len(bs.requests) == 1
    assert second.state == State.REGISTERED
    assert [r["ep"] for r in dm_server.history] == ["urn:dev:persist"] * 2


def test_independently_encoded_images_and_the_newest_valid_slot(make_client):
    storage = MemoryStorage(dm_image(2, 300), dm_image(1, 100))
    client = make_client("urn:dev:slots", storage=storage)
    assert client.servers == {1: {"uri": DM_URI, "lifetime_s": 300}}, "generation 2 wins"
    assert ignored(client) == [] and storage.saves == 0

    # Generation 2 torn by a power cut (first 40 bytes written): generation 1, complete.
    torn = MemoryStorage(dm_image(2, 300)[:40], dm_image(1, 100))
    client = make_client("urn:dev:slots", storage=torn)
    assert client.servers == {1: {"uri": DM_URI, "lifetime_s": 100}}
    assert ignored(client) == ["slot 0: corrupt image (truncated image)"]
    assert any(level == 2 and "storage slot 0: corrupt image" in text
               for level, text in client.logs)

    # A newer generation with a flipped bit loses to the older valid one.
    flipped = bytearray(dm_image(4, 300))
    flipped[-3] ^= 0x01
    client = make_client("urn:dev:slots", storage=MemoryStorage(bytes(flipped), dm_image(3, 100)))
    assert client.servers == {1: {"uri": DM_URI, "lifetime_s": 100}}
    assert ignored(client) == ["slot 0: corrupt image (CRC-32 mismatch)"]


def test_corrupt_and_foreign_images_are_ignored(make_client):
    garbage = b"\x00garbage" * 40
    future = dm_image(2, 300)
    future = future[:4] + b"\x02" + future[5:]
    storage = MemoryStorage(garbage, None)
    client = make_client("urn:dev:corrupt", storage=storage)
    assert client.servers == {} and not client.has_bootstrap_server
    assert client.state == State.IDLE
    assert ignored(client) == ["slot 0: foreign image (not an lwm2m-bootstrap image (bad magic))"]
    assert storage.slots == [garbage, None] and storage.saves == 0, "nothing is rewritten"

    client = make_client("urn:dev:corrupt", storage=MemoryStorage(future, garbage))
    assert client.servers == {}
    assert ignored(client) == [
        "slot 0: foreign image (unsupported image format 2)",
        "slot 1: foreign image (not an lwm2m-bootstrap image (bad magic))",
    ]

    erased = MemoryStorage(b"\xff" * 256, b"")
    client = make_client("urn:dev:erased", storage=erased)
    assert client.servers == {} and ignored(client) == [], "erased flash is just empty"


def test_a_bootstrap_after_restore_writes_the_other_slot(make_client, bootstrap_server_factory,
                                                         dm_server):
    """Restored generation 1 from slot 1: the next configuration is generation 2 in slot 0,
    and slot 1 keeps generation 1 untouched."""
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0", lifetime=900)
    old = image(1, {0: tlv.security_instance(0, f"coap://127.0.0.1:{bs.port}", 0,
                                             bootstrap=True)}, [(0, 0, 0)])
    storage = MemoryStorage(None, old)
    client = make_client("urn:dev:next-slot", storage=storage)
    assert client.has_bootstrap_server and client.servers == {}
    client.start()
    client.wait_event(EventKind.REGISTERED, TIMEOUT)
    assert storage.writes == [0]
    assert storage.slots[1] == old
    assert struct.unpack(">I", storage.slots[0][8:12]) == (2,)
    assert client.servers == {1: {"uri": dm_uri, "lifetime_s": 900}}


class FailingStorage(MemoryStorage):
    """A storage whose ``save`` returns -28 (a non-zero status: the write failed, e.g. a full
    disk) the first ``failures`` times."""

    def __init__(self, *slots, failures: int = 1):
        super().__init__(*slots)
        self.failures = failures
        self.attempts: list[int] = []

    def save(self, slot: int, data: bytes) -> int:
        self.attempts.append(slot)
        if len(self.attempts) <= self.failures:
            return -28
        super().save(slot, data)
        return 0


def test_a_failing_save_answers_the_finish_5_00_and_keeps_the_old_configuration(
        make_client, bootstrap_server_factory, dm_server):
    """The durability contract (docs/persistence.md): the save of generation 2 (slot 0)
    fails, so the Bootstrap-Server sees 5.00 to its Finish, not 2.04; the client keeps the
    restored configuration (no server), slot 1 is untouched and the bootstrap counts as failed
    (retried after the back-off)."""
    from lwm2m_bootstrap import BootstrapFailure, StorageError
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    bs = bootstrap_server_factory(server_uri=dm_uri, scenario="int0", lifetime=900)
    old = image(1, {0: tlv.security_instance(0, f"coap://127.0.0.1:{bs.port}", 0,
                                             bootstrap=True)}, [(0, 0, 0)])
    storage = FailingStorage(None, old)
    client = make_client("urn:dev:full-disk", storage=storage)
    client.start()
    try:
        client.wait_event(EventKind.STORAGE_FAILED, TIMEOUT)
    except StorageError:
        pass  # the recv that carried the Finish reports the failed save
    bs.wait_for(lambda: any(s.operation.name == "finish" for s in bs.steps), TIMEOUT)
    assert [s.code for s in bs.steps if s.operation.name == "finish"] == ["5.00"]
    failed = [e for e in client.events if e.kind == EventKind.STORAGE_FAILED]
    assert [e.detail for e in failed] == ["slot 0 generation 2: save failed"]
    reasons = [e.reason for e in client.events if e.kind == EventKind.BOOTSTRAP_FAILED]
    assert reasons == [BootstrapFailure.STORAGE]
    assert EventKind.BOOTSTRAP_FINISHED not in client.event_kinds()
    assert EventKind.REGISTERED not in client.event_kinds()
    assert client.servers == {} and client.has_bootstrap_server
    assert storage.attempts == [0] and storage.writes == []
    assert storage.slots == [None, old], "the old configuration is intact"
    assert (client.state.name, client.state_reason.name) == ("FAILED", "BOOTSTRAP_FAILED")


def session_record(entries: list[tuple[int, int, bytes]]) -> bytes:
    """magic "LWSS" | format 1 | count | 2 reserved | length | CRC-32 | {ssid u16, material
    u64, length u16, session} (big-endian; src/persist/sessions.rs)."""
    payload = b"".join(struct.pack(">HQH", ssid, material, len(s)) + s
                       for ssid, material, s in entries)
    head = b"LWSS" + bytes([1, len(entries), 0, 0]) + struct.pack(">I", len(payload))
    return head + struct.pack(">I", zlib.crc32(head + payload)) + payload


def logged(client, text: str) -> bool:
    return any(text in line for _, line in client.logs)


def test_the_session_record_is_read_at_creation_and_a_stale_one_erased(make_client):
    """load_sessions/save_sessions through ctypes: a garbage record is ignored and erased; a
    valid record whose session does not match the restored account (other fingerprint) is
    dropped and the record erased; with no configuration stored (factory state) every
    session is discarded. The handshakes are in test_session_restart.py."""
    storage = MemoryStorage(None, dm_image(1, 300), sessions=b"\x00garbage" * 8)
    client = make_client("urn:dev:sessions", storage=storage)
    assert logged(client, "session record ignored: not an lwm2m-bootstrap image (bad magic)")
    assert (storage.sessions, storage.session_writes) == (b"", 1), "erased"

    storage = MemoryStorage(None, dm_image(1, 300), sessions=session_record([(1, 42, b"s")]))
    client = make_client("urn:dev:sessions", storage=storage)
    assert logged(client, "DTLS sessions restored: 0, discarded: 1")
    assert (storage.sessions, storage.session_writes) == (b"", 1)

    torn = session_record([(1, 42, b"session")])[:-2]
    storage = MemoryStorage(None, dm_image(1, 300), sessions=torn)
    client = make_client("urn:dev:sessions", storage=storage)
    assert logged(client, "session record ignored: truncated image")

    storage = MemoryStorage(sessions=session_record([(1, 42, b"s"), (2, 43, b"t")]))
    client = make_client("urn:dev:sessions", storage=storage)
    assert logged(client, "DTLS sessions restored: 0, discarded: 2"), client.logs
    assert (storage.sessions, storage.session_writes) == (b"", 1)

    storage = MemoryStorage(None, dm_image(1, 300))
    client = make_client("urn:dev:sessions", storage=storage)
    assert logged(client, "DTLS sessions restored: 0, discarded: 0")
    assert storage.session_writes == 0, "nothing to write"
