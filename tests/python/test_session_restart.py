"""DTLS sessions that survive a restart (lwbs_platform.load_sessions / save_sessions; the
POSIX platform keeps the record in <state-dir>/sessions.bin): the demo bootstraps a PSK
account for coap-rd-openssl or coap-server-openssl (libcoap over OpenSSL, an independent DTLS
stack), registers over a full handshake, is killed (a power cut: no De-register, no
close_notify) and started again from its state directory. A relay that parses the DTLS
records between them counts the handshake datagrams: the second start resumes the session
with an abbreviated handshake. Every process a test starts is stopped by it.
"""

from __future__ import annotations

import time

import pytest

from test_demo import demo, start_server  # noqa: F401 (fixtures)
from test_platform_tls import (KEY, DtlsRelay, bootstrap_demo_args, coap_lines,  # noqa: F401
                               demos, libcoap)

# Handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2).
CLIENT_HELLO, SERVER_HELLO, HELLO_VERIFY_REQUEST, SERVER_HELLO_DONE, CLIENT_KEY_EXCHANGE = (
    1, 2, 3, 14, 16)


def wait_for_file(path, timeout: float = 10.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return path.read_bytes()
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written")


def registered_through_relay(demos, demo_path, args, relay,  # noqa: F811
                             outcome: str = "EVENT registered ssid=1"):
    """Runs the demo until `outcome` (its Register answered), then kills it (power cut);
    returns (the demo, the handshake's datagrams client→server and server→client, the clear
    handshake types each way)."""
    relay.clear()
    d = demos(demo_path, *args, "--exit-after", "60", level=4)
    d.wait_for(outcome)
    d.stop()  # SIGKILL
    figures = (relay.handshake_datagrams("c2s"), relay.handshake_datagrams("s2c"))
    return d, figures, relay.handshake_types("c2s"), relay.handshake_types("s2c")


def psk_bootstrap_through_relay(libcoap, start_server, program, *more):  # noqa: F811
    """`program` (a libcoap OpenSSL server, PSK KEY) behind a :class:`DtlsRelay`, and a
    Bootstrap-Server that writes a PSK account pointing at the relay: (server, relay, BS)."""
    port, server = libcoap(program, "-k", KEY.decode(), *more)
    relay = DtlsRelay(port + 1)
    try:
        bs = start_server("bootstrap_server", "--server-uri", f"coaps://127.0.0.1:{relay.port}",
                          "--security-mode", "psk", "--identity", "demo-resume",
                          "--secret-key-hex", KEY.hex())
    except BaseException:
        relay.stop()
        raise
    return server, relay, bs


# coap-rd-openssl registers every time; coap-server-openssl -d (the same libcoap DTLS server)
# answers the second Register 2.04 (the resource exists), which is not a registration: there
# the restarted demo's Register fails, after the same abbreviated handshake.
SERVERS = {
    "coap-rd-openssl": ([], ["EVENT registered ssid=1", "EVENT registered ssid=1"]),
    "coap-server-openssl": (["-d", "10"], ["EVENT registered ssid=1",
                                           'EVENT registration-failed ssid=1 reason="rejected '
                                           'with 2.04"']),
}


@pytest.mark.parametrize("program", SERVERS)
def test_a_restart_from_storage_resumes_the_dm_session_with_an_abbreviated_handshake(
        demo, libcoap, start_server, demos, tmp_path, program):  # noqa: F811
    more, outcomes = SERVERS[program]
    server, relay, bs = psk_bootstrap_through_relay(libcoap, start_server, program, *more)
    state = tmp_path / "state"
    try:
        args = bootstrap_demo_args(bs.port, state)
        _, full, full_c, full_s = registered_through_relay(demos, demo, args, relay, outcomes[0])
        record = wait_for_file(state / "sessions.bin")
        assert record[:4] == b"LWSS" and record[5] == 1, "one session: the DM server's"
        second, resumed, res_c, res_s = registered_through_relay(demos, demo, args, relay,
                                                                 outcomes[1])
    finally:
        relay.stop()
    print(f"{program}: handshake datagrams (client sent, server sent): full {full}, after the restart "
          f"{resumed}")
    assert "bootstrap-started" not in " ".join(second.events()), "restarted from storage"
    assert "DTLS sessions restored: 1, discarded: 0" in second.stderr()
    # Full: ClientHello, ClientHello + cookie, ClientKeyExchange + CCS + Finished; the server
    # HelloVerifyRequest, ServerHello .. ServerHelloDone, CCS + Finished.
    assert full_c == [CLIENT_HELLO, CLIENT_HELLO, CLIENT_KEY_EXCHANGE], full_c
    assert SERVER_HELLO_DONE in full_s, full_s
    assert full == (3, 3)
    # Abbreviated (RFC 5246 §7.3): no key exchange; the server's ServerHello flight carries
    # its CCS + Finished, the client's Finished ends it.
    assert res_c == [CLIENT_HELLO, CLIENT_HELLO], res_c
    assert res_s == [HELLO_VERIFY_REQUEST, SERVER_HELLO], res_s
    assert resumed == (3, 2)
    registers = [line for line in coap_lines(server) if "c:POST" in line and "Uri-Path:rd" in line]
    assert len(registers) == 2, registers


def test_a_session_record_torn_by_a_power_cut_costs_one_full_handshake(
        demo, libcoap, start_server, demos, tmp_path):  # noqa: F811
    _, relay, bs = psk_bootstrap_through_relay(libcoap, start_server, "coap-rd-openssl")
    state = tmp_path / "state"
    try:
        args = bootstrap_demo_args(bs.port, state)
        registered_through_relay(demos, demo, args, relay)
        record = wait_for_file(state / "sessions.bin")
        (state / "sessions.bin").write_bytes(record[:len(record) // 2])  # torn write
        second, figures, types_c, _ = registered_through_relay(demos, demo, args, relay)
    finally:
        relay.stop()
    assert "session record ignored: truncated image" in second.stderr()
    assert types_c == [CLIENT_HELLO, CLIENT_HELLO, CLIENT_KEY_EXCHANGE], types_c
    assert figures == (3, 3)
    assert (state / "sessions.bin").read_bytes()[:4] == b"LWSS", "the new session saved"
