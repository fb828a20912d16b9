"""Platform-provided security end to end: ``lwbs-demo --platform-tls`` secures PSK, RPK and
certificate accounts itself with GnuTLS (c-examples/gnutls_security.c), the library handing it
the credentials (``open_secure``) and plain CoAP, against libcoap's GnuTLS servers
(``coap-rd-gnutls``, ``coap-server-gnutls``: an independent DTLS stack), over real UDP on
127.0.0.1 with ports picked at run time. Keys and certificates are made for each test with the
``openssl`` CLI. A relay that parses DTLS records compares the wire behaviour with the
library's own Mbed TLS path (same handshakes, close_notify at the same point).

The demo must be built with GnuTLS (CMake finds libgnutls28-dev: LWBS_EXAMPLES_GNUTLS); a demo
without it fails these tests with that message. Every process a test starts is stopped by it.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import Process, coap_ping, free_udp_port
from test_demo import RUN_TIMEOUT_S, demo, events, start_server  # noqa: F401 (fixtures)

KEY = b"Secret123"
RPK_ESTABLISHED = "DTLS RPK session established (ECDHE_ECDSA_AES_128_CCM_8)"
CERT_ESTABLISHED = "DTLS certificate session established (ECDHE_ECDSA_AES_128_CCM_8)"
PSK_ESTABLISHED = "DTLS PSK session established (PSK_AES_128_CCM_8)"
REFUSED = "the platform refused the account's security mode or credentials"


def bootstrap_events(location: str) -> list[str]:
    return ["EVENT bootstrap-started", "EVENT bootstrap-finished accounts=1",
            "EVENT configuration-changed", f"EVENT registered ssid=1 location={location}",
            "EVENT deregistered ssid=1", "EVENT stopped"]


# ----- helpers ------------------------------------------------------------------------------------

class Demo:
    """A running lwbs-demo: stdout lines collected, stderr to a file (it may be long)."""

    def __init__(self, demo_path: Path, log: Path, *args: str, level: int = 3):
        self.err_path = log
        self._err = open(log, "w")
        env = dict(os.environ, LWBS_LOG_LEVEL=str(level))
        self.proc = subprocess.Popen([str(demo_path), *args], stdout=subprocess.PIPE,
                                     stderr=self._err, stdin=subprocess.DEVNULL, text=True,
                                     env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} from the demo; got {self.seen}; stderr:\n"
                                     f"{self.stderr()}") from None
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def wait_exit(self, timeout: float = RUN_TIMEOUT_S) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self.stop()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._err.close()
        return self.proc.returncode

    def events(self) -> list[str]:
        """Every EVENT line (waits for the end of stdout once the process exited)."""
        if self.proc.poll() is not None:
            while True:
                try:
                    self.seen.append(self.lines.get(timeout=1))
                except queue.Empty:
                    break
        return [s for s in self.seen if s.startswith("EVENT ")]

    def stderr(self) -> str:
        if not self._err.closed:
            self._err.flush()
        return self.err_path.read_text(errors="replace")


@pytest.fixture
def gnutls_demo(demo, tmp_path):  # noqa: F811
    """The demo, checked to be built with --platform-tls (GnuTLS); fails with the reason."""
    run = subprocess.run([str(demo), "--endpoint", "probe", "--state-dir",
                          str(tmp_path / "probe"), "--server-uri", "coap://127.0.0.1:9",
                          "--ssid", "1", "--platform-tls", "--exit-after", "0"],
                         capture_output=True, text=True, timeout=30)
    if "built without GnuTLS" in run.stderr:
        pytest.fail(f"{demo} has no --platform-tls: {run.stderr.strip()} "
                    "(apt-get install libgnutls28-dev, then cmake -S . -B build again)")
    return demo


@pytest.fixture
def demos(tmp_path):
    """``start(demo, *args)`` → a running :class:`Demo`; all stopped after."""
    started: list[Demo] = []

    def start(demo_path: Path, *args: str, level: int = 3) -> Demo:
        d = Demo(demo_path, tmp_path / f"demo-{len(started)}.err", *args, level=level)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()
    # Under tests/sanitizers.sh (LWBS_DEMO = the ASan+UBSan build) a report fails the test.
    reports = [d.err_path.name for d in started
               if re.search(r"Sanitizer|runtime error", d.stderr())]
    assert not reports, f"sanitizer reports in {reports}"


@pytest.fixture
def libcoap(tmp_path):
    """``start(binary, *args)`` → (port, Process): a libcoap server on 127.0.0.1, plain CoAP on
    port (answers a CoAP ping before this returns), DTLS on port + 1; all stopped after."""
    started: list[Process] = []

    def start(binary: str, *args: str) -> tuple[int, Process]:
        if shutil.which(binary) is None:
            pytest.fail(f"{binary} not installed (Debian libcoap3-bin; bash tests/setup.sh)")
        for attempt in range(3):
            port = free_udp_port(pair=True)
            # stdbuf -oL: libcoap prints the messages on stdout, block-buffered into a file.
            proc = Process(["stdbuf", "-oL", binary, "-A", "127.0.0.1", "-p", str(port),
                            "-v", "7", *args],
                           tmp_path / f"{binary}-{len(started)}-{attempt}.log")
            started.append(proc)
            if coap_ping(port, 15.0):
                return port, proc
            proc.stop()
        pytest.fail(f"{binary} did not come up: {proc.output()}")

    yield start
    for proc in started:
        proc.stop()


def openssl(*args: str, cwd: Path) -> None:
    run = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"openssl {' '.join(args)}: {run.stderr}"


@pytest.fixture
def rpk_keys(tmp_path) -> Path:
    """P-256 keys in tmp_path/rpk: server.pem (EC PRIVATE KEY + PUBLIC KEY, for libcoap's -M),
    server.spki.der, client.spki.der, client.p8.der (PKCS#8), client.sec1.der (SEC1),
    other.spki.der (a key nobody uses)."""
    d = tmp_path / "rpk"
    d.mkdir()
    for name in ("server", "client", "other"):
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key",
                cwd=d)
        openssl("ec", "-in", f"{name}.key", "-pubout", "-outform", "DER", "-out",
                f"{name}.spki.der", cwd=d)
    openssl("ec", "-in", "server.key", "-pubout", "-out", "server.pub", cwd=d)
    (d / "server.pem").write_bytes((d / "server.key").read_bytes() +
                                   (d / "server.pub").read_bytes())
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", "client.key", "-outform", "DER", "-out",
            "client.p8.der", cwd=d)
    openssl("ec", "-in", "client.key", "-outform", "DER", "-out", "client.sec1.der", cwd=d)
    return d


@pytest.fixture
def x509(tmp_path) -> Path:
    """A CA and two P-256 certificates it signed in tmp_path/x509: ca.pem/ca.der,
    server.pem + server.key (PEM, CN=127.0.0.1) and server.der, client.der + client.p8.der."""
    d = tmp_path / "x509"
    d.mkdir()
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=lwbs test CA", cwd=d)
    for name, cn in (("server", "127.0.0.1"), ("client", "demo-cert")):
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj",
                f"/CN={cn}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", cwd=d)
        openssl("x509", "-in", f"{name}.pem", "-outform", "DER", "-out", f"{name}.der", cwd=d)
    openssl("x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der", cwd=d)
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", "client.key", "-outform", "DER", "-out",
            "client.p8.der", cwd=d)
    return d


def bootstrap_demo_args(bs_port: int, state: Path, *more: str) -> list[str]:
    return ["--endpoint", "demo-tls", "--bootstrap-uri", f"coap://127.0.0.1:{bs_port}",
            "--state-dir", str(state), *more]


def coap_lines(proc: Process) -> list[str]:
    """The CoAP messages a libcoap server logged (-v 7): ``v:1 t:CON c:POST ...``, without
    the fixture's readiness pings (empty CON, RST)."""
    return [line for line in proc.output().splitlines()
            if line.startswith("v:1 ") and " c:0.00 " not in line]


def wait_coap_line(proc: Process, pattern: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in coap_lines(proc) if re.search(pattern, line)]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"the server logged no {pattern!r}: {coap_lines(proc)}")
        time.sleep(0.1)


class UdpRecorder:
    """A UDP socket that records every datagram and answers none (a server port that must
    stay silent)."""

    def __init__(self, port: int):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.1)
        self.datagrams: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                self.datagrams.append(self.sock.recv(4096))
            except socket.timeout:
                continue

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


# ----- a. factory PSK account --------------------------------------------------------------------

def test_a_factory_psk_account_registers_over_gnutls_with_coap_rd_gnutls(gnutls_demo, libcoap,
                                                                         demos, tmp_path):
    """--psk-identity/--psk-key with --platform-tls: GnuTLS, not the library, runs the DTLS
    session (its log line), and libcoap's GnuTLS RD gets the Register inside it. The demo is
    killed once registered: coap-rd-gnutls 4.3.1, like coap-rd-openssl, aborts on De-register."""
    port, rd = libcoap("coap-rd-gnutls", "-k", KEY.decode())
    d = demos(gnutls_demo, "--endpoint", "demo-psk", "--state-dir", str(tmp_path / "state"),
              "--server-uri", f"coaps://127.0.0.1:{port + 1}", "--ssid", "1",
              "--psk-identity", "demo-psk", "--psk-key", KEY.hex(), "--platform-tls",
              "--exit-after", "60")
    line = d.wait_for("EVENT registered", timeout=20)
    location = line.split("location=")[1]
    assert re.fullmatch(r"/rd/[0-9a-f-]+", location), line
    post = wait_coap_line(rd, r"c:POST .*Uri-Path:rd,")
    assert "Uri-Query:ep=demo-psk" in post and "Uri-Query:b=U" in post, post
    created = wait_coap_line(rd, r"c:2\.01 ")
    assert f"Location-Path:rd, Location-Path:{location.split('/')[2]} " in created, created
    assert PSK_ESTABLISHED in d.stderr()
    assert KEY.hex() not in d.stderr() and "Secret123" not in d.stderr()


def test_a_the_bootstrap_server_account_over_gnutls_with_aiocoap_tinydtls(gnutls_demo, demos,
                                                                          tmp_path):
    """A coaps:// factory Bootstrap-Server account (PSK) goes to the platform too
    (lwbs_security.bootstrap set): the demo bootstraps over GnuTLS from aiocoap's tinydtls
    Bootstrap-Server, whose Discover, Deletes, Writes and Finish come inside that session
    (tinydtls needs the extended master secret; GnuTLS sends it by default)."""
    from lwbs_testservers.dtls import DtlsBootstrapServer
    port = free_udp_port(pair=True)
    bs = DtlsBootstrapServer("demo-dtls", KEY, bind=("127.0.0.1", port),
                             server_uri="coap://127.0.0.1:5683").start_in_thread()
    try:
        d = demos(gnutls_demo, "--endpoint", "demo-dtls", "--state-dir", str(tmp_path / "state"),
                  "--bootstrap-uri", f"coaps://127.0.0.1:{bs.port}",
                  "--psk-identity", "demo-dtls", "--psk-key", KEY.hex(), "--platform-tls",
                  "--exit-after", "bootstrapped", level=4)
        assert d.wait_exit() == 0, d.stderr()
        steps = bs.wait_done(timeout=20)
    finally:
        bs.stop_thread()
    assert d.events() == ["EVENT bootstrap-started", "EVENT bootstrap-finished accounts=1",
                          "EVENT configuration-changed", "EVENT stopped"]
    assert f"open over GnuTLS DTLS: coaps://127.0.0.1:{bs.port} (Bootstrap-Server)" in d.stderr()
    assert PSK_ESTABLISHED in d.stderr()
    assert bs.requests and bs.requests[0]["ep"] == "demo-dtls"
    assert all(step.code.startswith("2.") for step in steps), bs.lines
    assert any(line.startswith("FINISH 2.04") for line in bs.lines), bs.lines


# ----- b. full bootstrap in RPK mode -------------------------------------------------------------

@pytest.mark.parametrize("key_format", ["p8", "sec1"])
def test_b_bootstrap_writes_an_rpk_account_and_the_demo_registers_over_rpk(
        gnutls_demo, libcoap, start_server, demos, rpk_keys, tmp_path, key_format):  # noqa: F811
    """The NoSec test Bootstrap-Server writes an RPK DM account (/0/x/3 own SPKI, /0/x/4 the
    server's SPKI, /0/x/5 the private key as PKCS#8 or SEC1 DER); the demo registers with
    coap-server-gnutls -M (RFC 7250 raw public keys; its -d lets POST /rd create resource rd,
    2.01 Location-Path rd), and deregisters (DELETE /rd, 2.02) at the end."""
    port, server = libcoap("coap-server-gnutls", "-M", str(rpk_keys / "server.pem"), "-d", "10")
    bs = start_server("bootstrap_server", "--server-uri", f"coaps://127.0.0.1:{port + 1}",
                      "--security-mode", "rpk",
                      "--identity-file", str(rpk_keys / "client.spki.der"),
                      "--server-key-file", str(rpk_keys / "server.spki.der"),
                      "--secret-key-file", str(rpk_keys / f"client.{key_format}.der"))
    d = demos(gnutls_demo, *bootstrap_demo_args(bs.port, tmp_path / "state", "--platform-tls",
                                                 "--exit-after", "registered"))
    assert d.wait_exit() == 0, d.stderr()
    assert d.events() == bootstrap_events("/rd")
    assert bs.wait_for("FINISH") == "FINISH 2.04"
    post = wait_coap_line(server, r"t:CON c:POST .*Uri-Path:rd,")
    assert "Uri-Query:ep=demo-tls" in post, post
    assert "Location-Path:rd," in wait_coap_line(server, r"c:2\.01 ")
    wait_coap_line(server, r"t:CON c:DELETE .*Uri-Path:rd \]")
    wait_coap_line(server, r"c:2\.02 ")
    assert RPK_ESTABLISHED in d.stderr()


def test_b_an_rpk_server_whose_key_is_not_the_one_in_0_x_4_is_refused(
        gnutls_demo, libcoap, start_server, demos, rpk_keys, tmp_path):  # noqa: F811
    """/0/x/4 names another key than the server's: GnuTLS refuses the server (bad_certificate,
    42, sent), the library records a handshake failure with that alert, and the server never
    gets a CoAP request."""
    port, server = libcoap("coap-server-gnutls", "-M", str(rpk_keys / "server.pem"), "-d", "10")
    bs = start_server("bootstrap_server", "--server-uri", f"coaps://127.0.0.1:{port + 1}",
                      "--security-mode", "rpk",
                      "--identity-file", str(rpk_keys / "client.spki.der"),
                      "--server-key-file", str(rpk_keys / "other.spki.der"),
                      "--secret-key-file", str(rpk_keys / "client.p8.der"))
    d = demos(gnutls_demo, *bootstrap_demo_args(bs.port, tmp_path / "state", "--platform-tls",
                                                 "--exit-after", "registered"))
    line = d.wait_for("EVENT registration-failed")
    assert line == 'EVENT registration-failed ssid=1 reason="DTLS handshake failed (alert 42)"'
    assert "server not verified" in d.stderr()
    assert "the server's raw public key is not the one in /0/x/4" in d.stderr()
    d.stop()
    assert not [l for l in coap_lines(server) if "c:POST" in l], coap_lines(server)


def test_b_modes_not_given_to_the_platform_stay_the_librarys(gnutls_demo, start_server, demos,
                                                            rpk_keys, tmp_path):  # noqa: F811
    """--platform-tls-modes psk: the platform takes PSK only, so an RPK account (which the
    library's Mbed TLS cannot do) is refused at Bootstrap-Finish (4.06), not handed over."""
    bs = start_server("bootstrap_server", "--server-uri", "coaps://127.0.0.1:9",
                      "--security-mode", "rpk",
                      "--identity-file", str(rpk_keys / "client.spki.der"),
                      "--server-key-file", str(rpk_keys / "server.spki.der"),
                      "--secret-key-file", str(rpk_keys / "client.p8.der"))
    d = demos(gnutls_demo, *bootstrap_demo_args(bs.port, tmp_path / "state",
                                                 "--platform-tls-modes", "psk",
                                                 "--exit-after", "registered"))
    assert bs.wait_for("FINISH", timeout=30) == "FINISH 4.06"
    d.stop()
    assert "EVENT bootstrap-finished accounts=1" not in d.events()
    assert "open over GnuTLS" not in d.stderr()


# ----- c. certificate mode -----------------------------------------------------------------------

@pytest.mark.parametrize("usage,server_key,matching", [
    (3, "server.der", None), (2, "ca.der", None), (3, "server.der.sha256", 1)],
    ids=["usage3-pinned-leaf", "usage2-trust-anchor", "usage3-sha256-of-leaf"])
def test_c_bootstrap_writes_a_certificate_account_and_the_demo_registers(
        gnutls_demo, libcoap, start_server, demos, x509, tmp_path, usage, server_key,  # noqa: F811
        matching):
    """Certificate mode against coap-server-gnutls -c -j -C (which also checks the client's
    certificate against the CA): Certificate Usage 3 pins the server's leaf to /0/x/4 (in full,
    or its SHA-256 with Matching Type 1), usage 2 makes /0/x/4 (the CA) the trust anchor of
    the server's chain."""
    (x509 / "server.der.sha256").write_bytes(
        hashlib.sha256((x509 / "server.der").read_bytes()).digest())
    more = ["--matching-type", str(matching)] if matching is not None else []
    port, server = libcoap("coap-server-gnutls", "-c", str(x509 / "server.pem"),
                           "-j", str(x509 / "server.key"), "-C", str(x509 / "ca.pem"), "-d", "10")
    bs = start_server("bootstrap_server", "--server-uri", f"coaps://127.0.0.1:{port + 1}",
                      "--security-mode", "cert", "--identity-file", str(x509 / "client.der"),
                      "--server-key-file", str(x509 / server_key),
                      "--secret-key-file", str(x509 / "client.p8.der"),
                      "--certificate-usage", str(usage), *more)
    d = demos(gnutls_demo, *bootstrap_demo_args(bs.port, tmp_path / "state", "--platform-tls",
                                                 "--exit-after", "registered"))
    assert d.wait_exit() == 0, d.stderr()
    assert d.events() == bootstrap_events("/rd")
    assert "Uri-Query:ep=demo-tls" in wait_coap_line(server, r"t:CON c:POST .*Uri-Path:rd,")
    wait_coap_line(server, r"c:2\.02 ")
    assert CERT_ESTABLISHED in d.stderr()


@pytest.mark.parametrize("usage,server_key,why", [
    (3, "ca.der", "the server's certificate is not the one in /0/x/4 (Certificate Usage 3)"),
    (2, "client.der", "the server's certificate chain does not verify against /0/x/4"),
], ids=["usage3-other-pin", "usage2-other-anchor"])
def test_c_a_server_certificate_that_does_not_match_0_x_4_is_refused(
        gnutls_demo, libcoap, start_server, demos, x509, tmp_path, usage, server_key,  # noqa: F811
        why):
    port, server = libcoap("coap-server-gnutls", "-c", str(x509 / "server.pem"),
                           "-j", str(x509 / "server.key"), "-C", str(x509 / "ca.pem"), "-d", "10")
    bs = start_server("bootstrap_server", "--server-uri", f"coaps://127.0.0.1:{port + 1}",
                      "--security-mode", "cert", "--identity-file", str(x509 / "client.der"),
                      "--server-key-file", str(x509 / server_key),
                      "--secret-key-file", str(x509 / "client.p8.der"),
                      "--certificate-usage", str(usage))
    d = demos(gnutls_demo, *bootstrap_demo_args(bs.port, tmp_path / "state", "--platform-tls",
                                                 "--exit-after", "registered"))
    line = d.wait_for("EVENT registration-failed")
    assert line == 'EVENT registration-failed ssid=1 reason="DTLS handshake failed (alert 42)"'
    assert why in d.stderr()
    d.stop()
    assert not [l for l in coap_lines(server) if "c:POST" in l], coap_lines(server)
    assert re.search(r"Alert '42'", server.output()), "the server got our bad_certificate"


# ----- d. failures reported through lwbs_client_conn_security_failed, refusals ------------------

def test_d_a_wrong_psk_is_a_handshake_timeout_reported_by_the_platform(gnutls_demo, libcoap,
                                                                       demos, tmp_path):
    """coap-rd-gnutls with another key answers the wrong Finished with silence (it discards the
    record it cannot decrypt): GnuTLS's handshake times out (--platform-tls-timeout 3), the
    main loop reports LWBS_SECURITY_FAILURE_TIMEOUT and the Register attempt fails with
    HANDSHAKE (no alert); with one attempt and no Bootstrap-Server the demo exits 1."""
    port, rd = libcoap("coap-rd-gnutls", "-k", KEY.decode())
    started = time.monotonic()
    d = demos(gnutls_demo, "--endpoint", "demo-psk", "--state-dir", str(tmp_path / "state"),
              "--server-uri", f"coaps://127.0.0.1:{port + 1}", "--ssid", "1",
              "--psk-identity", "demo-psk", "--psk-key", b"WrongKey".hex(), "--platform-tls",
              "--platform-tls-timeout", "3", "--retry-count", "1", "--seq-retry-count", "1",
              "--exit-after", "registered")
    assert d.wait_exit() == 1
    elapsed = time.monotonic() - started
    assert d.events() == [
        'EVENT registration-failed ssid=1 reason="DTLS handshake failed"',
        'EVENT bootstrap-failed reason="registration with ssid 1 failed: DTLS handshake failed; '
        'no Bootstrap-Server to fall back to"']
    assert "DTLS PSK handshake failed: timeout" in d.stderr()
    assert 3.0 <= elapsed < 20.0, elapsed
    assert "invalid decryption" in rd.output(), "the server saw the wrong key's Finished"
    assert not coap_lines(rd), "no CoAP message got through"


def test_d_an_rpk_account_with_a_garbage_private_key_is_refused_never_sent_as_nosec(
        gnutls_demo, start_server, demos, rpk_keys, tmp_path):  # noqa: F811
    """/0/x/5 is 64 random bytes: GnuTLS cannot parse it, open_secure returns LWBS_OPEN_REFUSED
    and the Register attempt fails with SECURITY_REFUSED. Not one datagram (plain CoAP or DTLS)
    reaches the account's port."""
    port = free_udp_port()
    garbage = tmp_path / "garbage.der"
    garbage.write_bytes(os.urandom(64))
    recorder = UdpRecorder(port)
    try:
        bs = start_server("bootstrap_server", "--server-uri", f"coaps://127.0.0.1:{port}",
                          "--security-mode", "rpk",
                          "--identity-file", str(rpk_keys / "client.spki.der"),
                          "--server-key-file", str(rpk_keys / "server.spki.der"),
                          "--secret-key-file", str(garbage))
        d = demos(gnutls_demo, *bootstrap_demo_args(bs.port, tmp_path / "state",
                                                     "--platform-tls", "--exit-after", "30"))
        assert d.wait_for("EVENT registration-failed") == (
            f'EVENT registration-failed ssid=1 reason="{REFUSED}"')
        time.sleep(1.0)  # room for a fallback datagram, which must not come
        d.stop()
        assert d.events()[:4] == ["EVENT bootstrap-started", "EVENT bootstrap-finished accounts=1",
                                  "EVENT configuration-changed",
                                  f'EVENT registration-failed ssid=1 reason="{REFUSED}"']
        assert "RPK credentials (/0/x/3, /0/x/5) do not parse" in d.stderr()
        assert "refused the mode" in d.stderr()
    finally:
        recorder.stop()
    assert recorder.datagrams == []


@pytest.mark.parametrize("args,message", [
    (["--platform-tls-modes", "psk,dtls"], "bad --platform-tls-modes"),
    (["--platform-tls-modes", "psk,"], "bad --platform-tls-modes"),
    (["--platform-tls-timeout", "5"], "--platform-tls-timeout needs --platform-tls"),
    (["--platform-tls", "--platform-tls-timeout", "0"], "bad --platform-tls-timeout"),
])
def test_d_bad_platform_tls_arguments_exit_2(gnutls_demo, tmp_path, args, message):
    run = subprocess.run([str(gnutls_demo), "--endpoint", "e", *args], capture_output=True,
                         text=True, timeout=30, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.splitlines()[0].startswith(f"lwbs-demo: {message}"), run.stderr


# ----- e. the wire: platform GnuTLS against the library's Mbed TLS ------------------------------

class DtlsRelay:
    """Forwards datagrams between one client and 127.0.0.1:target, parsing DTLS records on
    the way: ``records`` is a list of (direction "c2s"/"s2c", content type, epoch, handshake
    type or None, handshake body or None); ``datagrams`` a list of (direction, the records'
    (content type, epoch) pairs, raw bytes)."""

    def __init__(self, target: int):
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.target = target
        self.client = None
        self.records: list[tuple] = []
        self.datagrams: list[tuple] = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _parse(self, direction: str, data: bytes) -> None:
        kinds = []
        pos = 0
        while pos + 13 <= len(data):
            ctype = data[pos]
            epoch = int.from_bytes(data[pos + 3:pos + 5], "big")
            length = int.from_bytes(data[pos + 11:pos + 13], "big")
            body = data[pos + 13:pos + 13 + length]
            hs_type = body[0] if ctype == 22 and epoch == 0 and body else None
            self.records.append((direction, ctype, epoch, hs_type,
                                 bytes(body) if hs_type is not None else None))
            kinds.append((ctype, epoch))
            pos += 13 + length
        self.datagrams.append((direction, tuple(kinds), bytes(data)))

    def _run(self):
        while self.running:
            ready, _, _ = select.select([self.front, self.back], [], [], 0.1)
            for sock in ready:
                try:
                    data, peer = sock.recvfrom(65535)
                except OSError:
                    continue
                if sock is self.front:
                    if self.client is not None and peer != self.client:
                        # A new client (a restarted device has a new port): a new port
                        # towards the server as well, as through a NAT.
                        self.back.close()
                        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        self.back.bind(("127.0.0.1", 0))
                    self.client = peer
                    self._parse("c2s", data)
                    self.back.sendto(data, ("127.0.0.1", self.target))
                elif self.client is not None and peer[1] == self.target:
                    self._parse("s2c", data)
                    self.front.sendto(data, self.client)

    def retarget(self, target: int) -> None:
        """From now on the client's datagrams go to 127.0.0.1:target (answers from the old
        target are dropped)."""
        self.target = target

    def stop(self):
        self.running = False
        self.thread.join()
        self.front.close()
        self.back.close()

    def client_hellos(self) -> int:
        """Distinct ClientHello messages (a retransmission repeats one byte for byte; the
        second ClientHello of a handshake, with the server's cookie, is a new one)."""
        return len({r[4] for r in self.records if r[0] == "c2s" and r[3] == 1})

    def handshakes(self) -> int:
        """Full handshakes started: distinct ClientHello randoms (the cookie exchange keeps
        the random)."""
        return len({r[4][14:46] for r in self.records if r[0] == "c2s" and r[3] == 1})

    def handshake_datagrams(self, direction: str) -> int:
        """Datagrams of handshake flights (handshake or ChangeCipherSpec records) sent in
        `direction`, a retransmission (the same bytes again) not counted."""
        return len({d[2] for d in self.datagrams
                    if d[0] == direction and any(k[0] in (20, 22) for k in d[1])})

    def handshake_types(self, direction: str) -> list[int]:
        """The handshake message types in the clear (epoch 0), in order, retransmissions
        collapsed: 1 ClientHello, 2 ServerHello, 3 HelloVerifyRequest, 14 ServerHelloDone,
        16 ClientKeyExchange."""
        out: list[int] = []
        seen: set = set()
        for r in self.records:
            if r[0] == direction and r[3] is not None and r[4] not in seen:
                seen.add(r[4])
                out.append(r[3])
        return out

    def clear(self) -> None:
        self.records.clear()
        self.datagrams.clear()

    def alerts(self, direction: str = "c2s") -> int:
        """Encrypted alerts (epoch >= 1: after the handshake, i.e. close_notify)."""
        return sum(1 for r in self.records if r[0] == direction and r[1] == 21 and r[2] >= 1)

    def shape(self, direction: str) -> list[str]:
        """The record kinds in order, runs collapsed: handshake, application, alert."""
        names = {20: "handshake", 22: "handshake", 23: "application", 21: "alert"}
        out: list[str] = []
        for r in self.records:
            if r[0] != direction:
                continue
            name = names.get(r[1], f"type{r[1]}")
            if not out or out[-1] != name:
                out.append(name)
        return out


@pytest.mark.parametrize("platform_tls", [True, False], ids=["gnutls", "mbedtls"])
def test_e_wire_behaviour_equals_the_librarys_own_dtls(gnutls_demo, libcoap, start_server,
                                                       demos, tmp_path, platform_tls):  # noqa: F811
    """Bootstrap (NoSec) → a DM PSK account that points at a relay in front of
    coap-server-gnutls -k; register, then stop (De-register, close). Through GnuTLS
    (--platform-tls) and through the library's Mbed TLS, the relay sees the same thing: one
    full handshake of two ClientHellos (libcoap's cookie exchange), application data, and one
    close_notify from the client as its last record, after the server's answer to the
    De-register (libcoap answers it with its own close_notify)."""
    port, server = libcoap("coap-server-gnutls", "-k", KEY.decode(), "-d", "10")
    relay = DtlsRelay(port + 1)
    try:
        bs = start_server("bootstrap_server", "--server-uri",
                          f"coaps://127.0.0.1:{relay.port}", "--security-mode", "psk",
                          "--identity", "demo-wire", "--secret-key-hex", KEY.hex())
        more = ["--platform-tls"] if platform_tls else []
        d = demos(gnutls_demo, *bootstrap_demo_args(bs.port, tmp_path / "state", *more,
                                                     "--exit-after", "registered"))
        assert d.wait_exit() == 0, d.stderr()
        assert d.events() == bootstrap_events("/rd")
        wait_coap_line(server, r"c:2\.02 ")
        time.sleep(0.5)  # the close_notify follows the 2.02
    finally:
        relay.stop()
    assert (PSK_ESTABLISHED in d.stderr()) == platform_tls
    assert relay.handshakes() == 1
    assert relay.client_hellos() == 2
    assert relay.alerts("c2s") == 1
    assert relay.alerts("s2c") == 1
    assert relay.shape("c2s") == ["handshake", "application", "alert"]
    assert relay.shape("s2c") == ["handshake", "application", "alert"]
    # The close_notify comes after the server's last answer (the 2.02 to De-register).
    last_server_app = max(i for i, r in enumerate(relay.records)
                          if r[0] == "s2c" and r[1] == 23)
    alert_at = next(i for i, r in enumerate(relay.records) if r[0] == "c2s" and r[1] == 21)
    server_alert_at = next(i for i, r in enumerate(relay.records)
                           if r[0] == "s2c" and r[1] == 21)
    assert last_server_app < alert_at < server_alert_at
    posts = [l for l in coap_lines(server) if "t:CON c:POST" in l and "Uri-Path:rd," in l]
    assert len(posts) == 1 and "Uri-Query:ep=demo-tls" in posts[0], coap_lines(server)


@pytest.mark.parametrize("platform_tls", [True, False], ids=["gnutls", "mbedtls"])
def test_e_an_unreachable_dtls_port_is_a_transport_error_in_both_paths(gnutls_demo, demos,
                                                                      tmp_path, platform_tls):
    """No listener on the coaps:// port: the ICMP port unreachable for the ClientHello is a
    transport error (lwbs_client_conn_error) in both paths, not a failed handshake. GnuTLS
    would invalidate its session on that push/pull error; the platform's transport functions
    count it as a lost datagram, as the library's sans-IO Mbed TLS does."""
    dead = free_udp_port()
    more = ["--platform-tls"] if platform_tls else []
    d = demos(gnutls_demo, "--endpoint", "demo-icmp", "--state-dir", str(tmp_path / "state"),
              "--server-uri", f"coaps://127.0.0.1:{dead}", "--ssid", "1",
              "--psk-identity", "demo-icmp", "--psk-key", KEY.hex(), *more,
              "--retry-count", "2", "--retry-timer", "1", "--seq-retry-count", "1",
              "--exit-after", "registered", level=4)
    assert d.wait_exit() == 1
    assert ("open over GnuTLS DTLS" in d.stderr()) == platform_tls
    assert d.events() == [
        'EVENT registration-failed ssid=1 reason="transport error"'] * 2 + [
        'EVENT bootstrap-failed reason="registration with ssid 1 failed: transport error; '
        'no Bootstrap-Server to fall back to"']
    assert "handshake failed" not in d.stderr()


def two_server_bootstrap(dm_uri: str, dtls_uri: str, identity: str, key: bytes) -> list:
    """Bootstrap operations: ssid 1 NoSec at the aiocoap DM server (it triggers the next
    bootstrap), ssid 2 a PSK account at ``dtls_uri``."""
    from lwbs_testservers import tlv
    from lwbs_testservers.bootstrap_server import delete, discover, finish, write
    security = (tlv.security_instance(1, dm_uri, 1) +
                tlv.security_instance(2, dtls_uri, 2, mode=0, identity=identity.encode(),
                                      secret_key=key))
    servers = tlv.server_instance(0, 1, 300) + tlv.server_instance(1, 2, 300)
    return [discover(), delete("/0"), delete("/1"), write("/0", security),
            write("/1", servers), finish()]


@pytest.mark.parametrize("platform_tls", [True, False], ids=["gnutls", "mbedtls"])
def test_e_a_rebootstrap_that_changes_the_psk_gives_a_new_handshake_in_both_paths(
        gnutls_demo, libcoap, bootstrap_server_factory, dm_server, demos, tmp_path,
        platform_tls):
    """Registered with ssid 1 (NoSec, aiocoap) and ssid 2 (PSK, through the relay to
    coap-server-gnutls -k KEY). ssid 1's server executes /1/0/9; the Bootstrap-Server now
    writes another key for ssid 2 (the relay moves to a coap-server-gnutls with that key). The
    old session ends with close_notify (no De-register: the old key is no longer the
    client's), a new full handshake follows, ssid 2 registers again; stop (SIGTERM)
    de-registers and closes. The relay sees the same in both paths: two handshakes, two
    close_notify, each close_notify after its session's last application record."""
    new_key = b"Another456"
    old_port, old_server = libcoap("coap-server-gnutls", "-k", KEY.decode(), "-d", "10")
    new_port, new_server = libcoap("coap-server-gnutls", "-k", new_key.decode(), "-d", "10")
    relay = DtlsRelay(old_port + 1)
    dm_uri = f"coap://127.0.0.1:{dm_server.port}"
    dtls_uri = f"coaps://127.0.0.1:{relay.port}"
    try:
        bs = bootstrap_server_factory(
            scenario=two_server_bootstrap(dm_uri, dtls_uri, "demo-wire", KEY))
        more = ["--platform-tls"] if platform_tls else []
        d = demos(gnutls_demo, *bootstrap_demo_args(bs.port, tmp_path / "state", *more))
        d.wait_for("EVENT registered ssid=2")
        dm_server.wait_for(lambda: "/rd/1" in dm_server.registrations, 20)
        wait_coap_line(old_server, r"c:2\.01 ")

        bs.operations[:] = two_server_bootstrap(dm_uri, dtls_uri, "demo-wire", new_key)
        relay.retarget(new_port + 1)
        execute = dm_server.execute("/rd/1", "/1/0/9")
        assert execute.result(20).code.dotted == "2.04"
        d.wait_for("EVENT bootstrap-finished accounts=2")
        d.wait_for("EVENT registered ssid=2")
        wait_coap_line(new_server, r"c:2\.01 ")
        d.proc.send_signal(signal.SIGTERM)
        assert d.wait_exit() == 0, d.stderr()
        wait_coap_line(new_server, r"c:2\.02 ")
        time.sleep(0.5)
    finally:
        relay.stop()
    got = d.events()
    assert "EVENT deregistered ssid=2" in got and got[-1] == "EVENT stopped", got
    assert len([e for e in got if e.startswith("EVENT registered ssid=2")]) == 2, got
    assert not [l for l in coap_lines(old_server) if "c:DELETE" in l], "no De-register there"
    assert (d.stderr().count(PSK_ESTABLISHED) == 2) == platform_tls
    assert relay.handshakes() == 2
    assert relay.alerts("c2s") == 2
    assert relay.shape("c2s") == ["handshake", "application", "alert",
                                  "handshake", "application", "alert"]
