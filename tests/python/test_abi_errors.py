"""The C ABI's argument and state checking, exercised through ctypes: NULL pointers, bad
struct sizes, out-of-range values, calls in the wrong state, small buffers, re-entrant calls
from a callback. Expected codes are the ones documented in include/lwm2m_bootstrap.h."""

from __future__ import annotations

import ctypes
import re
import socket
import subprocess
from ctypes import byref, c_bool, c_size_t, c_uint16, c_uint32, c_uint64, sizeof
from pathlib import Path

import pytest

from lwm2m_bootstrap import (BootstrapFailure, EventKind, InvalidStateError, LwbsError,
                             UnsupportedError,
                             NotFoundError, Result, SecurityMode, State, UdpTransport, _ffi,
                             result_str, version)

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "lwm2m_bootstrap.h"
NOOP_OPEN = _ffi.OPEN_FN(lambda _u, _c, _uri: 0)
NOOP_CLOSE = _ffi.CLOSE_FN(lambda _u, _c: None)
NOOP_SEND = _ffi.SEND_FN(lambda _u, _c, _d, _n: 0)


def config(endpoint=b"urn:dev:abi"):
    c = _ffi.lwbs_config()
    _ffi.load_library().lwbs_config_init(byref(c))
    c.endpoint = endpoint
    return c


def platform(**callbacks):
    p = _ffi.lwbs_platform(struct_size=sizeof(_ffi.lwbs_platform))
    p.open, p.close, p.send = NOOP_OPEN, NOOP_CLOSE, NOOP_SEND
    for name, fn in callbacks.items():
        setattr(p, name, fn)
    return p


def new_client(lib, cfg=None, plat=None):
    """(result, client pointer) of lwbs_client_new."""
    out = _ffi.CLIENT_P()
    code = lib.lwbs_client_new(byref(cfg or config()), byref(plat or platform()), byref(out))
    return code, out


def account(uri=b"coap://127.0.0.1:5683", mode=SecurityMode.NOSEC, ssid=1):
    a = _ffi.lwbs_account()
    _ffi.load_library().lwbs_account_init(byref(a))
    a.uri, a.security_mode, a.ssid = uri, mode, ssid
    return a


@pytest.fixture
def raw_client(lib):
    code, client = new_client(lib)
    assert code == Result.OK and client
    yield client
    lib.lwbs_client_free(client)


def test_result_str_for_every_code(lib):
    texts = {code: result_str(code) for code in Result}
    assert all(t and t != "unknown result" for t in texts.values()), texts
    assert len(set(texts.values())) == len(Result), "one distinct message per code"
    for unknown in (15, 999, 0xFFFF_FFFF):
        assert lib.lwbs_result_str(unknown) == b"unknown result"
    err = LwbsError.for_code(Result.ERR_INVALID_STATE, "lwbs_client_stop")
    assert isinstance(err, InvalidStateError)
    assert (err.code, err.message) == (Result.ERR_INVALID_STATE, texts[Result.ERR_INVALID_STATE])
    assert "lwbs_client_stop" in str(err)
    # Every error code has its own exception class (a build without smartcard raises
    # UnsupportedError from set_smartcard).
    unsupported = LwbsError.for_code(Result.ERR_UNSUPPORTED, "lwbs_client_set_smartcard")
    assert isinstance(unsupported, UnsupportedError)
    assert unsupported.message == "not supported by this build"


def test_version_matches_header(lib):
    macro = re.search(r'#define LWBS_VERSION_STRING "([^"]+)"', HEADER.read_text()).group(1)
    assert version() == macro == "0.1.0"


@pytest.mark.parametrize("c_enum, py_enum, prefix", [
    ("lwbs_state", State, "LWBS_STATE_"),
    ("lwbs_state_reason", _ffi.StateReason, "LWBS_REASON_"),
    ("lwbs_event_kind", EventKind, "LWBS_EVENT_"),
    ("lwbs_bootstrap_failure", BootstrapFailure, "LWBS_BOOTSTRAP_FAILURE_"),
    ("lwbs_registration_failure", _ffi.RegistrationFailure, "LWBS_REGISTRATION_FAILURE_"),
])
def test_python_enums_match_the_header(c_enum, py_enum, prefix):
    """Every value of the C enum, by name, is the wrapper's (a new reason code that the
    wrapper does not know fails here, not in a user's event handler)."""
    body = re.search(r"enum %s\b[^{]*\{(.*?)\}" % c_enum, HEADER.read_text(), re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    values = {m.group(1): int(m.group(2))
              for m in re.finditer(prefix + r"(\w+) = (\d+)", body)}
    assert values, c_enum
    assert values == {m.name: m.value for m in py_enum}


def test_struct_layout_matches_header(lib, tmp_path):
    """sizeof/offsetof of every struct field, compiled from the header, equal the ctypes ones."""
    structs = [_ffi.lwbs_event, _ffi.lwbs_config, _ffi.lwbs_account, _ffi.lwbs_path,
               _ffi.lwbs_dm_request, _ffi.lwbs_dm_response, _ffi.lwbs_platform,
               _ffi.lwbs_smartcard_config]
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "lwm2m_bootstrap.h"',
             "int main(void) {"]
    expected = []
    for s in structs:
        name = s.__name__
        lines.append(f'printf("{name} %zu\\n", sizeof({name}));')
        expected.append(f"{name} {sizeof(s)}")
        for field, _ in s._fields_:
            lines.append(f'printf("{name}.{field} %zu\\n", offsetof({name}, {field}));')
            expected.append(f"{name}.{field} {getattr(s, field).offset}")
    lines.append("return 0; }")
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", f"-I{HEADER.parent}", str(src), "-o",
                    str(exe)], check=True, capture_output=True, timeout=120)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    assert out.split("\n")[:-1] == expected


C_TO_CTYPES = {
    "void *": ctypes.c_void_p, "uint32_t": c_uint32, "lwbs_conn": c_uint32,
    "uint8_t *": ctypes.POINTER(ctypes.c_uint8), "const uint8_t *": ctypes.POINTER(ctypes.c_uint8),
    "size_t": c_size_t, "size_t *": ctypes.POINTER(c_size_t), "const char *": ctypes.c_char_p,
    "int32_t": ctypes.c_int32, "void": None,
    "const struct lwbs_event *": ctypes.POINTER(_ffi.lwbs_event),
    "const struct lwbs_dm_request *": ctypes.POINTER(_ffi.lwbs_dm_request),
    "struct lwbs_dm_response *": ctypes.POINTER(_ffi.lwbs_dm_response),
    "uint8_t": ctypes.c_uint8, "uint16_t": ctypes.c_uint16, "bool": ctypes.c_bool,
    "const struct lwbs_path *": ctypes.POINTER(_ffi.lwbs_path),
    "const struct lwbs_security *": ctypes.POINTER(_ffi.lwbs_security),
}


def test_callback_prototypes_match_header():
    """Every lwbs_platform callback's return and argument types (for example the slot of
    ``load``/``save``), parsed from the header, equal the ctypes CFUNCTYPE ones."""
    body = re.search(r"typedef struct lwbs_platform \{(.*?)\} lwbs_platform;", HEADER.read_text(),
                     re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    found = re.findall(r"(\w+) \(\*(\w+)\)\(([^)]*)\);", body)
    callbacks = [f for f, _ in _ffi.lwbs_platform._fields_[2:] if f != "secure_modes"]
    assert [name for _, name, _ in found] == callbacks
    assert re.search(r"\buint32_t secure_modes;", body), "secure_modes is a uint32_t"
    assert dict(_ffi.lwbs_platform._fields_)["secure_modes"] is c_uint32
    for ret, name, params in found:
        fn = dict(_ffi.lwbs_platform._fields_)[name]
        types = [re.sub(r"\s*\b\w+$", "", p.strip()).replace("*", " *").replace("  ", " ")
                 for p in params.split(",")]
        types = [re.sub(r"\s+\*", " *", t).strip() for t in types]
        assert fn._restype_ is C_TO_CTYPES[ret], name
        assert list(fn._argtypes_) == [C_TO_CTYPES[t] for t in types], (name, types)
    load = dict(_ffi.lwbs_platform._fields_)["load"]
    assert load._argtypes_[1] is c_uint32, "load(userdata, slot, ...)"


def test_init_functions_fill_struct_size_and_defaults(lib):
    c = _ffi.lwbs_config()
    lib.lwbs_config_init(byref(c))
    assert c.struct_size == sizeof(_ffi.lwbs_config)
    assert (c.endpoint, c.lwm2m_version, c.ack_timeout_ms, c.require_server_account) == (
        None, 0, 0, 0)
    assert c.max_retransmit in (0xFFFF_FFFF, 4)
    a = _ffi.lwbs_account()
    lib.lwbs_account_init(byref(a))
    assert a.struct_size == sizeof(_ffi.lwbs_account)
    assert a.security_mode == SecurityMode.NOSEC
    assert (a.uri, a.binding, bool(a.identity), a.identity_len, a.ssid, a.lifetime_s) == (
        None, None, False, 0, 0, 0)
    s = _ffi.lwbs_smartcard_config()
    lib.lwbs_smartcard_config_init(byref(s))
    assert s.struct_size == sizeof(_ffi.lwbs_smartcard_config)
    assert (s.logical_channel, s.max_chunk, s.pin_len) == (True, 255, 0)
    assert (s.scp03_key_version, s.scp03_security_level, s.scp03_key_len) == (0, 0x33, 0)
    assert not (s.scp03_enc_key or s.scp03_mac_key or s.scp03_dek_key)
    assert _ffi.LWBS_SMARTCARD_CONFIG_V0_SIZE < sizeof(_ffi.lwbs_smartcard_config)
    lib.lwbs_config_init(None)          # NULL is a no-op
    lib.lwbs_account_init(None)
    lib.lwbs_client_free(None)


def test_client_new_rejects_bad_arguments(lib):
    out = _ffi.CLIENT_P()
    assert lib.lwbs_client_new(None, byref(platform()), byref(out)) == Result.ERR_NULL
    assert lib.lwbs_client_new(byref(config()), None, byref(out)) == Result.ERR_NULL
    assert lib.lwbs_client_new(byref(config()), byref(platform()), None) == Result.ERR_NULL
    assert not out, "*out is written only on LWBS_OK"
    assert new_client(lib, config(None))[0] == Result.ERR_NULL
    assert new_client(lib, config(b""))[0] == Result.ERR_INVALID_ARGUMENT
    assert new_client(lib, config(b"\xff\xfe"))[0] == Result.ERR_INVALID_ARGUMENT
    for field, value in (("lwm2m_version", 12), ("max_retransmit", 256),
                         ("require_server_account", 3)):
        cfg = config()
        setattr(cfg, field, value)
        assert new_client(lib, cfg)[0] == Result.ERR_INVALID_ARGUMENT, field
    for missing in ("open", "close", "send"):
        plat = platform()
        setattr(plat, missing, ctypes.cast(None, type(getattr(plat, missing))))
        assert new_client(lib, plat=plat)[0] == Result.ERR_PLATFORM, missing
    failing_entropy = _ffi.ENTROPY_FN(lambda _u, _b, _n: -1)
    assert new_client(lib, plat=platform(entropy=failing_entropy))[0] == Result.ERR_PLATFORM


def test_struct_size_mismatch(lib, raw_client):
    small = config()
    small.struct_size = 4
    assert new_client(lib, small)[0] == Result.ERR_INVALID_ARGUMENT
    # Fields appended since 0.1: the smallest accepted size is the 0.1 layout's: an older caller.
    plat = platform()
    plat.struct_size = _ffi.LWBS_PLATFORM_V0_1_SIZE - 8
    assert new_client(lib, plat=plat)[0] == Result.ERR_INVALID_ARGUMENT
    old = platform()
    old.struct_size = _ffi.LWBS_PLATFORM_V0_1_SIZE
    code, out = new_client(lib, plat=old)
    assert code == Result.OK and out
    lib.lwbs_client_free(out)
    old_config = config()
    old_config.struct_size = _ffi.LWBS_CONFIG_V0_1_SIZE
    code, out = new_client(lib, old_config)
    assert code == Result.OK and out
    lib.lwbs_client_free(out)
    acc = account()
    acc.struct_size = 0
    assert lib.lwbs_client_provision_server(raw_client, byref(acc)) == \
        Result.ERR_INVALID_ARGUMENT

    class BiggerConfig(ctypes.Structure):   # a newer caller: larger structs are accepted
        _fields_ = _ffi.lwbs_config._fields_ + [("future", ctypes.c_uint8 * 32)]
    big = BiggerConfig()
    lib.lwbs_config_init(ctypes.cast(byref(big), ctypes.POINTER(_ffi.lwbs_config)))
    big.struct_size, big.endpoint = sizeof(BiggerConfig), b"urn:dev:big"
    out = _ffi.CLIENT_P()
    code = lib.lwbs_client_new(ctypes.cast(byref(big), ctypes.POINTER(_ffi.lwbs_config)),
                               byref(platform()), byref(out))
    assert code == Result.OK and out
    lib.lwbs_client_free(out)


def test_null_client_is_err_null_everywhere(lib):
    u32, u16, size, flag, deadline = c_uint32(), c_uint16(), c_size_t(), c_bool(), c_uint64()
    buf = ctypes.create_string_buffer(8)
    acc = account()
    calls = {
        "provision_bootstrap_server": (byref(acc),), "provision_server": (byref(acc),),
        "start": (0,), "stop": (0,), "trigger_bootstrap": (0,), "recv": (1, None, 0, 0),
        "tick": (0, byref(deadline)), "state": (byref(u32),), "server_count": (byref(size),),
        "server_ssid": (0, byref(u16)), "server_uri": (1, buf, 8, byref(size)),
        "server_lifetime": (1, byref(u32)), "registration_location": (1, buf, 8, byref(size)),
        "has_bootstrap_server": (byref(flag),), "state_reason": (byref(u32),),
        "conn_error": (1, 0), "set_time": (0, 0),
    }
    for name, args in calls.items():
        assert getattr(lib, f"lwbs_client_{name}")(None, *args) == Result.ERR_NULL, name


def test_null_out_parameters(lib, raw_client):
    assert lib.lwbs_client_provision_server(raw_client, byref(account())) == Result.OK
    assert lib.lwbs_client_state(raw_client, None) == Result.ERR_NULL
    assert lib.lwbs_client_state_reason(raw_client, None) == Result.ERR_NULL
    assert lib.lwbs_client_server_count(raw_client, None) == Result.ERR_NULL
    assert lib.lwbs_client_server_ssid(raw_client, 0, None) == Result.ERR_NULL
    assert lib.lwbs_client_server_lifetime(raw_client, 1, None) == Result.ERR_NULL
    assert lib.lwbs_client_has_bootstrap_server(raw_client, None) == Result.ERR_NULL
    assert lib.lwbs_client_server_uri(raw_client, 1, None, 8, byref(c_size_t())) == \
        Result.ERR_NULL
    buf = ctypes.create_string_buffer(8)
    assert lib.lwbs_client_server_uri(raw_client, 1, buf, 8, None) == Result.ERR_NULL
    assert lib.lwbs_client_provision_server(raw_client, None) == Result.ERR_NULL
    acc = account(uri=None, ssid=2)
    assert lib.lwbs_client_provision_server(raw_client, byref(acc)) == Result.ERR_NULL
    acc = account(ssid=2)
    acc.identity_len = 3                # (NULL, len > 0)
    assert lib.lwbs_client_provision_server(raw_client, byref(acc)) == Result.ERR_NULL
    assert lib.lwbs_client_tick(raw_client, 0, None) == Result.OK, "next_deadline may be NULL"


def test_invalid_accounts(lib, raw_client):
    def provision(acc, fn="lwbs_client_provision_server"):
        return getattr(lib, fn)(raw_client, byref(acc))
    for ssid in (0, 65535):
        assert provision(account(ssid=ssid)) == Result.ERR_INVALID_ACCOUNT, ssid
    for uri in (b"http://127.0.0.1:5683", b"not a uri", b"coap://"):
        assert provision(account(uri=uri)) == Result.ERR_INVALID_ACCOUNT, uri
        assert provision(account(uri=uri), "lwbs_client_provision_bootstrap_server") == \
            Result.ERR_INVALID_ACCOUNT, uri
    assert provision(account(uri=b"coaps://127.0.0.1:5684")) == Result.ERR_INVALID_ACCOUNT
    assert provision(account(mode=SecurityMode.PSK)) == Result.ERR_INVALID_ACCOUNT
    psk = account(uri=b"coaps://127.0.0.1:5684", mode=SecurityMode.PSK)
    identity, key = (ctypes.c_uint8 * 2)(1, 2), (ctypes.c_uint8 * 2)(3, 4)
    psk.identity, psk.identity_len, psk.secret_key, psk.secret_key_len = identity, 2, key, 2
    rpk = account(uri=b"coaps://127.0.0.1:5684", mode=SecurityMode.RPK)
    rpk.identity, rpk.identity_len, rpk.secret_key, rpk.secret_key_len = identity, 2, key, 2
    rpk.server_key, rpk.server_key_len = key, 2
    assert provision(rpk) == Result.ERR_INVALID_ACCOUNT, "no raw public keys in Mbed TLS 2.28"
    assert provision(account(mode=7)) == Result.ERR_INVALID_ARGUMENT, "unknown mode"
    assert provision(account(uri=b"coap://\xff")) == Result.ERR_INVALID_ARGUMENT, "UTF-8"
    count = c_size_t()
    assert lib.lwbs_client_server_count(raw_client, byref(count)) == Result.OK
    assert count.value == 0, "nothing was installed by the refused calls"
    # A complete PSK account over coaps: accepted (the default build has the dtls feature).
    assert provision(psk) == Result.OK
    assert lib.lwbs_client_server_count(raw_client, byref(count)) == Result.OK
    assert count.value == 1


def test_wrong_state_calls(make_client):
    client = make_client("urn:dev:states", transport=UdpTransport())
    with pytest.raises(InvalidStateError):
        client.stop()
    with pytest.raises(InvalidStateError):
        client.trigger_bootstrap()
    assert client.state == State.IDLE
    assert client.servers == {} and not client.has_bootstrap_server
    with pytest.raises(NotFoundError):
        client.server_uri(1)
    code = client.lib.lwbs_client_server_ssid(client.handle, 0, byref(c_uint16()))
    assert code == Result.ERR_NOT_FOUND
    code = client.lib.lwbs_client_server_lifetime(client.handle, 1, byref(c_uint32()))
    assert code == Result.ERR_NOT_FOUND
    assert client.registration_location(1) is None

    # Nothing to start from: OK, then BOOTSTRAP_FAILED(NO_ACCOUNT) and FAILED.
    client.start()
    assert client.state == State.FAILED
    assert [(e.kind, e.reason) for e in client.events] == [
        (EventKind.BOOTSTRAP_FAILED, BootstrapFailure.NO_ACCOUNT)]
    with pytest.raises(LwbsError) as exc:
        client.trigger_bootstrap()
    assert exc.value.code == Result.ERR_NO_BOOTSTRAP_ACCOUNT
    with pytest.raises(InvalidStateError):
        client.provision_bootstrap_server("coap://127.0.0.1:5683")
    client.start()      # FAILED is not "started": start retries (and fails the same way)
    assert [e.reason for e in client.events] == [BootstrapFailure.NO_ACCOUNT] * 2


def test_bootstrap_in_progress_stop_and_unknown_connection(make_client):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # a BS that never answers
    silent.bind(("127.0.0.1", 0))
    try:
        client = make_client("urn:dev:progress")
        client.provision_bootstrap_server(f"coap://127.0.0.1:{silent.getsockname()[1]}")
        client.start()
        assert client.state == State.BOOTSTRAPPING
        (conn, uri), = client.transport.opened
        assert conn != 0 and uri == f"coap://127.0.0.1:{silent.getsockname()[1]}"
        request, _ = silent.recvfrom(2048)
        assert request[1] == 0x02 and b"bs" in request, "POST /bs"
        with pytest.raises(LwbsError) as exc:
            client.trigger_bootstrap()
        assert exc.value.code == Result.ERR_BOOTSTRAP_IN_PROGRESS
        with pytest.raises(InvalidStateError):
            client.provision_server(1, "coap://127.0.0.1:5683")
        with pytest.raises(InvalidStateError):
            client.start()
        lib, handle, now = client.lib, client.handle, client.clock()
        assert lib.lwbs_client_recv(handle, conn + 1000, (ctypes.c_uint8 * 1)(0), 1, now) == \
            Result.ERR_UNKNOWN_CONNECTION
        assert lib.lwbs_client_recv(handle, conn, None, 5, now) == Result.ERR_NULL
        assert lib.lwbs_client_recv(handle, conn, None, 0, now) == Result.OK, "empty datagram"
        assert lib.lwbs_client_recv(handle, conn, (ctypes.c_uint8 * 3)(0xFF, 1, 2), 3, now) == \
            Result.OK, "garbage is dropped, not an API error"

        client.stop()
        assert client.state == State.IDLE
        kinds = [(e.kind, e.reason) for e in client.events]
        assert (EventKind.BOOTSTRAP_FAILED, BootstrapFailure.CANCELLED) in kinds
        assert kinds[-1][0] == EventKind.STOPPED
        assert client.transport.closed == [conn] and client.transport.sockets == {}
        assert lib.lwbs_client_recv(handle, conn, (ctypes.c_uint8 * 1)(0), 1, now) == \
            Result.ERR_UNKNOWN_CONNECTION, "already closed"
        with pytest.raises(InvalidStateError):
            client.stop()
    finally:
        silent.close()


def test_buffer_too_small_and_string_getters(lib, raw_client):
    uri = b"coap://127.0.0.1:5690"
    acc = account(uri=uri, ssid=5)
    assert lib.lwbs_client_provision_server(raw_client, byref(acc)) == Result.OK
    out_len = c_size_t(12345)
    assert lib.lwbs_client_server_uri(raw_client, 5, None, 0, byref(out_len)) == \
        Result.ERR_BUFFER_TOO_SMALL
    assert out_len.value == len(uri)
    buf = ctypes.create_string_buffer(len(uri))
    assert lib.lwbs_client_server_uri(raw_client, 5, buf, len(uri), byref(out_len)) == \
        Result.ERR_BUFFER_TOO_SMALL, "no room for the NUL"
    buf = ctypes.create_string_buffer(len(uri) + 1)
    ctypes.memset(buf, 0xAA, len(uri) + 1)
    assert lib.lwbs_client_server_uri(raw_client, 5, buf, len(uri) + 1, byref(out_len)) == \
        Result.OK
    assert (buf.raw, out_len.value) == (uri + b"\x00", len(uri))
    lifetime = c_uint32()
    assert lib.lwbs_client_server_lifetime(raw_client, 5, byref(lifetime)) == Result.OK
    assert lifetime.value == 86400, "lifetime_s 0 means 86400"
    ssid, count = c_uint16(), c_size_t()
    assert lib.lwbs_client_server_count(raw_client, byref(count)) == Result.OK
    assert lib.lwbs_client_server_ssid(raw_client, 0, byref(ssid)) == Result.OK
    assert (count.value, ssid.value) == (1, 5)


def test_reentrant_call_from_a_callback_is_busy(make_client):
    seen = []

    def on_event(event):
        client = holder[0]
        state = c_uint32()
        seen.append(client.lib.lwbs_client_state(client.handle, byref(state)))
        seen.append(client.lib.lwbs_client_start(client.handle, 0))

    holder = []
    client = make_client("urn:dev:busy", on_event=on_event)
    holder.append(client)
    client.start()      # no accounts: BOOTSTRAP_FAILED is reported from inside start()
    assert seen == [Result.ERR_BUSY, Result.ERR_BUSY]
    assert client.state == State.FAILED


def test_python_exception_in_a_callback_is_reraised(make_client):
    class BrokenTransport(UdpTransport):
        def open(self, conn, uri):
            raise RuntimeError("no network")

    client = make_client("urn:dev:broken", transport=BrokenTransport())
    client.provision_bootstrap_server("coap://127.0.0.1:5683")
    with pytest.raises(RuntimeError, match="no network"):
        client.start()
    # A failing open fails the bootstrap at once (retried after the back-off); the engine
    # itself is fine.
    assert client.state == State.FAILED
    assert [e.reason for e in client.events if e.kind == EventKind.BOOTSTRAP_FAILED] == [
        BootstrapFailure.TRANSPORT]
    client.close()
    client.close()      # idempotent
    with pytest.raises(ValueError):
        client.handle


# ----- reasons in the exception messages (docs/errors.md) ---------------------------------------

@pytest.mark.parametrize("uri,kwargs,code,reason", [
    ("http://127.0.0.1", {}, Result.ERR_INVALID_ACCOUNT,
     "account http://127.0.0.1: unknown URI scheme (coap:// or coaps:// expected)"),
    ("coap://:5683", {}, Result.ERR_INVALID_ACCOUNT,
     "account coap://:5683: missing or malformed host in the URI"),
    ("coap://h:70000", {}, Result.ERR_INVALID_ACCOUNT,
     "account coap://h:70000: bad port in the URI (1..65535)"),
    ("coaps://h", {"security_mode": SecurityMode.NOSEC}, Result.ERR_INVALID_ACCOUNT,
     "account coaps://h: coaps:// URI with Security Mode NoSec: coaps needs PSK or certificate "
     "credentials"),
    ("coaps://h", {}, Result.ERR_INVALID_ACCOUNT,
     "account coaps://h: PSK credentials missing or out of bounds (identity 1..128 bytes, key "
     "1..64 bytes)"),
    ("coap://h", {"security_mode": SecurityMode.PSK, "identity": b"id", "secret_key": b"k"},
     Result.ERR_INVALID_ACCOUNT,
     "account coap://h: Security Mode PSK needs a coaps:// URI, not coap://"),
    ("coaps://h", {"identity": b"i" * 129, "secret_key": b"k"}, Result.ERR_INVALID_ARGUMENT,
     "account coaps://h: PSK identity of 129 bytes is longer than 128 bytes"),
    ("coap://" + "h" * 256, {}, Result.ERR_INVALID_ARGUMENT,
     f"account coap://{'h' * 256}: URI host of 256 bytes exceeds the 255-byte Uri-Host option"),
])
def test_the_exception_names_why_an_account_is_invalid(make_client, uri, kwargs, code, reason):
    client = make_client("urn:dev:reasons")
    with pytest.raises(LwbsError) as exc:
        client.provision_server(1, uri, **kwargs)
    assert exc.value.code == code
    assert exc.value.detail == reason
    assert str(exc.value) == (
        f"lwbs_client_provision_server: {result_str(code)} ({code.name}): {reason}")
    assert (2, f"lwbs_client_provision_server: {reason}") in client.logs
    client.provision_server(2, "coap://127.0.0.1:5683")   # a good call clears the reason
    assert client._detail("lwbs_client_provision_server") == ""


def test_a_bad_short_server_id_and_a_long_binding_are_named(make_client):
    client = make_client("urn:dev:reasons")
    with pytest.raises(LwbsError, match=r"Short Server ID 0 outside 1\.\.65534$"):
        client.provision_server(0, "coap://127.0.0.1:5683")
    with pytest.raises(LwbsError) as exc:
        client.provision_server(1, "coap://127.0.0.1:5683", binding="U" * 254)
    assert exc.value.code == Result.ERR_INVALID_ARGUMENT
    assert exc.value.detail.endswith("binding of 254 bytes exceeds the 255-byte Uri-Query "
                                     "option (b=)")


@pytest.mark.parametrize("length,ok", [(252, True), (253, False), (5000, False)])
def test_the_endpoint_name_must_fit_the_ep_uri_query_option(make_client, length, ok):
    if ok:
        make_client("e" * length)
        return
    with pytest.raises(LwbsError) as exc:
        make_client("e" * length)
    assert exc.value.code == Result.ERR_INVALID_ARGUMENT
    assert str(exc.value) == (
        f"lwbs_client_new: invalid argument (ERR_INVALID_ARGUMENT): Endpoint Client Name of "
        f"{length} bytes is too long: ep=NAME must fit one 255-byte Uri-Query option, so NAME "
        f"is at most 252 bytes")


def test_config_check_gives_each_reason(lib):
    buf = ctypes.create_string_buffer(256)
    out_len = c_size_t()
    bad = config()
    bad.max_retransmit = 300
    assert lib.lwbs_config_check(byref(bad), buf, 256, byref(out_len)) == \
        Result.ERR_INVALID_ARGUMENT
    assert buf.value == b"max_retransmit 300: 0..255 or UINT32_MAX"
    assert out_len.value == len(buf.value)
    assert lib.lwbs_config_check(byref(config()), buf, 256, byref(out_len)) == Result.OK
    assert (buf.value, out_len.value) == (b"", 0)


def test_an_unresolvable_host_fails_the_bootstrap_at_once(make_client):
    """RFC 6761 .invalid: the transport's open fails, and the bootstrap with it, during
    start() rather than after the Bootstrap-Request's retransmissions."""
    client = make_client("urn:dev:unresolvable")
    client.provision_bootstrap_server("coap://bs.lwbs-test.invalid:5683")
    client.start()
    assert client.state == State.FAILED
    (failed,) = [e for e in client.events if e.kind == EventKind.BOOTSTRAP_FAILED]
    assert failed.reason == BootstrapFailure.TRANSPORT
    assert failed.detail == ("could not open a connection to the Bootstrap-Server (the "
                             "platform's open failed)")
    (conn, why), = client.transport.open_errors
    assert conn != 0 and why
    assert client.transport.sent == [] and client.transport.closed == []
