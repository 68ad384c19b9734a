"""The numbers: funnel maths, rates, scoring, lead value, SLA clocks, attribution.

No Django imports in this package (`accord.core.engine` opens the engine on the app
database). Functions here take the Ibis tables of the schema contract (`tables.py`) or
plain data, and return plain data. They use only operations that work on SQLite,
PostgreSQL, DuckDB and PySpark, do the heavy lifting in the engine and bring only small
summaries to Python.
"""
