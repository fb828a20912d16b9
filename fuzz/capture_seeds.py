"""Captures real datagrams for the CoAP and link-format fuzz seeds (fuzz/seeds/):

- a bootstrap, registration, Update and DM reads between the library (ctypes wrapper) and the
  aiocoap test Bootstrap-Server and DM server over UDP on 127.0.0.1, every datagram both ways;
- libcoap's coap-client-notls (Debian libcoap3-bin) sending GET, PUT with Block1, POST with
  queries, Observe and Accept to a local socket, every datagram it sent.

Run from the repository root after tests/setup.sh and `cargo build`:
    LWBS_LIBRARY=target/debug/liblwm2m_bootstrap.so .venv/bin/python fuzz/capture_seeds.py
The output is committed; rerun only to refresh it."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import tempfile
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "python"), str(ROOT / "tests" / "python")]

from aiocoap.numbers.codes import Code  # noqa: E402
from lwm2m_bootstrap import Client, EventKind, VirtualClock  # noqa: E402
from lwbs_testservers.bootstrap_server import BootstrapServer  # noqa: E402
from lwbs_testservers.dm_server import DmServer  # noqa: E402

SEEDS = ROOT / "fuzz" / "seeds"


def save(target: str, data: bytes) -> None:
    directory = SEEDS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ("cap-" + hashlib.sha1(data).hexdigest()[:12])).write_bytes(data)


def chunk(data: bytes) -> bytes:
    if len(data) < 255:
        return bytes([len(data)]) + data
    return b"\xff" + len(data).to_bytes(2, "little") + data


def aiocoap_session() -> list[bytes]:
    dm = DmServer().start_in_thread()
    bs = BootstrapServer(server_uri=f"coap://127.0.0.1:{dm.port}", scenario="int4").start_in_thread()
    datagrams: list[bytes] = []
    try:
        clock = VirtualClock()
        client = Client("urn:dev:capture", clock=clock)
        original = client.recv

        def recording(conn, data, now_ms=None):
            datagrams.append(bytes(data))
            original(conn, data, now_ms)

        client.recv = recording
        client.provision_bootstrap_server(f"coap://127.0.0.1:{bs.port}")
        client.start()
        client.wait_event(EventKind.REGISTERED, 30)
        for path in ("/3/0", "/1/0", "/0/0", "/1"):
            future = dm.request_client("/rd/1", Code.GET, path)
            client.run_until(future.done, 10)
        clock.advance(300_000)
        client.wait_event(EventKind.UPDATED, 30)
        client.stop()
        client.wait_event(EventKind.STOPPED, 30)
        datagrams += [d for _, d in client.transport.sent]
        client.close()
    finally:
        bs.stop_thread()
        dm.stop_thread()
    return datagrams


def libcoap_datagrams() -> list[bytes]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    port = sock.getsockname()[1]
    base = f"coap://127.0.0.1:{port}"
    tlv_file = Path(tempfile.mkdtemp()) / "server.tlv"
    tlv_file.write_bytes(bytes.fromhex("0800 08 c100 01".replace(" ", "")))
    runs = [
        ["-m", "get", f"{base}/0/0"],
        ["-m", "get", "-A", "40", f"{base}/"],
        ["-m", "put", "-t", "11542", "-f", str(tlv_file), f"{base}/1/0"],
        ["-m", "put", "-b", "16", "-t", "0", "-e", "x" * 100, f"{base}/1/0/1"],
        ["-m", "post", f"{base}/bs?ep=urn:dev:x&pct=11542"],
        ["-m", "delete", f"{base}/0/1"],
        ["-m", "get", "-s", "5", f"{base}/3/0/13"],
        ["-m", "post", "-N", "-T", "cafe", f"{base}/rd?ep=a&lt=300&lwm2m=1.1&b=U"],
    ]
    out = []
    for args in runs:
        proc = subprocess.Popen(["coap-client-notls", "-B", "1", *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                try:
                    data, _ = sock.recvfrom(2048)
                except socket.timeout:
                    break
                out.append(data)
                break  # the first datagram (retransmissions are the same bytes)
        finally:
            proc.kill()
            proc.wait()
    sock.close()
    return out


def main() -> int:
    captured = aiocoap_session()
    captured += libcoap_datagrams()
    for d in captured:
        save("coap_message", d)
    # The endpoint program: a 2-byte seed, then "datagram" steps.
    save("coap_endpoint", b"\x01\x00" + b"".join(b"\x00" + chunk(d) for d in captured[:12]))
    for d in captured:
        payload = d.split(b"\xff", 1)[1] if b"\xff" in d else b""
        if payload.startswith(b"<"):
            save("link_format", payload)
    print(f"{len(captured)} datagrams captured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
