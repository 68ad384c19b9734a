"""Bringing CRM records into Accord: CSV files (from the command line or the web) and the
bulk API, through one upsert."""
