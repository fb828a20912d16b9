"""A minimal LwM2M DM server on aiocoap (registration interface only; test tool).

``POST /rd?ep=..`` → 2.01 with Location-Path ``rd/<n>``; Update ``POST /rd/<n>`` → 2.04;
``DELETE /rd/<n>`` → 2.02; unknown locations → 4.04. Prints ``READY port=P``,
``REGISTERED ep=.. location=/rd/1 lt=..``, ``UPDATED location=..``, ``DEREGISTERED location=..``.

It also sends requests to a registered client, from its own port to the address the client
registered from (:meth:`DmServer.execute`, for example the Bootstrap-Request Trigger /1/0/9),
and prints ``RESPONSE POST /1/0/9 2.04``.

Command line: ``dm_server.py --bind 127.0.0.1:PORT`` (port 0 = pick a free one).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import time
import sys

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import aiocoap
import aiocoap.resource
from aiocoap.numbers.codes import Code

from lwbs_testservers._runner import ServerBase, parse_bind, run_cli


class DmServer(ServerBase):
    """Accepts Register/Update/De-register. :attr:`registrations` maps a location
    (``/rd/1``) to ``{"ep", "query", "payload", "updates", "remote"}``; :attr:`history`
    keeps every registration ever made, including deregistered ones."""

    def __init__(self, bind=("127.0.0.1", 0), echo: bool = False):
        super().__init__(bind, echo)
        self.registrations: dict[str, dict] = {}
        self.history: list[dict] = []
        self._next = 1
        #: Answer Register 2.01 without Location-Path (a broken server; the MUST of Core 1.1
        #: §6.2.1 violated). Such registrations are recorded in :attr:`history` only.
        self.omit_location = False

    def _site(self):
        return _DmSite(self)

    def handle(self, request: aiocoap.Message) -> aiocoap.Message:
        """Dispatches one registration-interface request."""
        path = request.opt.uri_path
        if not path or path[0] != "rd" or len(path) > 2:
            return aiocoap.Message(code=Code.NOT_FOUND)
        if len(path) == 1:
            if request.code != Code.POST:
                return aiocoap.Message(code=Code.METHOD_NOT_ALLOWED)
            return self._register(request)
        location = "/rd/" + path[1]
        reg = self.registrations.get(location)
        if reg is None:
            return aiocoap.Message(code=Code.NOT_FOUND)
        if request.code == Code.POST:
            reg["updates"] += 1
            reg.setdefault("update_queries", []).append(
                dict(q.split("=", 1) for q in request.opt.uri_query if "=" in q))
            reg["peer"] = request.remote
            self.emit(f"UPDATED location={location}")
            return aiocoap.Message(code=Code.CHANGED)
        if request.code == Code.DELETE:
            del self.registrations[location]
            self.emit(f"DEREGISTERED location={location}")
            return aiocoap.Message(code=Code.DELETED)
        return aiocoap.Message(code=Code.METHOD_NOT_ALLOWED)

    def _register(self, request: aiocoap.Message) -> aiocoap.Message:
        query = dict(q.partition("=")[::2] for q in request.opt.uri_query)
        if not query.get("ep"):
            return aiocoap.Message(code=Code.BAD_REQUEST)
        if self.omit_location:
            self.history.append({"ep": query["ep"], "query": query, "location": None,
                                 "time": time.monotonic()})
            self.emit(f"REGISTERED ep={query['ep']} location=(none)")
            return aiocoap.Message(code=Code.CREATED)
        location = f"/rd/{self._next}"
        self._next += 1
        reg = {"ep": query["ep"], "query": query, "payload": request.payload.decode(),
               "updates": 0, "remote": request.remote.hostinfo, "location": location,
               "peer": request.remote, "time": time.monotonic()}
        self.registrations[location] = reg
        self.history.append(reg)
        self.emit(f"REGISTERED ep={query['ep']} location={location} lt={query.get('lt', '')}")
        return aiocoap.Message(code=Code.CREATED, location_path=tuple(location.split("/")[1:]))


    def request_client(self, location: str, code, path: str, payload: bytes = b"",
                       timeout: float = 30.0) -> concurrent.futures.Future:
        """Sends ``code path`` to the client registered at ``location``, from this server's
        socket to the address of its last Register/Update. Thread-safe; the returned future
        resolves to the response (``aiocoap.Message``)."""
        if self._loop is None:
            raise RuntimeError("needs a server started with start_in_thread()")
        peer = self.registrations[location]["peer"]

        async def send():
            msg = aiocoap.Message(code=code, payload=payload,
                                  uri_path=tuple(s for s in path.split("/") if s))
            msg.remote = peer
            response = await asyncio.wait_for(self.context.request(msg).response, timeout)
            self.emit(f"RESPONSE {code} {path} {response.code.dotted}")
            return response

        return asyncio.run_coroutine_threadsafe(send(), self._loop)

    def execute(self, location: str, path: str, timeout: float = 30.0):
        """LwM2M Execute (``POST path``) on the client registered at ``location``."""
        return self.request_client(location, Code.POST, path, timeout=timeout)


class _DmSite(aiocoap.resource.Resource):
    def __init__(self, server: DmServer):
        super().__init__()
        self.server = server

    async def render(self, request):
        return self.server.handle(request)


def main(argv=None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bind", default="127.0.0.1:0", help="HOST:PORT (port 0 = pick a free one)")
    a = p.parse_args(argv)
    return run_cli(DmServer(parse_bind(a.bind), echo=True))


if __name__ == "__main__":
    sys.exit(main())
