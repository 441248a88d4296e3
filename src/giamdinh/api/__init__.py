"""HTTP API (FastAPI) over the services."""
