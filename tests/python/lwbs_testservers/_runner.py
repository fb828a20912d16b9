"""Shared plumbing for the aiocoap test servers: output lines, waiting, a background thread
with its own event loop (for pytest), and the command-line main loop (SIGTERM/SIGINT)."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time

import aiocoap
import aiocoap.defaults

# aiocoap binds its server sockets with SO_REUSEPORT. On Linux a SO_REUSEPORT bind to port 0 may
# be given a port that another SO_REUSEPORT socket of the same user already holds, so two test
# servers (or two test runs) silently shared a port and datagrams went to either. Exclusive
# binds make "port 0" mean a port no one else has.
aiocoap.defaults.has_reuse_port = lambda: False


class ServerBase:
    """Base of the test servers.

    Subclasses implement :meth:`_site` (the aiocoap root resource). Every notable thing the
    server does is appended to :attr:`lines` (and printed when ``echo`` is true); tests wait
    for lines with :meth:`wait_for_line`.
    """

    def __init__(self, bind=("127.0.0.1", 0), echo=False):
        self.bind = bind
        self.echo = echo
        self.lines: list[str] = []
        self.port: int | None = None
        self.context: aiocoap.Context | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ----- output ------------------------------------------------------------------------
    def emit(self, line: str) -> None:
        """Records one output line (and prints it, flushed, in CLI mode)."""
        with self._cond:
            self.lines.append(line)
            self._cond.notify_all()
        if self.echo:
            print(line, flush=True)

    def wait_for(self, predicate, timeout: float = 30.0):
        """Waits until ``predicate()`` is truthy and returns its value; raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{type(self).__name__}: condition not met; lines={self.lines}")
                self._cond.wait(min(remaining, 0.2))

    def wait_for_line(self, prefix: str, timeout: float = 30.0) -> str:
        """Waits for an output line starting with ``prefix`` and returns it."""
        return self.wait_for(lambda: next((l for l in self.lines if l.startswith(prefix)), None),
                             timeout)

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # ----- life cycle --------------------------------------------------------------------
    def _site(self):
        raise NotImplementedError

    async def start(self) -> int:
        """Binds the UDP socket (port 0 = a free port) and returns the bound port."""
        self.context = await aiocoap.Context.create_server_context(
            self._site(), bind=self.bind, transports=["udp6"])
        iface = self.context.request_interfaces[0].token_interface.message_interface
        self.port = iface.transport.get_extra_info("socket").getsockname()[1]
        self.emit(f"READY port={self.port}")
        return self.port

    async def stop(self) -> None:
        """Shuts the aiocoap context down."""
        if self.context is not None:
            await self.context.shutdown()
            self.context = None

    def start_in_thread(self, timeout: float = 30.0) -> "ServerBase":
        """Runs the server on its own event loop in a daemon thread; returns when bound."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run():
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the caller below
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("server did not start")
        if failure:
            raise failure[0]
        return self

    def stop_thread(self, timeout: float = 30.0) -> None:
        """Stops a server started with :meth:`start_in_thread` and joins the thread."""
        if self._thread is None:
            return
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self):
        return self.start_in_thread()

    def __exit__(self, *exc):
        self.stop_thread()


def parse_bind(text: str) -> tuple[str, int]:
    """``HOST:PORT`` → ``(host, port)``."""
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def run_cli(server: ServerBase) -> int:
    """Runs ``server`` until SIGTERM/SIGINT, printing its lines; returns the exit status."""

    async def main():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await server.start()
        await stop.wait()
        await server.stop()
        server.emit("STOPPED")

    try:
        asyncio.run(main())
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0
