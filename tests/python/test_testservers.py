"""The aiocoap test servers against an aiocoap fake LwM2M client (no C library needed).

Checks the wire behaviour the library tests rely on: the Bootstrap Server answers the
Bootstrap-Request and sends its operations back to the port the request came from, with the
right methods, options and TLV payloads; the DM server's registration interface.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import aiocoap
import aiocoap.resource
from aiocoap.numbers.codes import Code

from lwbs_testservers import BootstrapServer, DmServer, tlv

HERE = Path(__file__).resolve().parent


class FakeClientSite(aiocoap.resource.Resource):
    """Answers everything like a cooperative client and records the requests."""

    def __init__(self, finish_code=Code.CHANGED):
        super().__init__()
        self.requests = []
        self.finish_code = finish_code

    async def render(self, request):
        path = "/" + "/".join(request.opt.uri_path)
        cf = request.opt.content_format
        self.requests.append((str(request.code), path, request.opt.accept,
                              None if cf is None else int(cf), request.payload))
        if request.code == Code.PUT:
            return aiocoap.Message(code=Code.CHANGED)
        if request.code == Code.DELETE:
            return aiocoap.Message(code=Code.DELETED)
        if request.code == Code.POST:
            return aiocoap.Message(code=self.finish_code)
        if request.opt.accept == 40:
            return aiocoap.Message(code=Code.CONTENT, content_format=40,
                                   payload=b'</>;lwm2m=1.1,</0/0>,</3/0>')
        return aiocoap.Message(code=Code.CONTENT, content_format=11542,
                               payload=tlv.server_instance(0, 1, 300))


async def fake_bootstrap(bs_port: int, site: FakeClientSite) -> aiocoap.Message:
    ctx = await aiocoap.Context.create_server_context(site, bind=("127.0.0.1", 0),
                                                      transports=["udp6"])
    try:
        req = aiocoap.Message(code=Code.POST,
                              uri=f"coap://127.0.0.1:{bs_port}/bs?ep=fake-1&pct=11542")
        return await asyncio.wait_for(ctx.request(req).response, 30)
    finally:
        # keep serving until the caller has waited for the scenario
        site.ctx = ctx


def test_bootstrap_server_standard_scenario_against_fake_client():
    site = FakeClientSite()
    with BootstrapServer(server_uri="coap://127.0.0.1:5999", ssid=7, lifetime=120,
                         security_iid=2) as bs:
        loop = asyncio.new_event_loop()
        try:
            response = loop.run_until_complete(fake_bootstrap(bs.port, site))
            assert response.code == Code.CHANGED
            loop.run_until_complete(loop.run_in_executor(None, bs.wait_done, 30))
            loop.run_until_complete(site.ctx.shutdown())
        finally:
            loop.close()
    assert bs.requests[0]["ep"] == "fake-1"
    assert "pct=11542" in bs.requests[0]["query"]
    assert [(s.operation.label(), s.code) for s in bs.steps] == [
        ("DISCOVER /", "2.05"), ("DELETE /0", "2.02"), ("DELETE /1", "2.02"),
        ("WRITE /0", "2.04"), ("WRITE /1", "2.04"), ("FINISH", "2.04")]
    assert bs.lines[:2] == [f"READY port={bs.port}", "BOOTSTRAP-REQUEST ep=fake-1 pct=11542"]
    assert "FINISH 2.04" in bs.lines
    methods = [(m, p, a, cf) for m, p, a, cf, _ in site.requests]
    assert methods == [("GET", "/", 40, None), ("DELETE", "/0", None, None),
                       ("DELETE", "/1", None, None), ("PUT", "/0", None, 11542),
                       ("PUT", "/1", None, 11542), ("POST", "/bs", None, None)]
    sec = tlv.decode_instances(site.requests[3][4])
    assert list(sec) == [2]
    assert sec[2][0] == b"coap://127.0.0.1:5999"
    assert sec[2][1] == b"\x00" and tlv.int_value(sec[2][2]) == 3
    assert tlv.int_value(sec[2][10]) == 7
    srv = tlv.decode_instances(site.requests[4][4])
    assert {k: v for k, v in srv[0].items()} == {0: b"\x07", 1: b"\x78", 6: b"\x00", 7: b"U"}


def test_tlv_encoding_matches_the_specification_examples():
    # LwM2M Core 1.1 §7.4.3.2 style: resource ID 0 with a short string, ACL multi-resource.
    assert tlv.resource(0, "U") == bytes([0xC1, 0x00]) + b"U"
    assert tlv.resource(1, 86400) == bytes([0xC4, 0x01, 0x00, 0x01, 0x51, 0x80])
    assert tlv.multi_resource(2, {0: 31}) == bytes([0x83, 0x02, 0x41, 0x00, 0x1F])
    long_value = b"x" * 300
    enc = tlv.resource(0x1234, long_value)
    assert enc[:5] == bytes([0xF0, 0x12, 0x34, 0x01, 0x2C])
    assert tlv.decode(enc)[0].value == long_value
    assert tlv.decode_instances(tlv.acl_instance(0, 3, 0, {0: 31}, 65535)) == {
        0: {0: b"\x03", 1: b"\x00", 2: {0: b"\x1f"}, 3: b"\x00\x00\xff\xff"}}


def test_dm_server_registration_interface():
    async def exercise(port):
        ctx = await aiocoap.Context.create_client_context()
        try:
            base = f"coap://127.0.0.1:{port}"
            reg = await ctx.request(aiocoap.Message(
                code=Code.POST, uri=f"{base}/rd?ep=dev-9&lt=60&lwm2m=1.1&b=U",
                content_format=40, payload=b"</1/0>,</3/0>")).response
            upd = await ctx.request(aiocoap.Message(code=Code.POST, uri=f"{base}/rd/1")).response
            bad = await ctx.request(aiocoap.Message(code=Code.POST, uri=f"{base}/rd/77")).response
            dereg = await ctx.request(aiocoap.Message(code=Code.DELETE,
                                                      uri=f"{base}/rd/1")).response
            again = await ctx.request(aiocoap.Message(code=Code.DELETE,
                                                      uri=f"{base}/rd/1")).response
            return reg, upd, bad, dereg, again
        finally:
            await ctx.shutdown()

    with DmServer() as dm:
        reg, upd, bad, dereg, again = asyncio.run(exercise(dm.port))
    assert (reg.code, reg.opt.location_path) == (Code.CREATED, ("rd", "1"))
    assert (upd.code, bad.code, dereg.code, again.code) == (
        Code.CHANGED, Code.NOT_FOUND, Code.DELETED, Code.NOT_FOUND)
    assert dm.history[0]["ep"] == "dev-9" and dm.history[0]["payload"] == "</1/0>,</3/0>"
    assert dm.history[0]["updates"] == 1
    assert dm.lines[1:] == ["REGISTERED ep=dev-9 location=/rd/1 lt=60",
                            "UPDATED location=/rd/1", "DEREGISTERED location=/rd/1"]
    assert dm.registrations == {}


def test_a_server_port_cannot_be_shared():
    """A SO_REUSEPORT socket cannot join a test server's port (so bind-to-0 never hands it out)."""
    import errno
    import socket
    with DmServer() as dm:
        other = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        try:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            other.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            try:
                other.bind(("::ffff:127.0.0.1", dm.port))
                shared = True
            except OSError as e:
                shared = False
                assert e.errno == errno.EADDRINUSE
        finally:
            other.close()
    assert not shared


def test_servers_command_line_ready_and_sigterm():
    for script, extra in (("bootstrap_server.py", ["--server-uri", "coap://127.0.0.1:1"]),
                          ("dm_server.py", [])):
        proc = subprocess.Popen([sys.executable, str(HERE / "lwbs_testservers" / script),
                                 "--bind", "127.0.0.1:0", *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline().strip()
            assert line.startswith("READY port="), (line, proc.stderr.read())
            assert 0 < int(line.split("=")[1]) < 65536
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert out.strip().endswith("STOPPED")
