"""The registry gateway (issue 11): an OCI distribution proxy that records every pull, push and
delete, and refuses the changes an immutability policy forbids before they reach the registry.

- ``routes``: which distribution endpoint a path names (``Route``)
- ``auth``: the actor of a request (basic user, token subject) and bearer-challenge realms
- ``records``: the ``image.*`` events, pure builders
- ``trail``: what is written to the ledger, and the refusals decided from the tag index
- ``proxy``: ``Gateway``, the streaming ASGI proxy
- ``config``: ``GatewayConfig``, the ``[gateway]`` settings
"""

from sealtrail.gateway.config import GatewayConfig
from sealtrail.gateway.proxy import Gateway
from sealtrail.gateway.routes import Endpoint, Route
from sealtrail.gateway.trail import Trail

__all__ = ["Endpoint", "Gateway", "GatewayConfig", "Route", "Trail"]
