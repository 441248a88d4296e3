"""Named random streams: every choice of the generator comes from one of these.

A stream is seeded by a string (the run's seed plus a name, e.g. ``"7:claim:42"``), so
each claim, day and patient draws from its own sequence and the output does not depend
on the order in which streams are used. Python seeds ``random.Random`` from a string
with SHA-512, so the values are the same on every platform and run.
"""

from __future__ import annotations

import random


def stream(*parts: object) -> random.Random:
    """Return the random stream named by ``parts`` (joined with ``:``)."""
    # NOTE: synthetic data, not secrets: a seeded, reproducible generator is the point.
    return random.Random(":".join(str(p) for p in parts))  # noqa: S311


__all__ = ["stream"]
