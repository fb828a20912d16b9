"""Shared fixtures: the library, the aiocoap test servers, a libcoap resource directory.

Every server a test starts is stopped by the fixture's finalizer; ports are picked at run time.
Environment: ``LWBS_LIBRARY`` (path of liblwm2m_bootstrap.so; default: newest of build/lib and
target/{release,debug}), ``COAP_RD`` (the libcoap RD binary; default ``coap-rd-openssl``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lwbs_testservers import BootstrapServer, DmServer  # noqa: E402


@pytest.fixture(scope="session")
def lib():
    """The loaded C library (fails the test when it is missing or lacks the lwbs_* exports)."""
    from lwm2m_bootstrap import load_library
    try:
        return load_library()
    except OSError as exc:
        pytest.fail(f"C library unusable: {exc}")


@pytest.fixture
def dm_server():
    """A running :class:`DmServer` on 127.0.0.1 (free port)."""
    server = DmServer().start_in_thread()
    yield server
    server.stop_thread()


@pytest.fixture
def bootstrap_server_factory():
    """``make(**kwargs)`` → a running :class:`BootstrapServer`; all are stopped afterwards."""
    servers = []

    def make(**kwargs):
        server = BootstrapServer(**kwargs).start_in_thread()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop_thread()


@pytest.fixture
def make_client(lib):
    """``make(endpoint, **kwargs)`` → a :class:`lwm2m_bootstrap.Client`; all closed afterwards."""
    from lwm2m_bootstrap import Client
    clients = []

    def make(endpoint="urn:dev:pytest", **kwargs):
        client = Client(endpoint, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def free_udp_port(pair: bool = False) -> int:
    """A UDP port on 127.0.0.1 that is free right now (and, with ``pair``, so is port+1)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not pair or port >= 65535:
            return port
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s2:
                s2.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free UDP port pair")


def coap_ping(port: int, timeout: float) -> bool:
    """Sends CoAP pings (empty CON) to 127.0.0.1:port until a RST comes back."""
    end = time.monotonic() + timeout
    mid = 0x1234
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.monotonic() < end:
            mid += 1
            try:
                s.sendto(bytes([0x40, 0x00, mid >> 8, mid & 0xFF]), ("127.0.0.1", port))
                data = s.recv(64)
                if len(data) >= 4 and data[0] >> 4 & 0x3 == 3:  # RST
                    return True
            except (socket.timeout, ConnectionRefusedError):
                pass
    return False


class Process:
    """A child process whose output goes to a file; :meth:`stop` terminates it."""

    def __init__(self, argv, log_path):
        self.argv = argv
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.proc.returncode


@pytest.fixture
def coap_rd(tmp_path):
    """An independent libcoap resource directory (``coap-rd-openssl -A 127.0.0.1 -p P``).

    Yields ``(port, process)``. Note: libcoap 4.3.1's RD aborts on De-register.
    """
    binary = os.environ.get("COAP_RD", "coap-rd-openssl")
    if shutil.which(binary) is None:
        pytest.fail(f"{binary} not installed (Debian libcoap3-bin; run bash tests/setup.sh)")
    for attempt in range(3):
        port = free_udp_port(pair=True)
        proc = Process([binary, "-A", "127.0.0.1", "-p", str(port), "-v", "6"],
                       tmp_path / f"coap-rd-{attempt}.log")
        if coap_ping(port, 15.0):
            break
        proc.stop()
    else:
        pytest.fail(f"{binary} did not come up: {proc.output()}")
    yield port, proc
    proc.stop()
