"""The bare-metal firmware example (c-examples/firmware, docs/firmware.md) under QEMU mps2-an386,
end to end over real UDP on 127.0.0.1 against the aiocoap test servers: the no_std engine and
the C ABI as a firmware links them, only the host bridge (bridge.py) is emulation.

The image is built once per session (CMake, cmake/toolchains/arm-none-eabi.cmake, into
build-fw/; about a minute the first time); ``LWBS_FW_ELF`` points at an image instead. Every
run goes through run.sh, which stops QEMU and the bridge on every path.

The DTLS-PSK tests (the same scenario over coaps:// against aiocoap on the tinydtls server
transport, image built once per session with LWBS_NO_STD_DTLS=ON into build-fw-dtls/, about
four minutes the first time; ``LWBS_FW_DTLS_ELF`` points at an image instead) are at the end
of this file, under "DTLS-PSK"."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import aiocoap
import pytest
from aiocoap.credentials import CredentialsMap

from conftest import free_udp_port
from lwbs_testservers import bootstrap_server as bsmod, tlv
from lwbs_testservers.dm_server import DmServer
from lwbs_testservers.dtls import DtlsBootstrapServer
from test_demo import ServerProcess, start_server  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
FW = ROOT / "c-examples" / "firmware"
RUN = FW / "run.sh"
RUN_TIMEOUT_S = 60

FULL_CYCLE = [
    "EVENT bootstrap-started",
    "EVENT bootstrap-finished accounts=1",
    "EVENT configuration-changed",
    "EVENT registered ssid=1 location=/rd/1",
    "EVENT updated ssid=1",
    "EVENT deregistered ssid=1",
    "EVENT stopped",
]


def build_image(build: Path, dtls: bool) -> Path:
    if not (build / "CMakeCache.txt").exists():
        subprocess.run(["cmake", "-S", str(FW), "-B", str(build),
                        f"-DCMAKE_TOOLCHAIN_FILE={ROOT}/cmake/toolchains/arm-none-eabi.cmake",
                        f"-DLWBS_NO_STD_DTLS={'ON' if dtls else 'OFF'}"],
                       check=True, capture_output=True, text=True)
    run = subprocess.run(["cmake", "--build", str(build), "--target", "lwbs-fw"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        pytest.fail(f"firmware build failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return build / "lwbs-fw.elf"


@pytest.fixture(scope="session")
def fw_elf() -> Path:
    if os.environ.get("LWBS_FW_ELF"):
        return Path(os.environ["LWBS_FW_ELF"])
    return build_image(ROOT / "build-fw", dtls=False)


def run_fw(elf: Path, *args: str, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
    env = dict(os.environ, LWBS_FW_ELF=str(elf))
    return subprocess.run(["bash", str(RUN), *args, "--timeout", str(timeout - 10)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def events(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("EVENT ")]


def figures(stderr: str) -> dict[str, int]:
    line = next(l for l in stderr.splitlines() if l.startswith("FIGURES "))
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


@pytest.fixture
def servers(start_server):  # noqa: F811
    """(BS, DM): the BS writes a NoSec account for the DM with a 2 s lifetime (Update after 1 s)."""
    dm = start_server("dm_server")
    bs = start_server("bootstrap_server", "--server-uri", f"coap://127.0.0.1:{dm.port}",
                      "--lifetime", "2")
    return bs, dm


def test_firmware_bootstraps_registers_updates_deregisters(fw_elf, servers, tmp_path):
    bs, dm = servers
    run = run_fw(fw_elf, "--endpoint", "fw-1", "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}",
                 "--state-dir", str(tmp_path / "state"), "--exit-after", "deregistered")
    assert run.returncode == 0, run.stderr
    assert events(run.stdout) == FULL_CYCLE
    # The wire, as the servers saw it.
    assert bs.wait_for("BOOTSTRAP-REQUEST").startswith("BOOTSTRAP-REQUEST ep=fw-1")
    assert bs.wait_for("FINISH") == "FINISH 2.04"
    assert dm.wait_for("REGISTERED").startswith("REGISTERED ep=fw-1 location=/rd/1 lt=2")
    assert dm.wait_for("UPDATED") == "UPDATED location=/rd/1"
    assert dm.wait_for("DEREGISTERED") == "DEREGISTERED location=/rd/1"
    # Storage went to the bridge's slot files: generation 1 in slot 1.
    assert (tmp_path / "state" / "slot1.img").read_bytes()[:4] == b"LWBS"
    fig = figures(run.stderr)
    assert 0 < fig["heap_peak"] <= fig["heap_arena"] <= fig["heap_size"]
    assert 0 < fig["stack_peak"] < fig["stack_size"]


def test_firmware_restart_with_kept_storage_registers_without_bootstrap(fw_elf, servers, tmp_path):
    bs, dm = servers
    args = ["--endpoint", "fw-2", "--bootstrap-uri", f"coap://127.0.0.1:{bs.port}",
            "--state-dir", str(tmp_path / "state"), "--exit-after", "registered"]
    first = run_fw(fw_elf, *args)
    assert first.returncode == 0, first.stderr
    second = run_fw(fw_elf, *args)
    assert second.returncode == 0, second.stderr
    assert events(second.stdout) == ["EVENT registered ssid=1 location=/rd/2",
                                     "EVENT deregistered ssid=1", "EVENT stopped"]
    assert len([l for l in bs.output() if l.startswith("BOOTSTRAP-REQUEST")]) == 1
    regs = [l for l in dm.output() if l.startswith("REGISTERED ")]
    assert [r.split()[1:3] for r in regs] == [["ep=fw-2", "location=/rd/1"],
                                              ["ep=fw-2", "location=/rd/2"]]
    assert dm.wait_for("DEREGISTERED location=/rd/2") == "DEREGISTERED location=/rd/2"


def test_firmware_sigint_deregisters_and_stops_qemu(fw_elf, servers, tmp_path):
    bs, dm = servers
    env = dict(os.environ, LWBS_FW_ELF=str(fw_elf))
    proc = subprocess.Popen(["bash", str(RUN), "--endpoint", "fw-3", "--bootstrap-uri",
                             f"coap://127.0.0.1:{bs.port}", "--state-dir", str(tmp_path / "s"),
                             "--exit-after", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.startswith("EVENT registered"):
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert events(rest)[-2:] == ["EVENT deregistered ssid=1", "EVENT stopped"]
    assert dm.wait_for("DEREGISTERED") == "DEREGISTERED location=/rd/1"


def test_firmware_timeout_exits_1_and_stops_qemu(fw_elf, tmp_path):
    """A Bootstrap-Server that never answers: the run ends at --timeout with the reason, and
    QEMU is gone."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        started = time.monotonic()
        run = run_fw(fw_elf, "--endpoint", "fw-4", "--bootstrap-uri",
                     f"coap://127.0.0.1:{silent.getsockname()[1]}",
                     "--state-dir", str(tmp_path / "s"), timeout=13)
        assert run.returncode == 1
        assert "lwbs-fw: timeout: no end state within 3 s" in run.stderr, run.stderr
        assert time.monotonic() - started < 12
        assert len(silent.recv(2048)) > 0, "the Bootstrap-Request reached the socket"
    finally:
        silent.close()
    assert subprocess.run(["pgrep", "-f", f"qemu-system-arm.*{fw_elf}"],
                          capture_output=True).stdout == b""


def test_firmware_unreachable_bootstrap_server_exits_1_with_the_reason(fw_elf, tmp_path):
    """ICMP port unreachable reaches the firmware as a transport error (bridge 'e' frame)."""
    run = run_fw(fw_elf, "--endpoint", "fw-5", "--bootstrap-uri",
                 f"coap://127.0.0.1:{free_udp_port()}", "--state-dir", str(tmp_path / "s"),
                 timeout=30)
    assert run.returncode == 1
    assert events(run.stdout) == [
        "EVENT bootstrap-started",
        'EVENT bootstrap-failed reason="transport error reaching the Bootstrap-Server"']
    assert run.stderr.splitlines()[-1] == (
        "lwbs-fw: bootstrap failed: transport error reaching the Bootstrap-Server")


# ---- DTLS-PSK ----------------------------------------------------------------------------------
# The image with DTLS (dtls-nostd, Mbed TLS built by arm-none-eabi-gcc, psk profile), built once
# per session into build-fw-dtls/ (LWBS_FW_DTLS_ELF points at an image instead). The
# Bootstrap-Server is aiocoap's on the tinydtls server transport (lwbs_testservers.dtls), the
# DM server lwbs_testservers.dm_server.DmServer on that transport (DtlsDmServer): an independent DTLS
# stack on both ends. tinydtls caps PSKs at 16 bytes.

BS_IDENTITY, BS_KEY = "fw-dtls-bs", bytes.fromhex("000102030405060708090a0b0c0d0e0f")
DM_IDENTITY, DM_KEY = "fw-dtls-dm", b"DmSecret-16bytes"


class DtlsDmServer(DmServer):
    """:class:`DmServer` over DTLS-PSK only (aiocoap's tinydtls server transport), accepting
    ``identity`` with ``key``. ``bind`` port P serves DTLS on P+1; :attr:`port` is the DTLS
    port. Each registration records the scheme its Register came in on (``coaps``)."""

    def __init__(self, identity: str, key: bytes, **kwargs):
        super().__init__(**kwargs)
        self.identity, self.key = identity, key

    def _register(self, request):
        response = super()._register(request)
        if self.history:
            self.history[-1]["scheme"] = request.remote.scheme
        return response

    async def start(self) -> int:
        creds = CredentialsMap()
        creds.load_from_dict({":client": {"dtls": {
            "psk": {"hex": self.key.hex()},
            "client-identity": {"ascii": self.identity}}}})
        self.context = await aiocoap.Context.create_server_context(
            self._site(), bind=self.bind, transports=["tinydtls_server"],
            server_credentials=creds)
        iface = self.context.request_interfaces[0].token_interface.message_interface
        self.port = iface._pool._transport.get_extra_info("socket").getsockname()[1]
        self.emit(f"READY port={self.port}")
        return self.port



@pytest.fixture(scope="session")
def fw_dtls_elf() -> Path:
    if os.environ.get("LWBS_FW_DTLS_ELF"):
        return Path(os.environ["LWBS_FW_DTLS_ELF"])
    return build_image(ROOT / "build-fw-dtls", dtls=True)


@pytest.fixture
def dtls_servers():
    """(BS, DM) over DTLS-PSK: the BS (identity BS_IDENTITY) writes a PSK account (mode 0,
    DM_IDENTITY/DM_KEY) for the DM at coaps://, lifetime 2 s (Update after 1 s)."""
    dm = DtlsDmServer(DM_IDENTITY, DM_KEY, bind=("127.0.0.1", free_udp_port(pair=True)))
    dm.start_in_thread()
    ops = [bsmod.discover(), bsmod.delete("/0"), bsmod.delete("/1"),
           bsmod.write("/0", tlv.security_instance(1, f"coaps://127.0.0.1:{dm.port}", 1, mode=0,
                                                   identity=DM_IDENTITY.encode(),
                                                   secret_key=DM_KEY)),
           bsmod.write("/1", tlv.server_instance(0, 1, 2)), bsmod.finish()]
    try:
        bs = DtlsBootstrapServer(BS_IDENTITY, BS_KEY, scenario=ops,
                                 bind=("127.0.0.1", free_udp_port(pair=True)))
        bs.start_in_thread()
    except BaseException:
        dm.stop_thread()
        raise
    yield bs, dm
    bs.stop_thread()
    dm.stop_thread()


def dtls_args(bs, endpoint: str, state: Path) -> list[str]:
    return ["--endpoint", endpoint, "--bootstrap-uri", f"coaps://127.0.0.1:{bs.port}",
            "--psk-identity", BS_IDENTITY, "--psk-key", BS_KEY.hex(), "--state-dir", str(state)]


def test_firmware_dtls_psk_bootstraps_registers_updates_deregisters(fw_dtls_elf, dtls_servers,
                                                                    tmp_path):
    bs, dm = dtls_servers
    run = run_fw(fw_dtls_elf, *dtls_args(bs, "fw-dtls-1", tmp_path / "state"),
                 "--exit-after", "deregistered")
    assert run.returncode == 0, run.stderr
    assert events(run.stdout) == FULL_CYCLE
    # The wire: the Bootstrap-Server got the Request and the client's answers inside the
    # DTLS session it accepted with BS_KEY ...
    steps = bs.wait_done(timeout=20)
    assert [r["ep"] for r in bs.requests] == ["fw-dtls-1"]
    assert [(s.operation.label(), s.code) for s in steps] == [
        ("DISCOVER /", "2.05"), ("DELETE /0", "2.02"), ("DELETE /1", "2.02"),
        ("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("FINISH", "2.04")]
    assert b"</0/0>" in steps[0].payload  # the Bootstrap-Server account, before the Writes
    # ... and the DM server the Register, Update and De-register inside the session it
    # accepted with the account the Bootstrap-Server wrote (DM_IDENTITY/DM_KEY).
    assert dm.wait_for_line("DEREGISTERED") == "DEREGISTERED location=/rd/1"
    assert [l for l in dm.lines if not l.startswith("READY")] == [
        "REGISTERED ep=fw-dtls-1 location=/rd/1 lt=2", "UPDATED location=/rd/1",
        "DEREGISTERED location=/rd/1"]
    assert [(r["ep"], r["scheme"]) for r in dm.history] == [("fw-dtls-1", "coaps")]
    fig = figures(run.stderr)
    assert 0 < fig["heap_peak"] <= fig["heap_arena"] <= fig["heap_size"]
    assert 0 < fig["stack_peak"] < fig["stack_size"]


def test_firmware_dtls_restart_with_kept_storage_registers_over_dtls(fw_dtls_elf, dtls_servers,
                                                                     tmp_path):
    """The PSK account the Bootstrap-Server wrote (identity and key) survives in the slots: a
    restarted image registers over DTLS-PSK with it, without bootstrapping."""
    bs, dm = dtls_servers
    args = [*dtls_args(bs, "fw-dtls-2", tmp_path / "state"), "--exit-after", "registered"]
    first = run_fw(fw_dtls_elf, *args)
    assert first.returncode == 0, first.stderr
    second = run_fw(fw_dtls_elf, *args)
    assert second.returncode == 0, second.stderr
    assert events(second.stdout) == ["EVENT registered ssid=1 location=/rd/2",
                                     "EVENT deregistered ssid=1", "EVENT stopped"]
    assert [r["ep"] for r in bs.requests] == ["fw-dtls-2"]
    assert dm.wait_for_line("DEREGISTERED location=/rd/2") == "DEREGISTERED location=/rd/2"
    assert [(r["ep"], r["location"], r["scheme"]) for r in dm.history] == [
        ("fw-dtls-2", "/rd/1", "coaps"), ("fw-dtls-2", "/rd/2", "coaps")]

def test_firmware_dtls_image_allocates_mbedtls_through_the_port(fw_dtls_elf):
    """Mbed TLS's calloc/free are the library's port glue (cmake/mbedtls/port_alloc.h): the
    cross-built archive leaves no calloc/free to the C library, and the image links no
    calloc at all, so every heap block goes through lwbs_port_malloc, whose count is the
    FIGURES heap_peak (measured: 26,976 bytes before this change, 32,036 after)."""
    archive = fw_dtls_elf.parent / "lwm2m_bootstrap" / "lib" / "liblwm2m_bootstrap.a"
    undefined = set(subprocess.run(["arm-none-eabi-nm", "-u", str(archive)], check=True,
                                   capture_output=True, text=True).stdout.split())
    assert {"lwbs_port_malloc", "lwbs_port_free"} <= undefined
    assert not undefined & {"calloc", "free", "malloc", "realloc"}, sorted(undefined)
    nm = subprocess.run(["arm-none-eabi-nm", "--defined-only", str(fw_dtls_elf)],
                        check=True, capture_output=True, text=True).stdout
    defined = {f[2]: f[1] for f in (line.split() for line in nm.splitlines()) if len(f) == 3}
    assert defined.get("mbedtls_ssl_setup") == "t"  # Mbed TLS is in, local to the library
    assert defined.get("lwbsint_mbedtls_calloc") == "t"
    assert defined.get("lwbs_port_malloc") == "T"
    assert "calloc" not in defined and "_calloc_r" not in defined
