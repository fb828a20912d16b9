"""lwbs-demo --smartcard EF_FILE end to end (Bootstrap from Smartcard, Core 1.1 §5.2.3.2): the
demo serves EF_FILE through its simulated UICC (c-examples/sim_card.c), so the library walks
the real PKCS#15 APDU path; the file is read again before each Register and Update. Also the
Python wrapper's card callbacks."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import queue
from pathlib import Path

import pytest

from lwbs_testservers.ef import build_ef, server_ef
from lwm2m_bootstrap import EventKind, LwbsError, VirtualClock
from test_demo import (RUN_TIMEOUT_S, demo, events, run_demo,  # noqa: F401 (fixtures)
                       start_server, servers)


class Demo:
    """A running lwbs-demo whose stdout lines are collected."""

    def __init__(self, demo_path: Path, *args: str):
        self.proc = subprocess.Popen([str(demo_path), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 20.0) -> str:
        while True:
            line = self.lines.get(timeout=timeout)
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def finish(self, sig=signal.SIGTERM) -> tuple[int, list[str], str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=RUN_TIMEOUT_S)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        err = self.proc.stderr.read()
        while True:
            try:
                self.seen.append(self.lines.get(timeout=1))
            except queue.Empty:
                break
        return self.proc.returncode, [s for s in self.seen if s.startswith("EVENT ")], err


def put_card(path: Path, content: bytes) -> None:
    """Writes the EF file atomically (the demo may read it at any moment)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def test_card_registers_to_its_dm_server_without_bootstrapping(demo, servers, tmp_path):
    bs, dm = servers
    card = tmp_path / "ef.bin"
    put_card(card, server_ef(f"coap://127.0.0.1:{dm.port}", ssid=7, lifetime=300))
    run = run_demo(demo, "--endpoint", "card-1", "--state-dir", str(tmp_path / "state"),
                   "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}", "--smartcard", str(card),
                   "--exit-after", "registered")
    assert run.returncode == 0, run.stderr
    assert events(run.stdout) == [
        'EVENT smartcard-applied accounts=1 detail="bootstrap_account=0 ignored_objects=0"',
        "EVENT registered ssid=7 location=/rd/1",
        "EVENT deregistered ssid=7",
        "EVENT stopped",
    ]
    assert dm.wait_for("REGISTERED").startswith("REGISTERED ep=card-1 location=/rd/1 lt=300")
    assert not [line for line in bs.output() if line.startswith("BOOTSTRAP-REQUEST")]
    assert not list((tmp_path / "state").iterdir()), "nothing from the card is stored"


def test_missing_card_file_means_no_card(demo, servers, tmp_path):
    bs, _ = servers
    run = run_demo(demo, "--endpoint", "card-2", "--state-dir", str(tmp_path / "state"),
                   "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}",
                   "--smartcard", str(tmp_path / "absent.bin"), "--exit-after", "registered")
    assert run.returncode == 0, run.stderr
    got = events(run.stdout)
    assert got[0] == "EVENT bootstrap-started"
    assert not [e for e in got if "smartcard" in e]


def test_corrupt_card_is_rejected_and_the_demo_bootstraps(demo, servers, tmp_path):
    bs, dm = servers
    card = tmp_path / "ef.bin"
    put_card(card, server_ef(f"coap://127.0.0.1:{dm.port}")[:-12])
    run = run_demo(demo, "--endpoint", "card-3", "--state-dir", str(tmp_path / "state"),
                   "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}", "--smartcard", str(card),
                   "--exit-after", "registered")
    assert run.returncode == 0, run.stderr
    got = events(run.stdout)
    assert got[0].startswith('EVENT smartcard-rejected reason="')
    assert got[1] == "EVENT bootstrap-started"
    assert "EVENT registered ssid=1 location=/rd/1" in got


def test_replaced_card_re_registers_to_the_new_server_at_the_next_update(
        demo, start_server, tmp_path):
    dm1 = start_server("dm_server")
    dm2 = start_server("dm_server")
    card = tmp_path / "ef.bin"
    # Lifetime 4 s: an Update (and so a card check) every 2 s.
    put_card(card, server_ef(f"coap://127.0.0.1:{dm1.port}", ssid=1, lifetime=4))
    d = Demo(demo, "--endpoint", "card-4", "--state-dir", str(tmp_path / "state"),
             "--smartcard", str(card))
    try:
        assert d.wait_for("EVENT registered") == "EVENT registered ssid=1 location=/rd/1"
        assert d.wait_for("EVENT updated") == "EVENT updated ssid=1"
        put_card(card, server_ef(f"coap://127.0.0.1:{dm2.port}", ssid=2, lifetime=300))
        d.wait_for("EVENT smartcard-changed")
        assert d.wait_for("EVENT smartcard-applied").startswith("EVENT smartcard-applied accounts=1")
        assert d.wait_for("EVENT registered") == "EVENT registered ssid=2 location=/rd/1"
        assert dm2.wait_for("REGISTERED").startswith("REGISTERED ep=card-4 location=/rd/1 lt=300")
    finally:
        status, got, err = d.finish()
    assert status == 0, err
    assert got[-2:] == ["EVENT deregistered ssid=2", "EVENT stopped"]
    assert not [line for line in dm1.output() if line.startswith("DEREGISTERED")], \
        "the old card information is disabled, not used for a De-register"


def test_removed_card_falls_back_to_bootstrap(demo, servers, start_server, tmp_path):
    bs, dm = servers
    card_dm = start_server("dm_server")
    card = tmp_path / "ef.bin"
    put_card(card, server_ef(f"coap://127.0.0.1:{card_dm.port}", ssid=3, lifetime=4))
    d = Demo(demo, "--endpoint", "card-5", "--state-dir", str(tmp_path / "state"),
             "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}", "--smartcard", str(card))
    try:
        assert d.wait_for("EVENT registered") == "EVENT registered ssid=3 location=/rd/1"
        card.unlink()
        assert d.wait_for("EVENT smartcard-removed") == 'EVENT smartcard-removed reason="absent"'
        d.wait_for("EVENT bootstrap-finished")
        assert d.wait_for("EVENT registered") == "EVENT registered ssid=1 location=/rd/1"
        assert dm.wait_for("REGISTERED").startswith("REGISTERED ep=card-5")
    finally:
        status, _, err = d.finish()
    assert status == 0, err


def test_removed_card_without_any_other_account_reports_failure(demo, start_server, tmp_path):
    dm = start_server("dm_server")
    card = tmp_path / "ef.bin"
    put_card(card, server_ef(f"coap://127.0.0.1:{dm.port}", ssid=3, lifetime=4))
    d = Demo(demo, "--endpoint", "card-6", "--state-dir", str(tmp_path / "state"),
             "--smartcard", str(card))
    try:
        d.wait_for("EVENT registered")
        card.unlink()
        d.wait_for("EVENT smartcard-removed")
        d.proc.wait(timeout=RUN_TIMEOUT_S)
    finally:
        status, got, err = d.finish()
    assert status == 1
    assert got[-1] == 'EVENT bootstrap-failed reason="no Bootstrap-Server account"', got
    assert err.strip().splitlines()[-1] == \
        "lwbs-demo: bootstrap failed: no Bootstrap-Server account", err


def test_python_ef_builder_matches_the_reference_fixture():
    """REFERENCE §2.4: Nordic's 58-byte EF, byte for byte (before its 0xFF padding)."""
    from lwbs_testservers import tlv
    uri = "coap://leshan.eclipseprojects.io:5783"
    inst = tlv.instance(0, {0: uri, 1: True, 2: 3})
    ef = build_ef([(0, inst)])
    assert ef[:9] == bytes.fromhex("0001 0036 0000 00 0031".replace(" ", ""))
    assert len(ef) == 58


class _DeadCard:
    """A card that is present but never answers (a modem error)."""

    def __init__(self):
        self.apdus: list[bytes] = []

    def present(self):
        return True

    def transmit(self, apdu):
        self.apdus.append(apdu)
        return None


def test_python_wrapper_card_callbacks(make_client):
    card = _DeadCard()
    client = make_client(clock=VirtualClock(), smartcard=card)
    client.provision_bootstrap_server("coap://127.0.0.1:9")
    client.set_smartcard(pin=b"1234", max_chunk=64)
    client.start()
    rejected = [e for e in client.events if e.kind == EventKind.SMARTCARD_REJECTED]
    assert len(rejected) == 1 and "no answer" in rejected[0].detail
    assert card.apdus[0] == bytes.fromhex("0070000001"), "MANAGE CHANNEL open first"
    client.stop()
    with pytest.raises(LwbsError) as info:
        make_client(clock=VirtualClock()).set_smartcard()  # no card callbacks
    assert info.value.code == 10  # LWBS_ERR_PLATFORM


def test_python_wrapper_scp03_keys(make_client):
    """The SCP03 fields appended to lwbs_smartcard_config, through set_smartcard."""
    client = make_client(clock=VirtualClock(), smartcard=_DeadCard())
    for bad in ((bytes(15),) * 3, (bytes(64),) * 3):
        with pytest.raises(LwbsError) as info:
            client.set_smartcard(scp03_keys=bad)
        assert info.value.code == 2  # LWBS_ERR_INVALID_ARGUMENT: key length
    with pytest.raises(LwbsError) as info:
        client.set_smartcard(scp03_keys=(bytes(16),) * 3, scp03_security_level=0x31)
    assert info.value.code == 2  # LWBS_ERR_INVALID_ARGUMENT: security level
    with pytest.raises(ValueError):
        client.set_smartcard(scp03_keys=(bytes(16), bytes(32), bytes(16)))
    for n in (16, 24, 32):
        client.set_smartcard(scp03_keys=(b"\x40" * n, b"\x50" * n, b"\x60" * n),
                             scp03_key_version=0x30)
    client.set_smartcard()  # no keys: no secure channel


def test_a_missing_card_file_at_start_gets_a_hint(demo, servers, tmp_path):
    bs, _ = servers
    absent = tmp_path / "absent.bin"
    run = run_demo(demo, "--endpoint", "card-7", "--state-dir", str(tmp_path / "state"),
                   "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}",
                   "--smartcard", str(absent), "--exit-after", "registered")
    assert run.returncode == 0, run.stderr
    assert (f"lwbs-demo: note: --smartcard {absent} does not exist (No such file or directory): "
            "no card is inserted until the file is created") in run.stderr.splitlines()


def test_an_oversized_card_file_is_rejected_with_its_real_size(demo, servers, tmp_path):
    bs, _ = servers
    card = tmp_path / "ef.bin"
    put_card(card, bytes(40000))
    run = run_demo(demo, "--endpoint", "card-8", "--state-dir", str(tmp_path / "state"),
                   "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}", "--smartcard", str(card),
                   "--exit-after", "registered")
    assert run.returncode == 0, run.stderr
    rejected = events(run.stdout)[0]
    assert rejected.startswith('EVENT smartcard-rejected reason="'), rejected
    assert "file of 40000 bytes is larger than allowed" in rejected, rejected
