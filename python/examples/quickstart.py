"""Bootstraps from the NoSec Bootstrap-Server given as the first argument, registers, de-registers."""
import sys

sys.path.insert(0, "python")  # run from the repository root
from lwm2m_bootstrap import Client, EventKind  # noqa: E402

bs_uri = sys.argv[1] if len(sys.argv) > 1 else "coap://127.0.0.1:5683"
with Client("urn:dev:py-quickstart") as client:  # UDP sockets, monotonic clock, os entropy
    client.provision_bootstrap_server(bs_uri)
    client.start()
    registered = client.wait_event(EventKind.REGISTERED, timeout=30)
    print(f"registered with ssid {registered.ssid} at {registered.location}")
    client.stop()  # de-registers
    client.wait_event(EventKind.STOPPED, timeout=30)
