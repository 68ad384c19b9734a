"""The six kinds of CRM record that are imported, exported and listed."""

from enum import StrEnum


class Kind(StrEnum):
    LEADS = "leads"
    ACCOUNTS = "accounts"
    OPPORTUNITIES = "opportunities"
    CAMPAIGNS = "campaigns"
    TOUCHPOINTS = "touchpoints"
    ACTIVITIES = "activities"
