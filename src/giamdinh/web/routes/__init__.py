"""The routers of the web application, one module per area.

``ROUTERS`` is the complete list: ``create_web_app`` includes each with the
form-token check, and the isolation tests walk the routes it declares.
"""

from __future__ import annotations

from giamdinh.web.routes import (
    admin,
    assessor,
    auth,
    cases,
    facility,
    home,
    norms,
    policy,
)

ROUTERS = [
    auth.router,
    home.router,
    facility.router,
    cases.router,
    assessor.router,
    norms.router,
    policy.router,
    admin.router,
]

__all__ = ["ROUTERS"]
