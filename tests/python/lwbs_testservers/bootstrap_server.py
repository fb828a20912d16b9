"""A scriptable LwM2M Bootstrap Server on aiocoap (test tool).

It answers ``POST /bs?ep=..`` with 2.04 and then, from the same aiocoap context (so from the
port the client sent its Bootstrap-Request to), runs a list of :class:`Operation` against the
client: Discover, Read, Delete, Write, Finish. Every operation and the response it got is
recorded in :attr:`BootstrapServer.steps` and printed as one line.

Push mode (LwM2M 1.0 server-initiated bootstrap): :meth:`BootstrapServer.push` runs the same
operations without any Bootstrap-Request, sent from the server's own port to a client address
(the connection the client holds open to the Bootstrap-Server during its hold-off).

Command line (see /tmp/lwbs/api-contract.md)::

    bootstrap_server.py --bind 127.0.0.1:0 --server-uri coap://127.0.0.1:5683
                        [--ssid 1] [--lifetime 300] [--security-iid 1] [--scenario standard]
                        [--security-mode nosec|psk|rpk|cert [--identity TEXT | --identity-file F]
                         [--server-key-file F] [--secret-key-file F | --secret-key-hex HEX]
                         [--certificate-usage N] [--matching-type N]]

``--security-mode`` makes the written DM account (TLV writes only) a PSK (identity, key), RPK
(/0/x/3 own SubjectPublicKeyInfo DER, /0/x/4 the server's SubjectPublicKeyInfo DER, /0/x/5 own
PKCS#8 DER) or certificate account (/0/x/3 own certificate DER, /0/x/4 the server's certificate
or trust anchor DER, /0/x/5 own PKCS#8 DER, /0/x/15 Certificate Usage and /0/x/13 Matching
Type when given); the default
is the NoSec account with empty key resources.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass, field

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import aiocoap
import aiocoap.resource
from aiocoap.numbers.codes import Code

from lwbs_testservers import senml, tlv
from lwbs_testservers._runner import ServerBase, parse_bind, run_cli


@dataclass
class Operation:
    """One Bootstrap-Server operation on the client."""

    name: str                       # "discover" | "read" | "delete" | "write" | "finish"
    path: str = "/"
    payload: bytes = b""
    content_format: int | None = None
    accept: int | None = None

    def label(self) -> str:
        """``WRITE /0``, ``FINISH``, ..."""
        return self.name.upper() if self.name == "finish" else f"{self.name.upper()} {self.path}"


def discover(path: str = "/") -> Operation:
    """Bootstrap-Discover: ``GET path`` with Accept: 40 (link-format)."""
    return Operation("discover", path, accept=tlv.CONTENT_FORMAT_LINK)


def read(path: str, accept: int = tlv.CONTENT_FORMAT_TLV) -> Operation:
    """Bootstrap-Read (1.1): ``GET path`` with Accept: TLV (or ``accept``)."""
    return Operation("read", path, accept=accept)


def delete(path: str) -> Operation:
    """Bootstrap-Delete: ``DELETE path``."""
    return Operation("delete", path)


def write(path: str, payload: bytes, content_format: int = tlv.CONTENT_FORMAT_TLV) -> Operation:
    """Bootstrap-Write: ``PUT path`` (TLV by default)."""
    return Operation("write", path, payload, content_format)


def write_text(path: str, text: str) -> Operation:
    """Bootstrap-Write of one resource as text/plain."""
    return write(path, text.encode(), tlv.CONTENT_FORMAT_TEXT)


def finish() -> Operation:
    """Bootstrap-Finish: ``POST /bs``."""
    return Operation("finish", "/bs")


@dataclass
class Step:
    """An operation the server ran and what the client answered."""

    operation: Operation
    code: str                       # "2.04", or "timeout"
    payload: bytes = b""
    content_format: int | None = None

    @property
    def name(self) -> str:
        return self.operation.name

    @property
    def path(self) -> str:
        return self.operation.path


FORMATS = ("tlv", "senml-json", "senml-cbor", "lwm2m-cbor")


def standard_writes(server_uri: str, ssid: int = 1, lifetime: int = 300,
                    security_iid: int = 1, fmt: str = "tlv",
                    security: dict | None = None) -> list[Operation]:
    """``PUT /0`` (a NoSec server account at ``security_iid``, or the one ``security``
    describes: keyword arguments of :func:`tlv.security_instance`, TLV only) and ``PUT /1``
    (instance 0), in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "tlv":
        return [
            write("/0", tlv.security_instance(security_iid, server_uri, ssid,
                                              **(security or {}))),
            write("/1", tlv.server_instance(0, ssid, lifetime)),
        ]
    if security:
        raise ValueError("a secured account is written in TLV only")
    content_format, payloads = formatted(server_uri, ssid, lifetime, security_iid, fmt)
    return [write(path, payload, content_format) for path, payload in payloads]


def formatted(server_uri: str, ssid: int, lifetime: int, security_iid: int,
              fmt: str) -> tuple[int, list[tuple[str, bytes]]]:
    """The standard /0 and /1 instances as (content format, [(path, payload)]) in a SenML or
    LwM2M CBOR format."""
    security = senml.security_records(security_iid, server_uri, ssid)
    server = senml.server_records(0, ssid, lifetime)
    if fmt == "senml-json":
        return senml.CONTENT_FORMAT_SENML_JSON, [("/0", senml.payload(security)),
                                                 ("/1", senml.payload(server))]
    if fmt == "senml-cbor":
        return senml.CONTENT_FORMAT_SENML_CBOR, [("/0", senml.cbor_payload(security)),
                                                 ("/1", senml.cbor_payload(server))]
    if fmt == "lwm2m-cbor":
        sec = senml.security_resources(server_uri, ssid)
        srv = {0: ssid, 1: lifetime, 6: False, 7: "U"}
        return senml.CONTENT_FORMAT_LWM2M_CBOR, [
            ("/0", senml.lwm2m_cbor_payload(0, {security_iid: sec})),
            ("/1", senml.lwm2m_cbor_payload(1, {0: srv}))]
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def standard_pack(server_uri: str, ssid: int = 1, lifetime: int = 300,
                  security_iid: int = 1) -> tuple[int, bytes]:
    """The standard /0 and /1 instances as one SenML CBOR Bootstrap-Pack."""
    return senml.CONTENT_FORMAT_SENML_CBOR, senml.cbor_payload(
        senml.security_records(security_iid, server_uri, ssid),
        senml.server_records(0, ssid, lifetime))


ACL_INT8 = tlv.acl_instance(0, 3, 0, {0: 31}, 65535)

SCENARIOS = ("standard", "int0", "int4", "int8", "int9", "no-finish")


def named_scenario(name: str, server_uri: str, ssid: int = 1, lifetime: int = 300,
                   security_iid: int = 1, fmt: str = "tlv",
                   security: dict | None = None) -> list[Operation]:
    """The named operation list (see :data:`SCENARIOS`), its writes in ``fmt`` (with the
    account ``security`` describes, see :func:`standard_writes`)."""
    writes = standard_writes(server_uri, ssid, lifetime, security_iid, fmt, security)
    if name == "standard":
        return [discover(), delete("/0"), delete("/1"), *writes, finish()]
    if name == "int0":      # 1.1-int-0: Writes, Discover, Finish
        return [*writes, discover(), finish()]
    if name == "int4":      # 1.1-int-4: flow, Discover+Read, Delete /0 /1, Discover+Read, clean-up
        return [*writes, discover(), read("/1"), delete("/0"), delete("/1"),
                discover(), read("/1"), *writes, finish()]
    if name == "int8":      # 1.1-int-8: Writes incl. ACL /2/0, Read /1 and /2, Finish
        return [*writes, write("/2", ACL_INT8), read("/1"), read("/2"), finish()]
    if name == "int9":      # 1.1-int-9: only /1/0/5, Finish (4.06), then corrected and Finish
        return [write_text("/1/0/5", "86400"), finish(), *writes, finish()]
    if name == "no-finish":  # writes only: the client's Finish timer must expire
        return list(writes)
    raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")


class BootstrapServer(ServerBase):
    """A Bootstrap Server that runs ``operations`` on each client that sends a Request.

    ``operations`` is a list of :class:`Operation` or a scenario name; ``server_uri`` (and
    ``ssid``, ``lifetime``, ``security_iid``) parameterise named scenarios. ``request_code``
    is the response to the Bootstrap-Request (e.g. ``Code.FORBIDDEN`` to reject it).
    Inspect :attr:`requests` (one dict per Bootstrap-Request) and :attr:`steps`;
    :meth:`wait_done` waits until the operation list ran to its end. ``pack`` =
    ``(content_format, payload)`` serves a Bootstrap-Pack (LwM2M 1.2) at ``GET /bspack``
    (recorded in :attr:`pack_requests`); without it ``/bspack`` is 4.04.
    """

    def __init__(self, bind=("127.0.0.1", 0), server_uri: str = "coap://127.0.0.1:5683",
                 scenario="standard", ssid: int = 1, lifetime: int = 300,
                 security_iid: int = 1, request_code=Code.CHANGED,
                 operation_timeout: float = 60.0, echo: bool = False, pack=None):
        super().__init__(bind, echo)
        self.pack = pack
        self.pack_requests: list[dict] = []
        if isinstance(scenario, str):
            self.operations = named_scenario(scenario, server_uri, ssid, lifetime,
                                             security_iid)
        else:
            self.operations = list(scenario)
        self.request_code = request_code
        self.operation_timeout = operation_timeout
        self.requests: list[dict] = []
        self.steps: list[Step] = []
        self.done = False
        self._tasks: set[asyncio.Task] = set()

    def _site(self):
        return _BootstrapSite(self)

    def on_bootstrap_request(self, request: aiocoap.Message) -> aiocoap.Message:
        """Handles ``POST /bs?ep=..``: records it, answers, starts the operations."""
        query = dict(q.partition("=")[::2] for q in request.opt.uri_query)
        self.requests.append({"ep": query.get("ep"), "query": list(request.opt.uri_query),
                              "remote": request.remote.hostinfo, "time": time.monotonic()})
        self.emit(f"BOOTSTRAP-REQUEST ep={query.get('ep')}"
                  + (f" pct={query['pct']}" if "pct" in query else ""))
        if self.request_code.is_successful():
            task = asyncio.get_running_loop().create_task(self._run(request.remote))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return aiocoap.Message(code=self.request_code)

    def on_pack_request(self, request: aiocoap.Message) -> aiocoap.Message:
        """``GET /bspack?ep=..``: records it and answers 2.05 with the pack (4.06 when the
        Accept is not the pack's format, 4.05 for another method)."""
        if request.code != Code.GET:
            return aiocoap.Message(code=Code.METHOD_NOT_ALLOWED)
        content_format, payload = self.pack
        accept = None if request.opt.accept is None else int(request.opt.accept)
        self.pack_requests.append({"query": list(request.opt.uri_query), "accept": accept})
        self.emit(f"BOOTSTRAP-PACK-REQUEST accept={accept}")
        if accept is not None and accept != content_format:
            return aiocoap.Message(code=Code.NOT_ACCEPTABLE)
        self.done = True
        return aiocoap.Message(code=Code.CONTENT, payload=payload,
                               content_format=content_format)

    def push(self, host: str, port: int) -> None:
        """1.0 server-initiated bootstrap: runs the operations against ``host:port`` (the
        client's listening connection) without waiting for a Bootstrap-Request. Thread-safe;
        :meth:`wait_done` waits for the end."""
        if self._loop is None:
            raise RuntimeError("push needs a server started with start_in_thread()")
        self.emit(f"PUSH {host}:{port}")
        asyncio.run_coroutine_threadsafe(self._run(None, f"coap://{host}:{port}"), self._loop)

    async def _run(self, remote, base_uri: str | None = None) -> None:
        await asyncio.sleep(0)  # let the 2.04 go out first
        try:
            for op in self.operations:
                await self._perform(remote, op, base_uri)
        except Exception as exc:  # recorded, so a test sees it instead of a silent hang
            self.emit(f"ERROR {type(exc).__name__}: {exc}")
            raise
        finally:
            self.done = True
            self.emit("DONE")

    async def _perform(self, remote, op: Operation, base_uri: str | None = None) -> Step:
        method = {"discover": Code.GET, "read": Code.GET, "delete": Code.DELETE,
                  "write": Code.PUT, "finish": Code.POST}[op.name]
        if remote is None:  # push: from this context's socket to the client's address
            msg = aiocoap.Message(code=method, payload=op.payload, uri=base_uri + op.path)
        else:
            msg = aiocoap.Message(code=method, payload=op.payload,
                                  uri_path=tuple(s for s in op.path.split("/") if s))
            msg.remote = remote
        if op.content_format is not None:
            msg.opt.content_format = op.content_format
        if op.accept is not None:
            msg.opt.accept = op.accept
        try:
            response = await asyncio.wait_for(self.context.request(msg).response,
                                              self.operation_timeout)
            cf = response.opt.content_format
            step = Step(op, _code_text(response.code), response.payload,
                        None if cf is None else int(cf))
        except (asyncio.TimeoutError, aiocoap.error.Error) as exc:
            step = Step(op, "timeout" if isinstance(exc, asyncio.TimeoutError)
                        else f"error:{type(exc).__name__}")
        self.steps.append(step)
        self.emit(f"{op.label()} {step.code}")
        return step

    def wait_done(self, timeout: float = 60.0) -> list[Step]:
        """Waits until every operation ran; returns :attr:`steps`."""
        self.wait_for(lambda: self.done, timeout)
        return self.steps

    def step(self, label: str, index: int = 0) -> Step:
        """The ``index``-th step whose label is ``label`` (e.g. ``"READ /1"``)."""
        return [s for s in self.steps if s.operation.label() == label][index]


def _code_text(code) -> str:
    return code.dotted


class _BootstrapSite(aiocoap.resource.Resource):
    """Root resource: only ``POST /bs`` exists."""

    def __init__(self, server: BootstrapServer):
        super().__init__()
        self.server = server

    async def render(self, request):
        if request.opt.uri_path == ("bspack",) and self.server.pack is not None:
            return self.server.on_pack_request(request)
        if request.opt.uri_path != ("bs",):
            return aiocoap.Message(code=Code.NOT_FOUND)
        if request.code != Code.POST:
            return aiocoap.Message(code=Code.METHOD_NOT_ALLOWED)
        return self.server.on_bootstrap_request(request)


def _read(path: str | None) -> bytes:
    if path is None:
        return b""
    with open(path, "rb") as f:
        return f.read()


def security_from_args(parser: argparse.ArgumentParser, a) -> dict | None:
    """The keyword arguments of :func:`tlv.security_instance` the options describe; None for
    the default NoSec account."""
    if a.identity is not None and a.identity_file is not None:
        parser.error("--identity and --identity-file exclude each other")
    if a.secret_key_hex is not None and a.secret_key_file is not None:
        parser.error("--secret-key-hex and --secret-key-file exclude each other")
    if a.security_mode == "nosec":
        if any(v is not None for v in (a.identity, a.identity_file, a.server_key_file,
                                        a.secret_key_file, a.secret_key_hex,
                                        a.certificate_usage, a.matching_type)):
            parser.error("key options need --security-mode psk, rpk or cert")
        return None
    identity = a.identity.encode() if a.identity is not None else _read(a.identity_file)
    secret = (bytes.fromhex(a.secret_key_hex) if a.secret_key_hex is not None
              else _read(a.secret_key_file))
    return {"mode": tlv.SECURITY_MODES[a.security_mode], "identity": identity,
            "server_key": _read(a.server_key_file), "secret_key": secret,
            "certificate_usage": a.certificate_usage, "matching_type": a.matching_type}


def main(argv=None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bind", default="127.0.0.1:0", help="HOST:PORT (port 0 = pick a free one)")
    p.add_argument("--server-uri", required=True, help="LwM2M Server URI written to /0/x/0")
    p.add_argument("--ssid", type=int, default=1)
    p.add_argument("--lifetime", type=int, default=300)
    p.add_argument("--security-iid", type=int, default=1)
    p.add_argument("--scenario", default="standard", choices=SCENARIOS)
    p.add_argument("--format", default="tlv", choices=FORMATS,
                   help="content format of the scenario's writes")
    p.add_argument("--pack", action="store_true",
                   help="also serve the standard /0 and /1 as a Bootstrap-Pack (GET /bspack)")
    p.add_argument("--security-mode", default="nosec", choices=tuple(tlv.SECURITY_MODES),
                   help="Security Mode of the written account (/0/x/2; TLV writes only)")
    p.add_argument("--identity", help="/0/x/3 as UTF-8 text (a PSK identity)")
    p.add_argument("--identity-file", help="/0/x/3 from a file (raw bytes, e.g. DER)")
    p.add_argument("--server-key-file", help="/0/x/4 from a file (DER)")
    p.add_argument("--secret-key-file", help="/0/x/5 from a file (raw bytes, e.g. PKCS#8 DER)")
    p.add_argument("--secret-key-hex", help="/0/x/5 as hex (a PSK)")
    p.add_argument("--certificate-usage", type=int, choices=(0, 1, 2, 3),
                   help="/0/x/15 Certificate Usage (absent unless given)")
    p.add_argument("--matching-type", type=int, choices=(0, 1, 2, 3),
                   help="/0/x/13 Matching Type (absent unless given): /0/x/4 in full or hashed")
    a = p.parse_args(argv)
    security = security_from_args(p, a)
    if security and a.format != "tlv":
        p.error("--security-mode other than nosec needs --format tlv")
    scenario = named_scenario(a.scenario, a.server_uri, a.ssid, a.lifetime, a.security_iid,
                              a.format, security)
    pack = standard_pack(a.server_uri, a.ssid, a.lifetime, a.security_iid) if a.pack else None
    server = BootstrapServer(parse_bind(a.bind), a.server_uri, scenario, a.ssid, a.lifetime,
                             a.security_iid, echo=True, pack=pack)
    return run_cli(server)


if __name__ == "__main__":
    sys.exit(main())
