"""Bringing CRM exports into Accord: reading messy files, recognising formats, upserting."""
