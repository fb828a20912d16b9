"""The test Bootstrap Server over DTLS-PSK on aiocoap's tinydtls server transport
(``aiocoap[tinydtls]``, DTLSSocket), a DTLS stack independent of ours (Mbed TLS).

aiocoap 0.4.17 needs one adaptation (pinned to that version): its server transport's
``recognize_remote`` only knows plain-UDP addresses, so a request addressed to the remote of
an incoming DTLS request (the client's session, where a Bootstrap Server's Writes must go)
found no transport ("Sending initial messages via a DTLSServer is not supported"). Requests
to an address of our own DTLS server socket are recognised here; they go inside the session
the client opened. tinydtls caps PSKs at 16 bytes.
"""

from __future__ import annotations

import os

import aiocoap
from aiocoap.credentials import CredentialsMap

from .bootstrap_server import BootstrapServer

os.environ["AIOCOAP_DTLSSERVER_ENABLED"] = "1"

from aiocoap.transports import tinydtls_server  # noqa: E402  (after the opt-in above)


async def _recognize_remote(self, remote):
    return isinstance(remote, tinydtls_server._AddressDTLS) and remote._protocol is self._pool


tinydtls_server.MessageInterfaceTinyDTLSServer.recognize_remote = _recognize_remote


class DtlsBootstrapServer(BootstrapServer):
    """:class:`BootstrapServer` over DTLS-PSK only (``coaps://127.0.0.1:<port>``), accepting
    ``identity`` with ``key`` (≤ 16 bytes). ``bind`` port P serves DTLS on P+1 (aiocoap's
    coaps offset); :attr:`port` is the DTLS port."""

    def __init__(self, identity: str, key: bytes, **kwargs):
        super().__init__(**kwargs)
        self.identity, self.key = identity, key

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
