"""Accord: one revenue number for sales and marketing."""
