"""The DuckDB/Spark bridge."""
