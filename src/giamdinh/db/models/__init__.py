"""Every table of the operational store, one module per owning package.

Importing this package registers all tables on ``Base.metadata`` (Alembic's
autogenerate and the models-vs-migrations test need the complete set). A module
adding tables creates ``giamdinh/db/models/<module>.py`` and imports it here.
"""

from giamdinh.db.models import norms, registry, review

__all__ = ["norms", "registry", "review"]
