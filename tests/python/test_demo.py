"""lwbs-demo (c-examples/lwbs_demo.c) end to end, against the aiocoap test servers.

The demo binary is ``$LWBS_DEMO`` or else ``build/c-examples/lwbs-demo``; build it with
``cmake -S . -B build && cmake --build build`` (or ``bash tests/c/run_c_tests.sh``). The test
servers run as processes through their command line, on ports they pick themselves (``--bind
127.0.0.1:0``, read back from ``READY port=P``); every process a test starts is stopped by a
fixture. The valgrind test is skipped when valgrind is not installed.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = Path(os.environ.get("LWBS_DEMO", ROOT / "build" / "c-examples" / "lwbs-demo"))
SERVERS = Path(__file__).resolve().parent / "lwbs_testservers"
RUN_TIMEOUT_S = 60

FULL_RUN_EVENTS = [
    "EVENT bootstrap-started",
    "EVENT bootstrap-finished accounts=1",
    "EVENT configuration-changed",
    "EVENT registered ssid=1 location=/rd/1",
    "EVENT deregistered ssid=1",
    "EVENT stopped",
]


class ServerProcess:
    """A test server started through its command line; its stdout lines are collected."""

    def __init__(self, name: str, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVERS / f"{name}.py"), "--bind", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.wait_for("READY port=")
        self.port = int(ready.split("port=")[1].split()[0])

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 10.0) -> str:
        """The first line (seen before or arriving within timeout) starting with prefix."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.seen:
                if line.startswith(prefix):
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line {prefix!r}; got {self.seen}")
            try:
                self.seen.append(self.lines.get(timeout=remaining))
            except queue.Empty:
                pass

    def output(self) -> list[str]:
        """Every line so far."""
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return self.seen

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class RejectingServer:
    """A bare UDP CoAP peer that answers every confirmable request with ACK 4.00 Bad Request."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            if len(data) >= 4 and (data[0] >> 4) & 0x3 == 0:  # CON
                tkl = data[0] & 0x0F
                # Ver 1, type ACK, same token length; code 4.00; same message ID and token.
                ack = bytes([0x60 | tkl, 0x80, data[2], data[3]]) + data[4:4 + tkl]
                self.sock.sendto(ack, peer)

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def demo() -> Path:
    if not os.access(DEMO, os.X_OK):
        pytest.fail(f"{DEMO} is missing: cmake -S . -B build && cmake --build build "
                    "(or set LWBS_DEMO)")
    return DEMO


@pytest.fixture
def start_server():
    """``start_server(name, *args)`` → a running :class:`ServerProcess`; all stopped after."""
    started: list[ServerProcess] = []

    def start(name: str, *args: str) -> ServerProcess:
        server = ServerProcess(name, *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def servers(start_server):
    """(Bootstrap-Server, DM server): the BS writes one NoSec account pointing at the DM."""
    dm = start_server("dm_server")
    bs = start_server("bootstrap_server", "--server-uri", f"coap://127.0.0.1:{dm.port}")
    return bs, dm


@pytest.fixture
def rejecting_server():
    server = RejectingServer()
    yield server
    server.stop()


def run_demo(demo: Path, *args: str, prefix: tuple[str, ...] = (), timeout: float = RUN_TIMEOUT_S,
             cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, str(demo), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def bootstrap_args(bs: ServerProcess, state_dir: Path, *more: str) -> list[str]:
    return ["--endpoint", "demo-1", "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}",
            "--state-dir", str(state_dir), *more]


def events(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("EVENT ")]


def test_bootstraps_registers_and_deregisters(demo, servers, tmp_path):
    bs, dm = servers
    run = run_demo(demo, *bootstrap_args(bs, tmp_path / "state", "--exit-after", "registered"))
    assert run.returncode == 0, run.stderr
    assert events(run.stdout) == FULL_RUN_EVENTS
    # Generation 1 of the configuration goes to slot 1; slot 0 is not written yet.
    assert (tmp_path / "state" / "slot1.img").read_bytes()[:4] == b"LWBS"
    assert not (tmp_path / "state" / "slot0.img").exists()
    assert bs.wait_for("BOOTSTRAP-REQUEST").startswith("BOOTSTRAP-REQUEST ep=demo-1")
    assert bs.wait_for("FINISH") == "FINISH 2.04"
    assert dm.wait_for("REGISTERED").startswith("REGISTERED ep=demo-1 location=/rd/1")
    assert dm.wait_for("DEREGISTERED") == "DEREGISTERED location=/rd/1"


@pytest.mark.parametrize("fmt", ["senml-json", "senml-cbor", "lwm2m-cbor"])
def test_a_bootstrap_server_writing_only_one_format_bootstraps_the_demo(demo, start_server,
                                                                        tmp_path, fmt):
    """The aiocoap Bootstrap-Server writes /0 and /1 only in SenML JSON, SenML CBOR or LwM2M
    CBOR (issue 14); the demo, preferring that format, announces it and registers."""
    dm = start_server("dm_server")
    bs = start_server("bootstrap_server", "--server-uri", f"coap://127.0.0.1:{dm.port}",
                      "--format", fmt)
    run = run_demo(demo, *bootstrap_args(bs, tmp_path / "state", "--preferred-format", fmt,
                                         "--exit-after", "registered"))
    assert run.returncode == 0, run.stderr
    assert events(run.stdout) == FULL_RUN_EVENTS
    pct = {"senml-json": 110, "senml-cbor": 112, "lwm2m-cbor": 11544}[fmt]
    assert bs.wait_for("BOOTSTRAP-REQUEST") == f"BOOTSTRAP-REQUEST ep=demo-1 pct={pct}"
    assert bs.wait_for("FINISH") == "FINISH 2.04"
    assert dm.wait_for("REGISTERED").startswith("REGISTERED ep=demo-1 location=/rd/1")


def test_a_bootstrap_pack_bootstraps_the_demo(demo, start_server, tmp_path):
    """``--bootstrap-pack on``: one GET /bspack (SenML CBOR), no Bootstrap-Request, then
    Register; the configuration is stored like a Finish's."""
    dm = start_server("dm_server")
    bs = start_server("bootstrap_server", "--server-uri", f"coap://127.0.0.1:{dm.port}",
                      "--pack")
    run = run_demo(demo, *bootstrap_args(bs, tmp_path / "state", "--bootstrap-pack", "on",
                                         "--exit-after", "registered"))
    assert run.returncode == 0, run.stderr
    assert events(run.stdout) == FULL_RUN_EVENTS
    assert bs.wait_for("BOOTSTRAP-PACK-REQUEST") == "BOOTSTRAP-PACK-REQUEST accept=112"
    assert dm.wait_for("REGISTERED").startswith("REGISTERED ep=demo-1 location=/rd/1")
    assert (tmp_path / "state" / "slot1.img").read_bytes()[:4] == b"LWBS"
    assert not any(line.startswith("BOOTSTRAP-REQUEST ") for line in bs.output())


def test_restart_registers_from_the_stored_configuration(demo, servers, tmp_path):
    bs, dm = servers
    args = bootstrap_args(bs, tmp_path / "state", "--exit-after", "registered")
    assert run_demo(demo, *args).returncode == 0
    second = run_demo(demo, *args)
    assert second.returncode == 0, second.stderr
    got = events(second.stdout)
    assert got[0].startswith("EVENT registered ssid=1 location=/rd/")
    assert got[1:] == ["EVENT deregistered ssid=1", "EVENT stopped"]
    assert len([line for line in bs.output() if line.startswith("BOOTSTRAP-REQUEST")]) == 1


def test_torn_slot_is_reported_and_the_other_slot_used(demo, servers, tmp_path):
    """A power cut while writing slot 0 (simulated: the first 30 bytes of an image) leaves
    slot 1 intact: the demo reports the torn slot and registers from slot 1."""
    bs, _ = servers
    state = tmp_path / "state"
    args = bootstrap_args(bs, state, "--exit-after", "registered")
    assert run_demo(demo, *args).returncode == 0
    good = (state / "slot1.img").read_bytes()
    torn = good[:30]
    (state / "slot0.img").write_bytes(torn)
    second = run_demo(demo, *args)
    assert second.returncode == 0, second.stderr
    got = events(second.stdout)
    assert got[0] == 'EVENT storage-ignored detail="slot 0: corrupt image (truncated image)"'
    assert got[1].startswith("EVENT registered ssid=1 location=/rd/")
    assert "storage slot 0: corrupt image (truncated image): ignored" in second.stderr
    assert len([line for line in bs.output() if line.startswith("BOOTSTRAP-REQUEST")]) == 1
    assert (state / "slot1.img").read_bytes() == good and (state / "slot0.img").read_bytes() == torn


def test_exit_after_seconds_stays_registered_then_deregisters(demo, servers, tmp_path):
    bs, _ = servers
    started = time.monotonic()
    run = run_demo(demo, *bootstrap_args(bs, tmp_path / "state", "--exit-after", "2"))
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - started >= 2
    assert events(run.stdout) == FULL_RUN_EVENTS


def test_exit_after_bootstrapped(demo, servers, tmp_path):
    bs, _ = servers
    run = run_demo(demo, *bootstrap_args(bs, tmp_path / "state", "--exit-after", "bootstrapped"))
    assert run.returncode == 0, run.stderr
    got = events(run.stdout)
    assert got[:2] == FULL_RUN_EVENTS[:2]
    assert got[-1] == "EVENT stopped"


def test_sigterm_deregisters_and_exits_0(demo, servers, tmp_path):
    bs, dm = servers
    proc = subprocess.Popen([str(demo), *bootstrap_args(bs, tmp_path / "state")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("EVENT registered"):
                break
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert events(rest) == ["EVENT deregistered ssid=1", "EVENT stopped"]
    assert dm.wait_for("DEREGISTERED") == "DEREGISTERED location=/rd/1"


def test_int_7_fallback_to_bootstrap_with_short_retry_flags(demo, servers, tmp_path):
    """ETS 1.1-int-7 through the demo: the factory server's port has no listener (ICMP port
    unreachable, reported by the demo), two attempts 1 s apart (--retry-count 2 --retry-timer
    1), the hold-off (1 s), the bootstrap, the registration with the server the BS wrote."""
    from conftest import free_udp_port
    bs, dm = servers
    dead = free_udp_port()
    started = time.monotonic()
    run = run_demo(demo, "--endpoint", "demo-7", "--state-dir", str(tmp_path / "state"),
                   "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}", "--hold-off", "1",
                   "--server-uri", f"coap://127.0.0.1:{dead}", "--ssid", "1",
                   "--retry-count", "2", "--retry-timer", "1", "--seq-retry-count", "1",
                   "--seq-delay", "5", "--exit-after", "registered")
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    assert events(run.stdout) == [
        'EVENT registration-failed ssid=1 reason="transport error"'] * 2 + FULL_RUN_EVENTS
    assert 2.0 <= elapsed < RUN_TIMEOUT_S, "1 s Retry Timer, then 1 s Client Hold Off Time"
    assert bs.wait_for("BOOTSTRAP-REQUEST").startswith("BOOTSTRAP-REQUEST ep=demo-7")
    assert bs.wait_for("FINISH") == "FINISH 2.04"
    assert dm.wait_for("REGISTERED").startswith("REGISTERED ep=demo-7 location=/rd/1")


def test_rejected_bootstrap_request_exits_1_with_the_reason(demo, rejecting_server, tmp_path):
    run = run_demo(demo, "--endpoint", "demo-1", "--state-dir", str(tmp_path / "state"),
                   "--bootstrap-uri", f"coap://127.0.0.1:{rejecting_server.port}",
                   "--exit-after", "registered", timeout=20)
    assert run.returncode == 1
    assert events(run.stdout)[0] == "EVENT bootstrap-started"
    assert events(run.stdout)[1].startswith('EVENT bootstrap-failed reason="')
    assert run.stderr.splitlines() == [
        "lwbs-demo: bootstrap failed: Bootstrap-Request rejected with 4.00"]
    assert list((tmp_path / "state").iterdir()) == [], "nothing stored"


@pytest.fixture
def coap_rd_psk(tmp_path):
    """``coap-rd-openssl -k Secret123``: DTLS-PSK on port+1 (any identity). Yields the port."""
    from conftest import Process, coap_ping, free_udp_port
    for attempt in range(3):
        port = free_udp_port(pair=True)
        proc = Process(["coap-rd-openssl", "-A", "127.0.0.1", "-p", str(port), "-k", "Secret123"],
                       tmp_path / f"coap-rd-psk-{attempt}.log")
        if coap_ping(port, 15.0):
            break
        proc.stop()
    else:
        pytest.fail("coap-rd-openssl did not come up")
    yield port + 1
    proc.stop()


def test_psk_registration_over_dtls(demo, coap_rd_psk, tmp_path):
    """--psk-identity/--psk-key: the demo registers over DTLS-PSK (CCM-8) with libcoap's RD.
    The demo is killed once registered: coap-rd-openssl 4.3.1 aborts on De-register."""
    argv = [str(demo), "--endpoint", "demo-psk", "--state-dir", str(tmp_path / "state"),
            "--server-uri", f"coaps://127.0.0.1:{coap_rd_psk}", "--ssid", "1",
            "--psk-identity", "demo-psk", "--psk-key", b"Secret123".hex(), "--exit-after", "60"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True).start()
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline and not line.startswith("EVENT registered"):
            try:
                line = lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
        assert line.startswith("EVENT registered ssid=1 location=/rd/"), line
    finally:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("args", [
    [],
    ["--endpoint"],
    ["--endpoint", "e", "--bogus", "1"],
    ["--endpoint", "e", "--server-uri", "coap://127.0.0.1:5683"],
    ["--endpoint", "e", "--server-uri", "coap://127.0.0.1:5683", "--ssid", "65535"],
    ["--endpoint", "e", "--exit-after", "never"],
    ["--endpoint", "e", "--psk-identity", "id"],
    ["--endpoint", "e", "--psk-identity", "id", "--psk-key", "xyz"],
    ["--endpoint", "e", "--hold-off", "-1", "--bootstrap-uri", "coap://127.0.0.1:1"],
    ["--endpoint", "e", "--retry-count", "0"],
    ["--endpoint", "e", "--retry-timer", "1s"],
    ["--endpoint", "e", "--seq-retry-count", "-2"],
    ["--endpoint", "e", "--seq-delay", "4294967296"],
], ids=lambda a: " ".join(a) or "no-args")
def test_bad_arguments_exit_2_with_usage(demo, args, tmp_path):
    run = run_demo(demo, *args, cwd=tmp_path)  # the default --state-dir is ./lwbs-state
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("lwbs-demo: ")
    assert "usage: lwbs-demo --endpoint NAME" in run.stderr
    assert not (tmp_path / "lwbs-state").exists()


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_full_run_under_valgrind_is_clean(demo, servers, tmp_path):
    bs, _ = servers
    valgrind = ("valgrind", "--error-exitcode=99", "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect", "--track-fds=no", "-q")
    run = run_demo(demo, *bootstrap_args(bs, tmp_path / "state", "--exit-after", "registered"),
                   prefix=valgrind, timeout=180)
    assert run.returncode == 0, run.stderr
    assert events(run.stdout) == FULL_RUN_EVENTS
    assert "==" not in run.stderr, run.stderr  # valgrind -q prints only errors


# ----- errors that say what is wrong (docs/errors.md) -------------------------------------------

def test_unknown_option_is_named_even_as_the_last_argument(demo, tmp_path):
    run = run_demo(demo, "--endpoint", "e", "--bogus", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == "lwbs-demo: unknown option: --bogus"


def test_a_value_starting_with_dashes_is_a_missing_value(demo, tmp_path):
    run = run_demo(demo, "--endpoint", "--server-uri", "coap://127.0.0.1:1", "--ssid", "1",
                   cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == "lwbs-demo: missing value for: --endpoint"
    assert not (tmp_path / "lwbs-state").exists()


@pytest.mark.parametrize("uri,psk,reason", [
    ("http://127.0.0.1:1", False, "unknown URI scheme (coap:// or coaps:// expected)"),
    ("coap://:5683", False, "missing or malformed host in the URI"),
    ("coap://127.0.0.1:99999", False, "bad port in the URI (1..65535)"),
    ("coaps://127.0.0.1:1", False,
     "coaps:// URI with Security Mode NoSec: coaps needs PSK or certificate credentials"),
    ("coap://127.0.0.1:1", True, "Security Mode PSK needs a coaps:// URI, not coap://"),
])
def test_an_invalid_account_says_why(demo, tmp_path, uri, psk, reason):
    args = ["--endpoint", "e", "--state-dir", str(tmp_path / "state"), "--server-uri", uri,
            "--ssid", "1"]
    if psk:
        args += ["--psk-identity", "id", "--psk-key", "00112233"]
    run = run_demo(demo, *args)
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        f"lwbs-demo: cannot use the server account: invalid account (account {uri}: {reason})")
    assert "not in this build" not in run.stderr


def test_an_endpoint_longer_than_its_uri_query_option_is_refused_with_the_reason(demo, tmp_path):
    run = run_demo(demo, "--endpoint", "e" * 5000, "--state-dir", str(tmp_path / "state"),
                   "--server-uri", "coap://127.0.0.1:1", "--ssid", "1")
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        "lwbs-demo: cannot create the client: invalid argument (Endpoint Client Name of 5000 "
        "bytes is too long: ep=NAME must fit one 255-byte Uri-Query option, so NAME is at most "
        "252 bytes)")


def test_an_unresolvable_host_fails_at_once_naming_the_resolution(demo, tmp_path):
    """RFC 6761: names under .invalid never resolve. The bootstrap fails as soon as the
    platform's open fails, not after the Bootstrap-Request's 72 s of retransmissions."""
    started = time.monotonic()
    run = run_demo(demo, "--endpoint", "e", "--state-dir", str(tmp_path / "state"),
                   "--bootstrap-uri", "coap://bootstrap.lwbs-test.invalid:5683",
                   "--exit-after", "registered", timeout=30)
    elapsed = time.monotonic() - started
    assert run.returncode == 1
    assert elapsed < 5.0, elapsed
    assert events(run.stdout) == [
        "EVENT bootstrap-started",
        'EVENT bootstrap-failed reason="could not open a connection to the Bootstrap-Server '
        '(the platform\'s open failed)"']
    assert "cannot resolve bootstrap.lwbs-test.invalid:5683" in run.stderr
    assert run.stderr.splitlines()[-1].startswith("lwbs-demo: bootstrap failed: could not open")


def test_a_dm_only_setup_whose_server_fails_names_the_root_cause(demo, tmp_path):
    from conftest import free_udp_port
    dead = free_udp_port()
    run = run_demo(demo, "--endpoint", "e", "--state-dir", str(tmp_path / "state"),
                   "--server-uri", f"coap://127.0.0.1:{dead}", "--ssid", "3",
                   "--retry-count", "1", "--seq-retry-count", "1", "--exit-after", "registered",
                   timeout=30)
    assert run.returncode == 1
    assert events(run.stdout)[-1] == (
        'EVENT bootstrap-failed reason="registration with ssid 3 failed: transport error; '
        'no Bootstrap-Server to fall back to"')
    assert run.stderr.splitlines()[-1] == (
        "lwbs-demo: bootstrap failed: registration with ssid 3 failed: transport error; "
        "no Bootstrap-Server to fall back to")


def test_sigint_before_the_goal_exits_130(demo, tmp_path):
    """A Bootstrap-Server that never answers: SIGINT while bootstrapping stops the run before
    --exit-after registered, so the status says so (128 + SIGINT)."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    proc = subprocess.Popen([str(demo), "--endpoint", "e", "--state-dir", str(tmp_path / "state"),
                             "--bootstrap-uri", f"coap://127.0.0.1:{silent.getsockname()[1]}",
                             "--exit-after", "registered"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "EVENT bootstrap-started"
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        silent.close()
    assert proc.returncode == 130, err
    assert "interrupted by signal 2 before the --exit-after goal" in err
    assert events(rest)[-1] == "EVENT stopped"


def test_a_configuration_that_cannot_be_saved_is_not_acknowledged(demo, start_server, tmp_path):
    """The durability contract (docs/persistence.md): the first run bootstraps and saves
    generation 1 into slot 1. The DM server goes away, so the second run falls back to a
    bootstrap whose generation 2 belongs to slot 0, which is a directory (a save that really
    fails, also as root): the Bootstrap-Server gets 5.00 to its Finish, never 2.04, the demo
    exits non-zero and slot 1 still holds the first configuration, byte for byte."""
    dm = start_server("dm_server")
    bs = start_server("bootstrap_server", "--server-uri", f"coap://127.0.0.1:{dm.port}")
    state = tmp_path / "state"
    first = run_demo(demo, *bootstrap_args(bs, state, "--exit-after", "registered"))
    assert first.returncode == 0, first.stderr
    assert bs.wait_for("FINISH") == "FINISH 2.04"
    saved = (state / "slot1.img").read_bytes()
    dm.stop()
    (state / "slot0.img").mkdir()
    second = run_demo(demo, *bootstrap_args(bs, state, "--exit-after", "registered",
                                            "--retry-count", "1", "--seq-retry-count", "1"))
    assert second.returncode != 0, second.stdout
    got = events(second.stdout)
    assert 'EVENT storage-failed detail="slot 0 generation 2: save failed"' in got, got
    assert 'EVENT bootstrap-failed reason="the new configuration could not be saved"' in got
    assert "EVENT bootstrap-finished accounts=1" not in got
    # The server logs its answer after sending it: wait for the line, do not race the demo's exit.
    bs.wait_for("FINISH 5.00")
    finishes = [line for line in bs.output() if line.startswith("FINISH")]
    assert finishes == ["FINISH 2.04", "FINISH 5.00"], bs.output()
    assert (state / "slot1.img").read_bytes() == saved, "the old configuration is intact"
    assert (state / "slot0.img").is_dir()
    assert "could not be saved" in second.stderr


def test_a_state_dir_that_is_not_a_directory_is_refused_up_front(demo, tmp_path):
    not_a_dir = tmp_path / "state"
    not_a_dir.write_text("a file")
    run = run_demo(demo, "--endpoint", "demo-1", "--bootstrap-uri", "coap://127.0.0.1:9",
                   "--state-dir", str(not_a_dir))
    assert run.returncode == 1
    assert run.stderr.strip() == f"lwbs-demo: --state-dir {not_a_dir} is not a directory"
    assert run.stdout == ""
    assert not_a_dir.read_text() == "a file"
