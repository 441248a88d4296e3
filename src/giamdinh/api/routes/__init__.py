"""The routers of the API, one module per resource.

``ROUTERS`` is the complete list: ``create_api`` includes each, and the isolation
tests walk the routes they declare.
"""

from __future__ import annotations

from giamdinh.api.routes import assessor, cases, checks, me, norms

ROUTERS = [me.router, checks.router, cases.router, assessor.router, norms.router]

__all__ = ["ROUTERS"]
