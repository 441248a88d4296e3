"""Web pages (Jinja2) over the services."""
