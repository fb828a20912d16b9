"""aiocoap-based LwM2M test servers: a scriptable Bootstrap Server and a minimal DM server."""

from lwbs_testservers.bootstrap_server import (BootstrapServer, Operation, Step, delete,
                                               discover, finish, named_scenario, read,
                                               standard_writes, write, write_text)
from lwbs_testservers.dm_server import DmServer

__all__ = ["BootstrapServer", "DmServer", "Operation", "Step", "delete", "discover", "finish",
           "named_scenario", "read", "standard_writes", "write", "write_text"]
