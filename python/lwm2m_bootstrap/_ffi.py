"""Raw ctypes declarations of the lwm2m-bootstrap C ABI (include/lwm2m_bootstrap.h, 0.2 layout).

Every struct mirrors the C field order and types exactly; every exported function gets its
``argtypes``/``restype`` in :func:`load_library`. Nothing here is Pythonic: see
:mod:`lwm2m_bootstrap` for the wrapper.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char, c_char_p, c_int32, c_size_t,
                    c_uint8, c_uint16, c_uint32, c_uint64, c_void_p)
from enum import IntEnum
from pathlib import Path as _FsPath

UINT16_ABSENT = 0xFFFF
UINT64_NONE = 0xFFFF_FFFF_FFFF_FFFF
MAX_RETRANSMIT_DEFAULT = 0xFFFF_FFFF


class Result(IntEnum):
    """``lwbs_result``."""
    OK = 0
    ERR_NULL = 1
    ERR_INVALID_ARGUMENT = 2
    ERR_INVALID_STATE = 3
    ERR_NO_BOOTSTRAP_ACCOUNT = 4
    ERR_BOOTSTRAP_IN_PROGRESS = 5
    ERR_UNKNOWN_CONNECTION = 6
    ERR_INVALID_ACCOUNT = 7
    ERR_BUFFER_TOO_SMALL = 8
    ERR_NOT_FOUND = 9
    ERR_PLATFORM = 10
    ERR_STORAGE = 11
    ERR_BUSY = 12
    ERR_PANIC = 13
    ERR_UNSUPPORTED = 14


class State(IntEnum):
    """``lwbs_state``."""
    IDLE = 0
    HOLD_OFF = 1
    BOOTSTRAPPING = 2
    REGISTERING = 3
    REGISTERED = 4
    FAILED = 5
    STOPPING = 6


class StateReason(IntEnum):
    """``lwbs_state_reason``: why the client is in its state. May grow."""
    NONE = 0
    FACTORY_CONFIGURATION = 1
    BOOTSTRAPPED = 2
    NO_SERVER_ACCOUNT = 3
    REGISTRATION_FAILED = 4
    SERVER_TRIGGER = 5
    SERVER_PUSH = 6
    APPLICATION = 7
    BOOTSTRAP_RETRY = 8
    BOOTSTRAP_FAILED = 9
    NO_BOOTSTRAP_ACCOUNT = 10
    SMARTCARD = 20


class SecurityMode(IntEnum):
    """``lwbs_security_mode``."""
    PSK = 0
    RPK = 1
    CERTIFICATE = 2
    NOSEC = 3


class EventKind(IntEnum):
    """``lwbs_event_kind``."""
    BOOTSTRAP_STARTED = 1
    BOOTSTRAP_FINISHED = 2
    BOOTSTRAP_FAILED = 3
    BOOTSTRAP_FINISH_REFUSED = 4
    REGISTERED = 5
    UPDATED = 6
    DEREGISTERED = 7
    REGISTRATION_FAILED = 8
    CONFIGURATION_CHANGED = 9
    STOPPED = 10
    BOOTSTRAP_ACCOUNT_PURGED = 11
    STORAGE_IGNORED = 12
    STORAGE_FAILED = 13
    SMARTCARD_APPLIED = 20
    SMARTCARD_REJECTED = 21
    SMARTCARD_CHANGED = 22
    SMARTCARD_REMOVED = 23


class BootstrapFailure(IntEnum):
    """``lwbs_bootstrap_failure``."""
    NONE = 0
    NO_ACCOUNT = 1
    BAD_URI = 2
    UNSUPPORTED_SECURITY = 3
    REJECTED = 4
    REQUEST_TIMEOUT = 5
    RESET = 6
    FINISH_TIMEOUT = 7
    CANCELLED = 8
    TRANSPORT = 9
    HANDSHAKE = 10
    STORAGE = 11
    BAD_PACK = 12
    SECURITY_REFUSED = 13


class RegistrationFailure(IntEnum):
    """``lwbs_registration_failure``."""
    REJECTED = 1
    TIMEOUT = 2
    RESET = 3
    UNUSABLE = 4
    TRANSPORT = 5
    HANDSHAKE = 6
    NO_LOCATION = 7
    SECURITY_REFUSED = 8


class lwbs_event(Structure):
    _fields_ = [("kind", c_uint32), ("ssid", c_uint16), ("accounts", c_uint32),
                ("reason", c_uint32), ("location", c_char_p), ("detail", c_char_p)]


class lwbs_config(Structure):
    _fields_ = [("struct_size", c_uint32), ("endpoint", c_char_p), ("lwm2m_version", c_uint32),
                ("ack_timeout_ms", c_uint32), ("max_retransmit", c_uint32),
                ("require_server_account", c_uint32),
                # 0.2 (appended)
                ("bootstrap_backoff_base_s", c_uint32), ("bootstrap_backoff_cap_s", c_uint32),
                ("registration_retry_count", c_uint32), ("registration_retry_timer_s", c_uint32),
                ("registration_sequence_retry_count", c_uint32),
                ("registration_sequence_delay_s", c_uint32),
                ("preferred_format", c_uint32),
                ("bootstrap_pack", c_uint32)]


class lwbs_account(Structure):
    _fields_ = [("struct_size", c_uint32), ("uri", c_char_p), ("security_mode", c_uint32),
                ("ssid", c_uint16), ("lifetime_s", c_uint32), ("binding", c_char_p),
                ("hold_off_s", c_uint32), ("account_timeout_s", c_uint32),
                ("identity", POINTER(c_uint8)), ("identity_len", c_size_t),
                ("server_key", POINTER(c_uint8)), ("server_key_len", c_size_t),
                ("secret_key", POINTER(c_uint8)), ("secret_key_len", c_size_t)]


class lwbs_path(Structure):
    _fields_ = [("object", c_uint16), ("instance", c_uint16), ("resource", c_uint16),
                ("resource_instance", c_uint16)]


class lwbs_dm_request(Structure):
    _fields_ = [("ssid", c_uint16), ("method", c_uint8), ("path", lwbs_path),
                ("content_format", c_uint16), ("accept", c_uint16),
                ("payload", POINTER(c_uint8)), ("payload_len", c_size_t)]


class lwbs_dm_response(Structure):
    _fields_ = [("code", c_uint8), ("content_format", c_uint16), ("payload", POINTER(c_uint8)),
                ("payload_capacity", c_size_t), ("payload_len", c_size_t)]


OPEN_FN = CFUNCTYPE(c_int32, c_void_p, c_uint32, c_char_p)
CLOSE_FN = CFUNCTYPE(None, c_void_p, c_uint32)
SEND_FN = CFUNCTYPE(c_int32, c_void_p, c_uint32, POINTER(c_uint8), c_size_t)
LOAD_FN = CFUNCTYPE(c_int32, c_void_p, c_uint32, POINTER(c_uint8), c_size_t, POINTER(c_size_t))
SAVE_FN = CFUNCTYPE(c_int32, c_void_p, c_uint32, POINTER(c_uint8), c_size_t)
LOG_FN = CFUNCTYPE(None, c_void_p, c_uint32, c_char_p)
EVENT_FN = CFUNCTYPE(None, c_void_p, POINTER(lwbs_event))
ENTROPY_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(c_uint8), c_size_t)
DM_REQUEST_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(lwbs_dm_request), POINTER(lwbs_dm_response))
BOOTSTRAP_BEGIN_FN = CFUNCTYPE(None, c_void_p)
BOOTSTRAP_WRITE_FN = CFUNCTYPE(c_uint8, c_void_p, POINTER(lwbs_path), c_uint16, POINTER(c_uint8),
                               c_size_t)
BOOTSTRAP_DELETE_FN = CFUNCTYPE(c_uint8, c_void_p, POINTER(lwbs_path))
BOOTSTRAP_VALIDATE_FN = CFUNCTYPE(c_int32, c_void_p)
BOOTSTRAP_END_FN = CFUNCTYPE(None, c_void_p, c_bool)
CARD_PRESENT_FN = CFUNCTYPE(c_int32, c_void_p)
CARD_TRANSMIT_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(c_uint8), c_size_t, POINTER(c_uint8),
                             c_size_t, POINTER(c_size_t))


class lwbs_security(Structure):
    """What open_secure receives (the platform secures the connection itself)."""
    _fields_ = [("struct_size", c_uint32), ("mode", c_uint32), ("bootstrap", c_bool),
                ("identity", POINTER(c_uint8)), ("identity_len", c_size_t),
                ("server_key", POINTER(c_uint8)), ("server_key_len", c_size_t),
                ("secret_key", POINTER(c_uint8)), ("secret_key_len", c_size_t),
                ("certificate_usage", c_uint32), ("matching_type", c_uint32),
                ("sni", c_char_p)]


OPEN_SECURE_FN = CFUNCTYPE(c_int32, c_void_p, c_uint32, c_char_p, POINTER(lwbs_security))
LOAD_SESSIONS_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(c_uint8), c_size_t, POINTER(c_size_t))
SAVE_SESSIONS_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(c_uint8), c_size_t)


class lwbs_platform(Structure):
    _fields_ = [("struct_size", c_uint32), ("userdata", c_void_p), ("open", OPEN_FN),
                ("close", CLOSE_FN), ("send", SEND_FN), ("load", LOAD_FN), ("save", SAVE_FN),
                ("log", LOG_FN), ("event", EVENT_FN), ("entropy", ENTROPY_FN),
                ("dm_request", DM_REQUEST_FN),
                # 0.2 (appended)
                ("bootstrap_begin", BOOTSTRAP_BEGIN_FN), ("bootstrap_write", BOOTSTRAP_WRITE_FN),
                ("bootstrap_delete", BOOTSTRAP_DELETE_FN),
                ("bootstrap_validate", BOOTSTRAP_VALIDATE_FN), ("bootstrap_end", BOOTSTRAP_END_FN),
                # 0.3 (appended): Bootstrap from Smartcard
                ("card_present", CARD_PRESENT_FN), ("card_transmit", CARD_TRANSMIT_FN),
                # 0.4 (appended): security done by the platform (left 0/NULL here)
                ("secure_modes", c_uint32), ("open_secure", OPEN_SECURE_FN),
                ("load_sessions", LOAD_SESSIONS_FN), ("save_sessions", SAVE_SESSIONS_FN)]


class lwbs_smartcard_config(Structure):
    _fields_ = [("struct_size", c_uint32), ("logical_channel", c_bool), ("max_chunk", c_uint16),
                ("pin_reference", c_uint8), ("pin", POINTER(c_uint8)), ("pin_len", c_size_t),
                # appended: SCP03 (older callers pass the smaller size and get no secure channel)
                ("scp03_key_version", c_uint8), ("scp03_security_level", c_uint8),
                ("scp03_enc_key", POINTER(c_uint8)), ("scp03_mac_key", POINTER(c_uint8)),
                ("scp03_dek_key", POINTER(c_uint8)), ("scp03_key_len", c_size_t)]

# The first published (0.1) sizes: the smallest struct_size the library accepts.
LWBS_CONFIG_V0_1_SIZE = lwbs_config.bootstrap_backoff_base_s.offset
LWBS_PLATFORM_V0_1_SIZE = lwbs_platform.bootstrap_begin.offset
# lwbs_smartcard_config before the SCP03 fields.
LWBS_SMARTCARD_CONFIG_V0_SIZE = lwbs_smartcard_config.scp03_key_version.offset


class lwbs_client(Structure):
    """Opaque."""


CLIENT_P = POINTER(lwbs_client)

# name: (restype, argtypes)
SIGNATURES = {
    "lwbs_version": (c_char_p, []),
    "lwbs_result_str": (c_char_p, [c_uint32]),
    "lwbs_config_init": (None, [POINTER(lwbs_config)]),
    "lwbs_account_init": (None, [POINTER(lwbs_account)]),
    "lwbs_client_new": (c_uint32, [POINTER(lwbs_config), POINTER(lwbs_platform),
                                   POINTER(CLIENT_P)]),
    "lwbs_client_free": (None, [CLIENT_P]),
    "lwbs_client_provision_bootstrap_server": (c_uint32, [CLIENT_P, POINTER(lwbs_account)]),
    "lwbs_client_provision_server": (c_uint32, [CLIENT_P, POINTER(lwbs_account)]),
    "lwbs_client_start": (c_uint32, [CLIENT_P, c_uint64]),
    "lwbs_client_stop": (c_uint32, [CLIENT_P, c_uint64]),
    "lwbs_client_trigger_bootstrap": (c_uint32, [CLIENT_P, c_uint64]),
    "lwbs_client_recv": (c_uint32, [CLIENT_P, c_uint32, POINTER(c_uint8), c_size_t, c_uint64]),
    "lwbs_client_tick": (c_uint32, [CLIENT_P, c_uint64, POINTER(c_uint64)]),
    "lwbs_client_state": (c_uint32, [CLIENT_P, POINTER(c_uint32)]),
    "lwbs_client_state_reason": (c_uint32, [CLIENT_P, POINTER(c_uint32)]),
    "lwbs_client_conn_error": (c_uint32, [CLIENT_P, c_uint32, c_uint64]),
    "lwbs_client_set_time": (c_uint32, [CLIENT_P, c_uint64, c_uint64]),
    "lwbs_client_server_count": (c_uint32, [CLIENT_P, POINTER(c_size_t)]),
    "lwbs_client_server_ssid": (c_uint32, [CLIENT_P, c_size_t, POINTER(c_uint16)]),
    "lwbs_client_server_uri": (c_uint32, [CLIENT_P, c_uint16, POINTER(c_char), c_size_t,
                                          POINTER(c_size_t)]),
    "lwbs_client_server_lifetime": (c_uint32, [CLIENT_P, c_uint16, POINTER(c_uint32)]),
    "lwbs_client_registration_location": (c_uint32, [CLIENT_P, c_uint16, POINTER(c_char),
                                                     c_size_t, POINTER(c_size_t)]),
    "lwbs_client_has_bootstrap_server": (c_uint32, [CLIENT_P, POINTER(c_bool)]),
    "lwbs_client_last_error": (c_uint32, [CLIENT_P, POINTER(c_char), c_size_t,
                                          POINTER(c_size_t)]),
    "lwbs_config_check": (c_uint32, [POINTER(lwbs_config), POINTER(c_char), c_size_t,
                                     POINTER(c_size_t)]),
    "lwbs_smartcard_config_init": (None, [POINTER(lwbs_smartcard_config)]),
    "lwbs_client_set_smartcard": (c_uint32, [CLIENT_P, POINTER(lwbs_smartcard_config)]),
}


def library_path() -> str:
    """``$LWBS_LIBRARY``, else the newest of the CMake build's ``build/lib/liblwm2m_bootstrap.so``
    (what ``cmake -S . -B build`` and ``c-examples/run-demo.sh`` produce) and cargo's
    ``target/{release,debug}/liblwm2m_bootstrap.so`` in this repository."""
    env = os.environ.get("LWBS_LIBRARY")
    if env:
        return env
    root = _FsPath(__file__).resolve().parents[2]
    candidates = [root / "build" / "lib" / "liblwm2m_bootstrap.so"]
    candidates += [root / "target" / p / "liblwm2m_bootstrap.so" for p in ("release", "debug")]
    existing = [c for c in candidates if c.exists()]
    if not existing:
        raise OSError("liblwm2m_bootstrap.so not found in build/lib or target/{release,debug}: "
                      "build it (`cmake -S . -B build && cmake --build build`, or `cargo build`) "
                      "or set LWBS_LIBRARY")
    return str(max(existing, key=lambda c: c.stat().st_mtime))


_LIBS: dict[str, ctypes.CDLL] = {}


def load_library(path: str | None = None) -> ctypes.CDLL:
    """Loads (once per path) the shared library and declares every function's signature."""
    path = path or library_path()
    if path not in _LIBS:
        lib = ctypes.CDLL(path)
        missing = [name for name in SIGNATURES if not hasattr(lib, name)]
        if missing:
            raise OSError(f"{path} lacks the C ABI exports: {', '.join(missing)}")
        for name, (restype, argtypes) in SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        _LIBS[path] = lib
    return _LIBS[path]
