"""Licence-registry exchange between provinces."""
