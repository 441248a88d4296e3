"""Compiles rules to SQL and runs them on DuckDB or Spark; findings and decisions."""
