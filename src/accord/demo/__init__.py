"""Northwind Analytics, the demo company: its parameters, its simulation, the writes, and
each app's part of it. The top floor: it may import every app, and nothing imports it but
its own command (`accord demo`) and the tests and benchmarks."""
