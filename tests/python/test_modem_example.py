"""README's "Modem or firmware TLS" example (c-examples/modem_tls.c) runs as documented: the
library hands its PSK account to the platform's open_secure, sends plain CoAP on it, and takes
the handshake failure the platform reports (the connection is closed for a new attempt)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = Path(os.environ.get("LWBS_MODEM_TLS", ROOT / "build" / "c-examples" / "lwbs-modem-tls"))


def test_the_modem_example_gets_the_credentials_and_reports_a_failed_handshake():
    if not os.access(EXAMPLE, os.X_OK):
        pytest.fail(f"{EXAMPLE} is missing: cmake -S . -B build && cmake --build build")
    run = subprocess.run([str(EXAMPLE)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == ("open_secure conn 1 coaps://127.0.0.1:5684 psk identity modem-id, "
                        "key 16 bytes, bootstrap 0")
    assert lines[1].startswith("send conn 1, ") and lines[1].endswith("bytes of CoAP (version 1)")
    assert lines[2] == "close conn 1 (the modem sends close_notify)"
    assert lines[3] == "handshake failed reported: success"
    assert "0123456789abcdef" not in run.stdout + run.stderr, "the key is never printed"
