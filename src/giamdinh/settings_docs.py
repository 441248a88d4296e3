"""Render the settings table (``docs/settings.md`` is generated from it)."""

from __future__ import annotations

from giamdinh.config import Settings


def render_settings_table() -> str:
    """Return a Markdown table of every setting: variable, default, meaning."""
    rows = ["| environment variable | default | meaning |", "|---|---|---|"]
    prefix = Settings.model_config.get("env_prefix", "")
    for name, field in Settings.model_fields.items():
        env = f"{prefix}{name}".upper()
        rows.append(f"| `{env}` | `{field.default}` | {field.description or ''} |")
    return "\n".join(rows) + "\n"
