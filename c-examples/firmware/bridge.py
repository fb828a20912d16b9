#!/usr/bin/env python3
"""The host side of the firmware example (docs/firmware.md): starts QEMU (mps2-an386) with the
firmware image, its UART0 connected to this process over a TCP socket on 127.0.0.1, and relays
the firmware's frames: datagrams to and from real UDP sockets on 127.0.0.1 (one connected socket
per connection id), the two storage slots as files (<state-dir>/slot0.img, slot1.img), the EVENT
lines to stdout (one per line, flushed), logs and the FIGURES line to stderr.

Only this bridge is emulation: a device has a network stack and flash where this has sockets
and files. Standard library only. Exit status: the firmware's (0 on the requested state), 1
with a reason on stderr ("lwbs-fw: ..."), 2 for bad arguments. QEMU is stopped on every path
(normal exit, error, SIGINT/SIGTERM: the firmware deregisters first, a second signal kills,
--timeout)."""

from __future__ import annotations

import argparse
import ctypes
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
from urllib.parse import urlsplit

LOG_NAMES = {1: "error", 2: "warning", 3: "info", 4: "debug"}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="lwbs-fw", description=__doc__.split("\n\n")[0])
    p.add_argument("--elf", required=True, help="the firmware image")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--bootstrap-uri")
    p.add_argument("--hold-off", type=int, default=0)
    p.add_argument("--server-uri")
    p.add_argument("--ssid", type=int, default=0)
    p.add_argument("--lifetime", type=int, default=0)
    p.add_argument("--psk-identity")
    p.add_argument("--psk-key", help="hex")
    p.add_argument("--state-dir", default="./lwbs-fw-state")
    p.add_argument("--exit-after", default="registered",
                   help="registered | updated | deregistered (= updated: Register, one Update, "
                        "De-register) | bootstrapped | SECONDS")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds for the whole run")
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-arm"))
    a = p.parse_args(argv)
    if (a.psk_identity is None) != (a.psk_key is None):
        p.error("--psk-identity and --psk-key go together")
    if a.psk_key is not None:
        try:
            if not a.psk_key or len(bytes.fromhex(a.psk_key)) > 64:
                raise ValueError
        except ValueError:
            p.error("bad --psk-key (hex, up to 64 bytes)")
    if a.exit_after not in ("registered", "updated", "deregistered", "bootstrapped") \
            and not a.exit_after.isdigit():
        p.error(f"bad --exit-after: {a.exit_after}")
    if a.server_uri and not a.ssid:
        p.error("--server-uri needs --ssid")
    if not a.bootstrap_uri and not a.server_uri:
        p.error("--bootstrap-uri or --server-uri is required")
    return a


def config_text(a) -> bytes:
    items = {"endpoint": a.endpoint, "exit_after": a.exit_after, "hold_off": a.hold_off,
             "seed": os.urandom(64).hex(),
             "log_level": os.environ.get("LWBS_LOG_LEVEL", "2")}
    if a.bootstrap_uri:
        items["bootstrap_uri"] = a.bootstrap_uri
    if a.server_uri:
        items.update(server_uri=a.server_uri, ssid=a.ssid, lifetime=a.lifetime)
    if a.psk_identity is not None:
        items.update(psk_identity=a.psk_identity, psk_key=a.psk_key)
    return "".join(f"{k}={v}\n" for k, v in items.items()).encode()


class Failure(Exception):
    """The run ends with status 1 and this reason."""


class Bridge:
    def __init__(self, a):
        self.a = a
        self.sel = selectors.DefaultSelector()
        self.conns: dict[int, socket.socket] = {}
        self.qemu: subprocess.Popen | None = None
        self.chan: socket.socket | None = None
        self.buf = b""
        self.exit: tuple[int, str] | None = None
        self.signals = 0
        os.makedirs(a.state_dir, exist_ok=True)

    # -- frames --
    def send(self, kind: str, payload: bytes = b""):
        self.chan.sendall(struct.pack(">HB", len(payload), ord(kind)) + payload)

    def slot(self, n: int) -> str:
        return os.path.join(self.a.state_dir, f"slot{n}.img")

    def on_frame(self, kind: str, p: bytes):
        if kind == "H":
            self.send("c", config_text(self.a))
        elif kind == "O":
            self.open(struct.unpack(">I", p[:4])[0], p[4:].decode())
        elif kind == "C":
            s = self.conns.pop(struct.unpack(">I", p[:4])[0], None)
            if s:
                self.sel.unregister(s)
                s.close()
        elif kind == "D":
            conn = struct.unpack(">I", p[:4])[0]
            s = self.conns.get(conn)
            if s is None:
                return
            try:
                s.send(p[4:])
            except OSError:
                self.send("e", p[:4])
        elif kind == "L":
            try:
                with open(self.slot(p[0]), "rb") as f:
                    data = f.read()
                self.send("l", bytes([p[0], 0]) + data)
            except FileNotFoundError:
                self.send("l", bytes([p[0], 0]))
            except OSError as exc:
                print(f"lwbs-fw[warning] load slot {p[0]}: {exc}", file=sys.stderr)
                self.send("l", bytes([p[0], 0xFF]))
        elif kind == "S":
            try:
                with open(self.slot(p[0]), "wb") as f:
                    f.write(p[1:])
                    f.flush()
                    os.fsync(f.fileno())
                self.send("s", bytes([p[0], 0]))
            except OSError as exc:
                print(f"lwbs-fw[warning] save slot {p[0]}: {exc}", file=sys.stderr)
                self.send("s", bytes([p[0], 0xFF]))
        elif kind == "E":
            print(p.decode(errors="replace"), flush=True)
        elif kind == "G":
            name = LOG_NAMES.get(p[0], str(p[0]))
            print(f"lwbs-fw[{name}] {p[1:].decode(errors='replace')}", file=sys.stderr, flush=True)
        elif kind == "F":
            print(p.decode(errors="replace"), file=sys.stderr, flush=True)
        elif kind == "X":
            self.exit = (p[0], p[1:].decode(errors="replace"))

    def open(self, conn: int, uri: str):
        try:
            u = urlsplit(uri)
            if u.scheme not in ("coap", "coaps") or not u.hostname:
                raise OSError(f"unsupported URI {uri!r}")
            port = u.port or (5684 if u.scheme == "coaps" else 5683)
            info = socket.getaddrinfo(u.hostname, port, type=socket.SOCK_DGRAM)[0]
            s = socket.socket(info[0], socket.SOCK_DGRAM)
            s.setblocking(False)
            s.connect(info[4])
        except OSError as exc:
            print(f"lwbs-fw[warning] open {uri}: {exc}", file=sys.stderr, flush=True)
            self.send("e", struct.pack(">I", conn))
            return
        self.conns[conn] = s
        self.sel.register(s, selectors.EVENT_READ, conn)

    def on_udp(self, conn: int, s: socket.socket):
        while True:
            try:
                data = s.recv(65535)
            except BlockingIOError:
                return
            except OSError:  # ICMP unreachable
                self.send("e", struct.pack(">I", conn))
                return
            self.send("d", struct.pack(">I", conn) + data)

    def on_chan(self):
        try:
            data = self.chan.recv(65536)
        except ConnectionResetError:
            data = b""
        if os.environ.get("LWBS_FW_TRACE"):
            print(f"lwbs-fw[trace] {data!r}", file=sys.stderr, flush=True)
        if not data:
            raise Failure(self.qemu_gone())
        self.buf += data
        while len(self.buf) >= 3:
            n, kind = struct.unpack(">HB", self.buf[:3])
            if len(self.buf) < 3 + n:
                break
            payload, self.buf = self.buf[3:3 + n], self.buf[3 + n:]
            self.on_frame(chr(kind), payload)
            if self.exit is not None:
                return

    def qemu_gone(self) -> str:
        try:
            rc = self.qemu.wait(2)
        except subprocess.TimeoutExpired:
            rc = None
        return f"QEMU closed the channel before the firmware finished (QEMU status {rc})"

    # -- run --
    def start_qemu(self):
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        port = lsock.getsockname()[1]
        argv = [self.a.qemu, "-M", "mps2-an386", "-display", "none", "-monitor", "none",
                "-chardev", f"socket,id=fw0,host=127.0.0.1,port={port}",
                "-serial", "chardev:fw0",
                "-semihosting-config", "enable=on,target=native", "-kernel", self.a.elf]
        libc = ctypes.CDLL(None, use_errno=True)

        def child_setup():  # own session (the terminal's Ctrl-C goes to the bridge only),
            os.setsid()     # and killed if the bridge dies
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

        self.qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sys.stderr,
                                     preexec_fn=child_setup)
        lsock.settimeout(15)
        try:
            self.chan, _ = lsock.accept()
        except socket.timeout:
            raise Failure("QEMU did not connect to the bridge within 15 s") from None
        finally:
            lsock.close()
        self.chan.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sel.register(self.chan, selectors.EVENT_READ, None)

    def on_signal(self, signo, _frame):
        self.signals += 1
        if self.signals == 1 and self.chan is not None:
            try:
                self.send("q")
            except OSError:
                pass

    def run(self) -> int:
        deadline = time.monotonic() + self.a.timeout
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)
        self.start_qemu()
        while self.exit is None:
            if self.signals > 1:
                raise Failure("interrupted again while deregistering")
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"timeout: no end state within {self.a.timeout:g} s")
            for key, _ in self.sel.select(min(left, 0.5)):
                if key.data is None:
                    self.on_chan()
                else:
                    self.on_udp(key.data, key.fileobj)
                if self.exit is not None:
                    break
        status, reason = self.exit
        try:  # the firmware ends with a semihosting exit right after its X frame
            self.qemu.wait(5)
        except subprocess.TimeoutExpired:
            pass
        if status != 0:
            print(f"lwbs-fw: {reason or 'firmware failed'}", file=sys.stderr, flush=True)
        return status

    def close(self):
        if self.qemu is not None and self.qemu.poll() is None:
            self.qemu.kill()
            self.qemu.wait(10)
        for s in self.conns.values():
            s.close()
        if self.chan is not None:
            self.chan.close()


def main(argv=None) -> int:
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.exists(a.elf):
        print(f"lwbs-fw: no image {a.elf}", file=sys.stderr)
        return 1
    bridge = Bridge(a)
    try:
        return bridge.run()
    except Failure as exc:
        print(f"lwbs-fw: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        bridge.close()


if __name__ == "__main__":
    sys.exit(main())
