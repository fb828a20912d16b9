"""Python bindings (ctypes) for the lwm2m-bootstrap C ABI, plus a UDP transport for labs/tests.

Typical use::

    from lwm2m_bootstrap import Client, State
    with Client("urn:dev:1") as client:          # a UdpTransport is created by default
        client.provision_bootstrap_server("coap://127.0.0.1:5783")
        client.start()
        client.run_until(lambda: client.state == State.REGISTERED, timeout=30)

The library is loaded from ``$LWBS_LIBRARY``, else the newest of ``build/lib`` (CMake) and
``target/{release,debug}`` (cargo) of this repository.
"""

from __future__ import annotations

import ctypes
import enum
import logging
import os
import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lwm2m_bootstrap import _ffi
from lwm2m_bootstrap._ffi import (UINT64_NONE, BootstrapFailure, EventKind,
                                  RegistrationFailure, Result, SecurityMode, State, StateReason,
                                  load_library)

__all__ = ["Client", "ContentFormat", "Event", "LwbsError", "UdpTransport", "MemoryStorage", "FileStorage",
           "VirtualClock", "Result", "State", "StateReason", "EventKind", "BootstrapFailure",
           "RegistrationFailure", "SecurityMode",
           "load_library", "result_str", "version"]

log = logging.getLogger("lwm2m_bootstrap")


# ----- errors ----------------------------------------------------------------------------------

class LwbsError(Exception):
    """A C function returned something other than LWBS_OK.

    ``code`` is the :class:`Result`, ``message`` the text of ``lwbs_result_str``, ``detail``
    the library's reason when it gave one (``lwbs_client_last_error``, ``lwbs_config_check``),
    for example "account coap://h: Security Mode PSK needs a coaps:// URI, not coap://"; it
    ends the exception's text. Each code has a subclass (for example
    :class:`InvalidStateError`); ``LwbsError.for_code`` picks it.
    """

    def __init__(self, code: int, message: str | None = None, function: str = "",
                 detail: str | None = None):
        self.code = Result(code) if code in Result._value2member_map_ else code
        self.message = message if message is not None else result_str(code)
        self.function = function
        self.detail = detail or None
        where = f"{function}: " if function else ""
        why = f": {self.detail}" if self.detail else ""
        super().__init__(
            f"{where}{self.message} ({getattr(self.code, 'name', self.code)}){why}")

    @staticmethod
    def for_code(code: int, function: str = "", detail: str | None = None) -> "LwbsError":
        """The exception instance (of the right subclass) for ``code``."""
        return _ERROR_CLASSES.get(code, LwbsError)(code, function=function, detail=detail)


class NullPointerError(LwbsError): """LWBS_ERR_NULL."""
class InvalidArgumentError(LwbsError): """LWBS_ERR_INVALID_ARGUMENT."""
class InvalidStateError(LwbsError): """LWBS_ERR_INVALID_STATE."""
class NoBootstrapAccountError(LwbsError): """LWBS_ERR_NO_BOOTSTRAP_ACCOUNT."""
class BootstrapInProgressError(LwbsError): """LWBS_ERR_BOOTSTRAP_IN_PROGRESS."""
class UnknownConnectionError(LwbsError): """LWBS_ERR_UNKNOWN_CONNECTION."""
class InvalidAccountError(LwbsError): """LWBS_ERR_INVALID_ACCOUNT."""
class BufferTooSmallError(LwbsError): """LWBS_ERR_BUFFER_TOO_SMALL."""
class NotFoundError(LwbsError): """LWBS_ERR_NOT_FOUND."""
class PlatformError(LwbsError): """LWBS_ERR_PLATFORM."""
class StorageError(LwbsError): """LWBS_ERR_STORAGE."""
class BusyError(LwbsError): """LWBS_ERR_BUSY."""
class PanicError(LwbsError): """LWBS_ERR_PANIC."""
class UnsupportedError(LwbsError):
    """LWBS_ERR_UNSUPPORTED: this build leaves the feature out (Bootstrap from Smartcard)."""


_ERROR_CLASSES = {
    Result.ERR_NULL: NullPointerError, Result.ERR_INVALID_ARGUMENT: InvalidArgumentError,
    Result.ERR_INVALID_STATE: InvalidStateError,
    Result.ERR_NO_BOOTSTRAP_ACCOUNT: NoBootstrapAccountError,
    Result.ERR_BOOTSTRAP_IN_PROGRESS: BootstrapInProgressError,
    Result.ERR_UNKNOWN_CONNECTION: UnknownConnectionError,
    Result.ERR_INVALID_ACCOUNT: InvalidAccountError,
    Result.ERR_BUFFER_TOO_SMALL: BufferTooSmallError, Result.ERR_NOT_FOUND: NotFoundError,
    Result.ERR_PLATFORM: PlatformError, Result.ERR_STORAGE: StorageError,
    Result.ERR_BUSY: BusyError, Result.ERR_PANIC: PanicError,
    Result.ERR_UNSUPPORTED: UnsupportedError,
}
__all__ += [c.__name__ for c in _ERROR_CLASSES.values()]


def result_str(code: int) -> str:
    """``lwbs_result_str(code)``."""
    return load_library().lwbs_result_str(code).decode()


def version() -> str:
    """``lwbs_version()``, e.g. ``"0.1.0"``."""
    return load_library().lwbs_version().decode()


def _check(code: int, function: str = "", detail: str | None = None) -> None:
    if code != Result.OK:
        raise LwbsError.for_code(code, function, detail)


def _read_string(fn, *args) -> str:
    """Calls a ``(..., buf, capacity, out_len)`` function of the C ABI; the text ("" on
    failure)."""
    out_len = ctypes.c_size_t(0)
    fn(*args, None, 0, ctypes.byref(out_len))
    buf = ctypes.create_string_buffer(out_len.value + 1)
    fn(*args, buf, len(buf), ctypes.byref(out_len))
    return buf.value.decode(errors="replace")


# ----- events, clock, storage ------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    """One ``lwbs_event``, copied out of the callback."""

    kind: EventKind | int
    ssid: int = 0
    accounts: int = 0
    reason: BootstrapFailure | RegistrationFailure | int = 0
    location: str | None = None
    detail: str | None = None

    @property
    def name(self) -> str:
        """The kind's name, e.g. ``"REGISTERED"``."""
        return getattr(self.kind, "name", str(self.kind))


class VirtualClock:
    """A millisecond clock that follows ``time.monotonic`` and can jump forward."""

    def __init__(self, start_ms: int = 1_000_000):
        self._base = time.monotonic()
        self._start = start_ms
        self.offset_ms = 0

    def __call__(self) -> int:
        return self._start + int((time.monotonic() - self._base) * 1000) + self.offset_ms

    def advance(self, ms: int) -> int:
        """Jumps forward ``ms`` milliseconds; returns the new time."""
        self.offset_ms += ms
        return self()


def monotonic_ms() -> int:
    """The default clock: ``time.monotonic`` in milliseconds."""
    return time.monotonic_ns() // 1_000_000


class MemoryStorage:
    """The library's two storage slots in memory: :attr:`slots` ``[slot0, slot1]`` (``None`` =
    nothing stored). The library alternates the slots (image generation n goes to slot n % 2)
    and checks every image it loads, so a write only ever replaces one slot's content.
    :attr:`writes` lists the slot of every save in order; :attr:`data` is the last image
    saved (``None`` before the first save). :attr:`sessions` is the session record (saved
    DTLS sessions of the library's own DTLS, for an abbreviated handshake after a restart;
    ``b""`` = none) and :attr:`session_writes` counts its writes."""

    def __init__(self, slot0: bytes | None = None, slot1: bytes | None = None,
                 sessions: bytes = b""):
        self.slots: list[bytes | None] = [slot0, slot1]
        self.writes: list[int] = []
        self.sessions = bytes(sessions)
        self.session_writes = 0

    @property
    def saves(self) -> int:
        return len(self.writes)

    @property
    def data(self) -> bytes | None:
        return self.slots[self.writes[-1]] if self.writes else None

    def load(self, slot: int) -> bytes | None:
        return self.slots[slot]

    def save(self, slot: int, data: bytes) -> None:
        self.slots[slot] = bytes(data)
        self.writes.append(slot)

    def load_sessions(self) -> bytes:
        return self.sessions

    def save_sessions(self, data: bytes) -> None:
        self.sessions = bytes(data)
        self.session_writes += 1


class FileStorage(MemoryStorage):
    """The two slots as files ``slot0.img`` and ``slot1.img`` in ``directory`` (created if
    needed), each written in place and fsync'ed: the slots, not a rename, make a write that is
    cut off harmless."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        super().__init__()
        sessions = self.directory / "sessions.bin"
        self.sessions = sessions.read_bytes() if sessions.exists() else b""

    def save_sessions(self, data: bytes) -> None:
        """``sessions.bin``, written in place (a torn record costs one full handshake);
        an empty record removes it."""
        path = self.directory / "sessions.bin"
        if data:
            path.write_bytes(bytes(data))
        else:
            path.unlink(missing_ok=True)
        super().save_sessions(data)

    def path(self, slot: int) -> Path:
        return self.directory / f"slot{slot}.img"

    def load(self, slot: int) -> bytes | None:
        path = self.path(slot)
        return path.read_bytes() if path.exists() else None

    def save(self, slot: int, data: bytes) -> None:
        fd = os.open(self.path(slot), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            view = memoryview(bytes(data))
            while view:
                view = view[os.write(fd, view):]
            os.ftruncate(fd, len(data))
            os.fsync(fd)
        finally:
            os.close(fd)
        self.slots[slot] = bytes(data)
        self.writes.append(slot)


# ----- transport -------------------------------------------------------------------------------

class UdpTransport:
    """One connected UDP socket per ``lwbs_conn``, to the URI's host and port."""

    DEFAULT_PORTS = {"coap": 5683, "coaps": 5684}

    def __init__(self):
        self.sockets: dict[int, socket.socket] = {}
        self.uris: dict[int, str] = {}
        self.sent: list[tuple[int, bytes]] = []
        self.opened: list[tuple[int, str]] = []
        self.closed: list[int] = []
        self.errors: list[int] = []   # connections that saw an ICMP error (not yet taken)
        self.open_errors: list[tuple[int, str]] = []   # opens that failed, and why

    def open(self, conn: int, uri: str) -> int:
        """Opens the socket for ``conn``; returns 0 or -1."""
        parts = urlsplit(uri)
        port = parts.port or self.DEFAULT_PORTS.get(parts.scheme, 5683)
        try:
            info = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_DGRAM)[0]
        except OSError as exc:  # e.g. the name does not resolve: the library fails it at once
            log.error("cannot resolve %s:%s: %s", parts.hostname, port, exc)
            self.open_errors.append((conn, str(exc)))
            return -1
        sock = socket.socket(info[0], socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.connect(info[4])
        self.sockets[conn] = sock
        self.uris[conn] = uri
        self.opened.append((conn, uri))
        return 0

    def close(self, conn: int) -> None:
        """Closes the socket of ``conn``."""
        sock = self.sockets.pop(conn, None)
        if sock is not None:
            sock.close()
        self.closed.append(conn)

    def send(self, conn: int, data: bytes) -> int:
        """Sends one datagram; returns 0 or -1."""
        sock = self.sockets.get(conn)
        if sock is None:
            return -1
        try:
            sock.send(data)
        except OSError as exc:  # e.g. ICMP port unreachable from an earlier datagram
            log.debug("send on conn %d failed: %s", conn, exc)
            return -1
        self.sent.append((conn, data))
        return 0

    def poll(self, timeout_s: float) -> list[tuple[int, bytes]]:
        """Waits up to ``timeout_s`` for datagrams; returns ``[(conn, datagram), ...]``."""
        by_fd = {s.fileno(): c for c, s in self.sockets.items()}
        if not by_fd:
            time.sleep(max(0.0, timeout_s))
            return []
        readable, _, _ = select.select(list(by_fd), [], [], max(0.0, timeout_s))
        received = []
        for fd in readable:
            conn = by_fd[fd]
            while conn in self.sockets:
                try:
                    received.append((conn, self.sockets[conn].recv(65535)))
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:  # ICMP errors surface here (see take_errors)
                    log.debug("recv on conn %d: %s", conn, exc)
                    if isinstance(exc, ConnectionRefusedError):
                        self.errors.append(conn)
                    break
        return received

    def take_errors(self) -> list[int]:
        """The connections that saw ``ECONNREFUSED`` (ICMP port unreachable) since the last
        call; a client with ``report_transport_errors`` passes them to ``conn_error``."""
        errors, self.errors = self.errors, []
        return errors

    def close_all(self) -> None:
        """Closes every socket."""
        for conn in list(self.sockets):
            self.close(conn)


class ContentFormat(enum.IntEnum):
    """The hierarchical content formats of ``preferred_format`` (and of Write and Read)."""

    SENML_JSON = 110
    SENML_CBOR = 112
    TLV = 11542
    LWM2M_CBOR = 11544


# ----- the client ------------------------------------------------------------------------------

class Client:
    """An ``lwbs_client`` with its platform callbacks implemented in Python.

    ``transport`` implements ``open(conn, uri)``, ``close(conn)``, ``send(conn, data)`` and
    ``poll(timeout_s)`` (default: a new :class:`UdpTransport`). ``clock`` returns milliseconds
    (default: monotonic; pass a :class:`VirtualClock` to jump time). ``storage`` has
    ``load(slot)``/``save(slot, data)`` for the two slots 0 and 1 (:class:`MemoryStorage`,
    :class:`FileStorage`) or is ``None``; with ``load_sessions()``/``save_sessions(data)`` as
    well (both classes have them) DTLS sessions survive a restart.
    ``entropy=False`` passes a NULL entropy callback (fixed seed). ``dm_handler(request)``
    answers DM requests on firmware objects and returns ``(code, content_format, payload)``.
    ``bootstrap_objects`` receives the Bootstrap-Writes/-Deletes of firmware objects inside
    the bootstrap transaction: ``begin()``, ``write(path, content_format, payload) -> code``,
    ``delete(path) -> code``, ``validate() -> bool``, ``end(commit)`` (paths are tuples).
    ``smartcard`` is the device's UICC for Bootstrap from Smartcard: ``present() -> bool`` and
    ``transmit(apdu: bytes) -> bytes | None`` (the answer with SW1 SW2; None = no answer);
    :meth:`set_smartcard` changes how it is read (PIN, chunk size, basic channel, SCP03 keys).
    The ``bootstrap_backoff_*`` and ``registration_*`` keywords set the ``lwbs_config`` fields
    of the same names (None = the library's default). ``preferred_format`` (a
    :class:`ContentFormat`; 0 = TLV) is announced as ``pct`` in the Bootstrap-Request and as
    ``ct`` in Register; a format the library was built without raises
    :class:`InvalidArgumentError`. ``bootstrap_pack=True`` bootstraps with one Bootstrap-Pack-
    Request (LwM2M 1.2, ``GET /bspack``), falling back to the classic Bootstrap-Request.
    ``report_transport_errors=True`` makes :meth:`run_until` pass the transport's ICMP errors to
    :meth:`conn_error`.

    Events are appended to :attr:`events`; log lines to :attr:`logs`. Use as a context manager
    or call :meth:`close`.
    """

    def __init__(self, endpoint: str, *, transport=None, clock=None, storage=None,
                 lwm2m_version: int = 0, ack_timeout_ms: int = 0,
                 max_retransmit: int | None = None, require_server_account: int = 0,
                 entropy=True, dm_handler=None, on_event=None, library: str | None = None,
                 bootstrap_objects=None, report_transport_errors: bool = False,
                 smartcard=None,
                 bootstrap_backoff_base_s: int | None = None,
                 bootstrap_backoff_cap_s: int | None = None,
                 registration_retry_count: int | None = None,
                 registration_retry_timer_s: int | None = None,
                 registration_sequence_retry_count: int | None = None,
                 registration_sequence_delay_s: int | None = None,
                 preferred_format: int = 0, bootstrap_pack: bool = False):
        self.lib = load_library(library)
        self.transport = transport if transport is not None else UdpTransport()
        self.clock = clock or monotonic_ms
        self.storage = storage
        self.dm_handler = dm_handler
        self.bootstrap_objects = bootstrap_objects
        self.smartcard = smartcard
        self.report_transport_errors = report_transport_errors
        self.on_event = on_event
        self.events: list[Event] = []
        self.logs: list[tuple[int, str]] = []
        self.last_recv_ms: int | None = None
        self._callback_error: BaseException | None = None
        self._ptr = None

        config = _ffi.lwbs_config()
        self.lib.lwbs_config_init(ctypes.byref(config))
        self._endpoint = endpoint.encode()
        config.endpoint = self._endpoint
        config.lwm2m_version = lwm2m_version
        config.ack_timeout_ms = ack_timeout_ms
        if max_retransmit is not None:
            config.max_retransmit = max_retransmit
        config.require_server_account = require_server_account
        for field, value in (("bootstrap_backoff_base_s", bootstrap_backoff_base_s),
                             ("bootstrap_backoff_cap_s", bootstrap_backoff_cap_s),
                             ("registration_retry_count", registration_retry_count),
                             ("registration_retry_timer_s", registration_retry_timer_s),
                             ("registration_sequence_retry_count",
                              registration_sequence_retry_count),
                             ("registration_sequence_delay_s", registration_sequence_delay_s),
                             ("preferred_format", preferred_format or None),
                             ("bootstrap_pack", 1 if bootstrap_pack else None)):
            if value is not None:
                setattr(config, field, value)

        # The CFUNCTYPE objects live on self for the client's whole lifetime.
        self._callbacks = {
            "open": _ffi.OPEN_FN(self._cb_open), "close": _ffi.CLOSE_FN(self._cb_close),
            "send": _ffi.SEND_FN(self._cb_send), "log": _ffi.LOG_FN(self._cb_log),
            "event": _ffi.EVENT_FN(self._cb_event),
        }
        if storage is not None:
            self._callbacks["load"] = _ffi.LOAD_FN(self._cb_load)
            self._callbacks["save"] = _ffi.SAVE_FN(self._cb_save)
        if hasattr(storage, "save_sessions"):
            self._callbacks["load_sessions"] = _ffi.LOAD_SESSIONS_FN(self._cb_load_sessions)
            self._callbacks["save_sessions"] = _ffi.SAVE_SESSIONS_FN(self._cb_save_sessions)
        if entropy:
            self._entropy = os.urandom if entropy is True else entropy
            self._callbacks["entropy"] = _ffi.ENTROPY_FN(self._cb_entropy)
        if dm_handler is not None:
            self._callbacks["dm_request"] = _ffi.DM_REQUEST_FN(self._cb_dm_request)
        if bootstrap_objects is not None:
            self._callbacks.update({
                "bootstrap_begin": _ffi.BOOTSTRAP_BEGIN_FN(self._cb_bs_begin),
                "bootstrap_write": _ffi.BOOTSTRAP_WRITE_FN(self._cb_bs_write),
                "bootstrap_delete": _ffi.BOOTSTRAP_DELETE_FN(self._cb_bs_delete),
                "bootstrap_validate": _ffi.BOOTSTRAP_VALIDATE_FN(self._cb_bs_validate),
                "bootstrap_end": _ffi.BOOTSTRAP_END_FN(self._cb_bs_end),
            })
        if smartcard is not None:
            self._callbacks["card_present"] = _ffi.CARD_PRESENT_FN(self._cb_card_present)
            self._callbacks["card_transmit"] = _ffi.CARD_TRANSMIT_FN(self._cb_card_transmit)
        platform = _ffi.lwbs_platform(struct_size=ctypes.sizeof(_ffi.lwbs_platform))
        for name, fn in self._callbacks.items():
            setattr(platform, name, fn)
        self._platform = platform

        out = _ffi.CLIENT_P()
        self._config = config
        self._call("lwbs_client_new", ctypes.byref(config), ctypes.byref(platform),
                   ctypes.byref(out))
        self._ptr = out

    # ----- life cycle ------------------------------------------------------------------------
    def close(self) -> None:
        """``lwbs_client_free``, then closes the transport's sockets. Idempotent."""
        if self._ptr is not None:
            self.lib.lwbs_client_free(self._ptr)
            self._ptr = None
        close_all = getattr(self.transport, "close_all", None)
        if close_all:
            close_all()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def handle(self):
        """The raw ``lwbs_client *`` (for direct ctypes calls)."""
        if self._ptr is None:
            raise ValueError("client is closed")
        return self._ptr

    def _call(self, name: str, *args) -> None:
        """Calls ``name``, re-raises an exception from a callback, then checks the result."""
        self._callback_error = None
        code = getattr(self.lib, name)(*args)
        if self._callback_error is not None:
            err, self._callback_error = self._callback_error, None
            raise err
        if code != Result.OK:
            _check(code, name, self._detail(name))

    def _detail(self, function: str) -> str:
        """The library's reason for the failure of ``function`` that just returned."""
        if function == "lwbs_client_new":
            return _read_string(self.lib.lwbs_config_check, ctypes.byref(self._config))
        if self._ptr is None:
            return ""
        return _read_string(self.lib.lwbs_client_last_error, self._ptr)

    # ----- provisioning ----------------------------------------------------------------------
    def _account(self, uri: str, security_mode, identity: bytes, server_key: bytes,
                 secret_key: bytes) -> _ffi.lwbs_account:
        acc = _ffi.lwbs_account()
        self.lib.lwbs_account_init(ctypes.byref(acc))
        acc.uri = uri.encode()
        if security_mode is None:
            security_mode = SecurityMode.PSK if uri.startswith("coaps:") else SecurityMode.NOSEC
        acc.security_mode = security_mode
        for field, data in (("identity", identity), ("server_key", server_key),
                            ("secret_key", secret_key)):
            if data:
                setattr(acc, field, (ctypes.c_uint8 * len(data)).from_buffer_copy(data))
            setattr(acc, field + "_len", len(data))
        return acc

    def provision_bootstrap_server(self, uri: str, hold_off_s: int = 0, account_timeout_s: int = 0,
                                   *, security_mode=None, identity: bytes = b"",
                                   server_key: bytes = b"", secret_key: bytes = b"") -> None:
        """Factory-provisions the Bootstrap-Server account (only while IDLE)."""
        acc = self._account(uri, security_mode, identity, server_key, secret_key)
        acc.hold_off_s = hold_off_s
        acc.account_timeout_s = account_timeout_s
        self._call("lwbs_client_provision_bootstrap_server", self.handle, ctypes.byref(acc))

    def provision_server(self, ssid: int, uri: str, lifetime_s: int = 0, binding: str | None = None,
                         *, security_mode=None, identity: bytes = b"", server_key: bytes = b"",
                         secret_key: bytes = b"") -> None:
        """Factory-provisions an LwM2M Server account (only while IDLE)."""
        acc = self._account(uri, security_mode, identity, server_key, secret_key)
        acc.ssid = ssid
        acc.lifetime_s = lifetime_s
        acc.binding = binding.encode() if binding is not None else None
        self._call("lwbs_client_provision_server", self.handle, ctypes.byref(acc))

    # ----- commands and input ----------------------------------------------------------------
    def start(self, now_ms: int | None = None) -> None:
        """``lwbs_client_start``."""
        self._call("lwbs_client_start", self.handle, self._now(now_ms))

    def stop(self, now_ms: int | None = None) -> None:
        """``lwbs_client_stop`` (deregisters; STOPPED follows when done)."""
        self._call("lwbs_client_stop", self.handle, self._now(now_ms))

    def trigger_bootstrap(self, now_ms: int | None = None) -> None:
        """``lwbs_client_trigger_bootstrap``."""
        self._call("lwbs_client_trigger_bootstrap", self.handle, self._now(now_ms))

    def conn_error(self, conn: int, now_ms: int | None = None) -> None:
        """Reports a transport error (ICMP unreachable, ECONNREFUSED) on ``conn``
        (``lwbs_client_conn_error``)."""
        self._call("lwbs_client_conn_error", self.handle, conn, self._now(now_ms))

    def set_time(self, unix_s: int | None = None, now_ms: int | None = None) -> None:
        """Tells the library the wall-clock time (``lwbs_client_set_time``; default: now)."""
        unix = int(time.time()) if unix_s is None else unix_s
        self._call("lwbs_client_set_time", self.handle, self._now(now_ms), unix)

    def set_smartcard(self, *, pin: bytes | None = None, pin_reference: int = 0x01,
                      max_chunk: int = 255, logical_channel: bool = True,
                      scp03_keys: tuple[bytes, bytes, bytes] | None = None,
                      scp03_key_version: int = 0, scp03_security_level: int = 0x33) -> None:
        """How the ``smartcard`` is read (``lwbs_client_set_smartcard``); only while idle.

        ``scp03_keys`` = (KEY_ENC, KEY_MAC, KEY_DEK), each 16, 24 or 32 bytes, reads the card
        through a GlobalPlatform SCP03 secure channel (the library copies them)."""
        config = _ffi.lwbs_smartcard_config()
        self.lib.lwbs_smartcard_config_init(ctypes.byref(config))
        config.logical_channel = logical_channel
        config.max_chunk = max_chunk
        config.pin_reference = pin_reference
        buf = (ctypes.c_uint8 * len(pin)).from_buffer_copy(pin) if pin else None
        config.pin = buf
        config.pin_len = len(pin) if pin else 0
        keys = []
        if scp03_keys is not None:
            enc, mac, dek = scp03_keys
            if not len(enc) == len(mac) == len(dek):
                raise ValueError("the SCP03 keys must have the same length")
            keys = [(ctypes.c_uint8 * len(k)).from_buffer_copy(k) if k else None
                    for k in (enc, mac, dek)]
            config.scp03_enc_key, config.scp03_mac_key, config.scp03_dek_key = keys
            config.scp03_key_len = len(enc)
            config.scp03_key_version = scp03_key_version
            config.scp03_security_level = scp03_security_level
        self._call("lwbs_client_set_smartcard", self.handle, ctypes.byref(config))
        del keys  # the library has copied them

    def recv(self, conn: int, data: bytes, now_ms: int | None = None) -> None:
        """Feeds one received datagram (``lwbs_client_recv``)."""
        now = self._now(now_ms)
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else None
        self.last_recv_ms = now
        self._call("lwbs_client_recv", self.handle, conn, buf, len(data), now)

    def tick(self, now_ms: int | None = None) -> int | None:
        """``lwbs_client_tick``; returns the next deadline in ms, or ``None``."""
        deadline = ctypes.c_uint64()
        self._call("lwbs_client_tick", self.handle, self._now(now_ms), ctypes.byref(deadline))
        return None if deadline.value == UINT64_NONE else deadline.value

    def _now(self, now_ms: int | None) -> int:
        return self.clock() if now_ms is None else now_ms

    def run_until(self, predicate, timeout: float = 30.0, max_wait_s: float = 0.2) -> None:
        """Drives the client over its transport until ``predicate()`` is true.

        Calls ``tick``, waits (``select``) for datagrams until the next deadline (at most
        ``max_wait_s`` so that conditions set by other threads are noticed), feeds them to
        ``recv``. ``timeout`` is wall-clock seconds; raises ``TimeoutError`` with the events.
        """
        end = time.monotonic() + timeout
        while True:
            now = self.clock()
            deadline = self.tick(now)
            if predicate():
                return
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met; state={self.state.name} "
                                   f"events={[e.name for e in self.events]}")
            wait = min(remaining, max_wait_s)
            if deadline is not None:
                wait = min(wait, max(0.0, (deadline - now) / 1000))
            for conn, data in self.transport.poll(wait):
                try:
                    self.recv(conn, data)
                except UnknownConnectionError:
                    pass  # a straggler for a connection the library already closed
                if predicate():
                    return
            take_errors = getattr(self.transport, "take_errors", None)
            if self.report_transport_errors and take_errors is not None:
                for conn in take_errors():
                    try:
                        self.conn_error(conn)
                    except UnknownConnectionError:
                        pass

    def wait_event(self, kind: EventKind, timeout: float = 30.0, **match) -> Event:
        """Runs until an event of ``kind`` (with attributes equal to ``match``) was seen."""
        def found():
            return next((e for e in self.events if e.kind == kind
                         and all(getattr(e, k) == v for k, v in match.items())), None)
        self.run_until(lambda: found() is not None, timeout)
        return found()

    def event_kinds(self) -> list[EventKind]:
        """The kinds of all events so far, in order."""
        return [e.kind for e in self.events]

    # ----- getters -----------------------------------------------------------------------------
    @property
    def state(self) -> State:
        """``lwbs_client_state`` as :class:`State`."""
        out = ctypes.c_uint32()
        self._call("lwbs_client_state", self.handle, ctypes.byref(out))
        return State(out.value) if out.value in State._value2member_map_ else out.value

    @property
    def state_reason(self) -> StateReason:
        """``lwbs_client_state_reason`` as :class:`StateReason`: why the client is in
        :attr:`state`."""
        out = ctypes.c_uint32()
        self._call("lwbs_client_state_reason", self.handle, ctypes.byref(out))
        known = StateReason._value2member_map_
        return StateReason(out.value) if out.value in known else out.value

    @property
    def servers(self) -> dict[int, dict]:
        """The committed LwM2M Server accounts: ``{ssid: {"uri": .., "lifetime_s": ..}}``."""
        count = ctypes.c_size_t()
        self._call("lwbs_client_server_count", self.handle, ctypes.byref(count))
        result = {}
        for index in range(count.value):
            ssid = ctypes.c_uint16()
            self._call("lwbs_client_server_ssid", self.handle, index, ctypes.byref(ssid))
            lifetime = ctypes.c_uint32()
            self._call("lwbs_client_server_lifetime", self.handle, ssid.value,
                       ctypes.byref(lifetime))
            result[ssid.value] = {"uri": self.server_uri(ssid.value),
                                  "lifetime_s": lifetime.value}
        return result

    def server_uri(self, ssid: int) -> str:
        """``lwbs_client_server_uri``."""
        return self._string("lwbs_client_server_uri", ssid)

    def registration_location(self, ssid: int) -> str | None:
        """``lwbs_client_registration_location``; ``None`` when not registered."""
        try:
            return self._string("lwbs_client_registration_location", ssid)
        except NotFoundError:
            return None

    @property
    def has_bootstrap_server(self) -> bool:
        """``lwbs_client_has_bootstrap_server``."""
        out = ctypes.c_bool()
        self._call("lwbs_client_has_bootstrap_server", self.handle, ctypes.byref(out))
        return out.value

    def _string(self, function: str, ssid: int) -> str:
        capacity = 64
        while True:
            buf = ctypes.create_string_buffer(capacity)
            out_len = ctypes.c_size_t()
            try:
                self._call(function, self.handle, ssid, buf, capacity, ctypes.byref(out_len))
            except BufferTooSmallError:
                if out_len.value < capacity:
                    raise
                capacity = out_len.value + 1
                continue
            return buf.raw[:out_len.value].decode()

    # ----- callbacks (never raise into C: errors are re-raised by _call) ------------------------
    def _guard(self, default, fn, *args):
        try:
            return fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller of _call
            if self._callback_error is None:
                self._callback_error = exc
            return default

    def _cb_open(self, _userdata, conn, uri):
        return self._guard(-1, lambda: int(self.transport.open(conn, uri.decode()) or 0))

    def _cb_close(self, _userdata, conn):
        self._guard(None, self.transport.close, conn)

    def _cb_send(self, _userdata, conn, data, length):
        return self._guard(-1, lambda: int(self.transport.send(conn, ctypes.string_at(data, length))
                                           or 0))

    def _cb_log(self, _userdata, level, message):
        text = message.decode(errors="replace") if message else ""
        self.logs.append((level, text))
        log.log({1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO}.get(level, logging.DEBUG),
                "%s", text)

    def _cb_event(self, _userdata, event_p):
        e = event_p.contents
        kind = EventKind(e.kind) if e.kind in EventKind._value2member_map_ else e.kind
        reason = e.reason
        if kind == EventKind.BOOTSTRAP_FAILED and reason in BootstrapFailure._value2member_map_:
            reason = BootstrapFailure(reason)
        elif (kind == EventKind.REGISTRATION_FAILED
              and reason in RegistrationFailure._value2member_map_):
            reason = RegistrationFailure(reason)
        event = Event(kind, e.ssid, e.accounts, reason,
                      e.location.decode() if e.location else None,
                      e.detail.decode(errors="replace") if e.detail else None)
        self.events.append(event)
        if self.on_event is not None:
            self._guard(None, self.on_event, event)

    def _load_into(self, read, buf, capacity, out_len):
        """The ``load`` contract: copy what ``read()`` returns into ``buf`` (0), or ask for a
        buffer of its size (1)."""
        def load():
            data = read() or b""
            out_len[0] = len(data)
            if len(data) > capacity:
                return 1
            ctypes.memmove(buf, data, len(data))
            return 0
        return self._guard(-1, load)

    def _cb_load(self, _userdata, slot, buf, capacity, out_len):
        return self._load_into(lambda: self.storage.load(slot), buf, capacity, out_len)

    def _cb_save(self, _userdata, slot, data, length):
        return self._guard(-1, lambda: self.storage.save(slot, ctypes.string_at(data, length))
                           or 0)

    def _cb_load_sessions(self, _userdata, buf, capacity, out_len):
        return self._load_into(self.storage.load_sessions, buf, capacity, out_len)

    def _cb_save_sessions(self, _userdata, data, length):
        return self._guard(-1, lambda: self.storage.save_sessions(
            ctypes.string_at(data, length) if length else b"") or 0)

    def _cb_entropy(self, _userdata, buf, length):
        def fill():
            ctypes.memmove(buf, self._entropy(length), length)
            return 0
        return self._guard(-1, fill)

    @staticmethod
    def _path(path_p) -> tuple:
        p = path_p.contents
        return tuple(v for v in (p.object, p.instance, p.resource, p.resource_instance)
                     if v != 0xFFFF)

    def _cb_bs_begin(self, _userdata):
        self._guard(None, self.bootstrap_objects.begin)

    def _cb_bs_write(self, _userdata, path_p, content_format, data, length):
        payload = ctypes.string_at(data, length) if length else b""
        return self._guard(0xA0, lambda: int(self.bootstrap_objects.write(
            self._path(path_p), content_format, payload)))

    def _cb_bs_delete(self, _userdata, path_p):
        return self._guard(0xA0, lambda: int(self.bootstrap_objects.delete(self._path(path_p))))

    def _cb_card_present(self, _userdata):
        return self._guard(0, lambda: 1 if self.smartcard.present() else 0)

    def _cb_card_transmit(self, _userdata, apdu, length, response, capacity, response_len):
        def transmit():
            answer = self.smartcard.transmit(ctypes.string_at(apdu, length))
            if answer is None or len(answer) > capacity:
                return -1
            ctypes.memmove(response, bytes(answer), len(answer))
            response_len[0] = len(answer)
            return 0
        return self._guard(-1, transmit)

    def _cb_bs_validate(self, _userdata):
        return self._guard(-1, lambda: 0 if self.bootstrap_objects.validate() else 1)

    def _cb_bs_end(self, _userdata, commit):
        self._guard(None, self.bootstrap_objects.end, bool(commit))

    def _cb_dm_request(self, _userdata, request_p, response_p):
        def handle():
            r = request_p.contents
            request = {"ssid": r.ssid, "method": r.method,
                       "path": tuple(v for v in (r.path.object, r.path.instance, r.path.resource,
                                                 r.path.resource_instance) if v != 0xFFFF),
                       "content_format": None if r.content_format == 0xFFFF else r.content_format,
                       "accept": None if r.accept == 0xFFFF else r.accept,
                       "payload": ctypes.string_at(r.payload, r.payload_len) if r.payload_len
                       else b""}
            code, content_format, payload = self.dm_handler(request)
            resp = response_p.contents
            if len(payload) > resp.payload_capacity:
                resp.code, resp.content_format, resp.payload_len = 0xA0, 0xFFFF, 0  # 5.00
                return 0
            resp.code = code
            resp.content_format = 0xFFFF if content_format is None else content_format
            ctypes.memmove(resp.payload, payload, len(payload))
            resp.payload_len = len(payload)
            return 0
        return self._guard(-1, handle)
