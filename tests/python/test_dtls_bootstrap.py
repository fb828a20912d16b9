"""The demo bootstraps over DTLS-PSK from aiocoap's test Bootstrap Server on the tinydtls
server transport (``lwbs_testservers.dtls``): an independent DTLS stack playing the
Bootstrap-Server, its Discover, Deletes, Writes and Finish sent inside the client's session.
tinydtls requires the extended master secret and the renegotiation-info SCSV (the client sends
both) and caps PSKs at 16 bytes."""

from __future__ import annotations

import subprocess

import pytest

from conftest import free_udp_port
from test_demo import demo  # noqa: F401  (fixture)

from lwbs_testservers.dtls import DtlsBootstrapServer

KEY = b"Secret123"


@pytest.fixture
def dtls_bootstrap_server():
    port = free_udp_port(pair=True)
    server = DtlsBootstrapServer("demo-dtls", KEY, bind=("127.0.0.1", port),
                                 server_uri="coap://127.0.0.1:5683").start_in_thread()
    yield server
    server.stop_thread()


def test_bootstrap_over_dtls_psk_from_aiocoap_tinydtls(demo, dtls_bootstrap_server, tmp_path):  # noqa: F811
    bs = dtls_bootstrap_server
    argv = [str(demo), "--endpoint", "demo-dtls", "--state-dir", str(tmp_path / "state"),
            "--bootstrap-uri", f"coaps://127.0.0.1:{bs.port}",
            "--psk-identity", "demo-dtls", "--psk-key", KEY.hex(),
            "--exit-after", "bootstrapped"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "EVENT bootstrap-finished accounts=1" in proc.stdout, proc.stdout
    steps = bs.wait_done(timeout=20)
    assert bs.requests and bs.requests[0]["ep"] == "demo-dtls"
    assert [s.code for s in steps][-1] == "2.04", bs.lines
    assert all(s.code.startswith("2.") for s in steps), bs.lines
    assert any(line.startswith("FINISH 2.04") for line in bs.lines), bs.lines
