"""Plain types shared by every layer: findings, severities, bases, periods, money."""

from giamdinh.domain.types import Basis, Finding, Grain, Location, Period, Severity

__all__ = ["Basis", "Finding", "Grain", "Location", "Period", "Severity"]
