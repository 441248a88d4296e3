"""Exceptions for operator or programmer faults only.

Problems in claim data are never exceptions: they are ``Finding`` objects. These
errors mean the operator must fix something (a setting, a reference file, a rule
definition); each message says what to fix. The CLI maps them to exit code 2 and the
API to one JSON error envelope.
"""

from __future__ import annotations


class GiamdinhError(Exception):
    """Base class of every error the product raises on purpose."""


class ConfigError(GiamdinhError):
    """A setting or command-line option is wrong."""


class RuleDefinitionError(GiamdinhError):
    """A rule or edit table breaks an invariant (basis, time evidence, overlap)."""


class ReferenceDataError(GiamdinhError):
    """A reference file cannot be loaded; the message names file, row and column."""


class BackendError(GiamdinhError):
    """A query backend (DuckDB, Spark) failed or is not available."""


class StoreError(GiamdinhError):
    """The claim store is missing, locked or inconsistent."""


class TransitionError(GiamdinhError):
    """A workflow transition that the state machine does not allow."""


class ConflictError(GiamdinhError):
    """Someone else changed a record since it was read (optimistic locking)."""


class AuthError(GiamdinhError):
    """Who is asking is not known: wrong credentials, a revoked token, a lockout."""


class ForbiddenError(GiamdinhError):
    """Who is asking is known but may not see or do this."""
