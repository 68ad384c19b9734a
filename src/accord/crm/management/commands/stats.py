"""`accord stats`: how much data the database holds."""

import json

from django.core.management.base import BaseCommand

from accord.crm.queries import company_counts


class Command(BaseCommand):
    help = "Count leads, accounts, opportunities, campaigns, touchpoints, activities and users."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )

    def handle(self, *args, as_json: bool = False, **options):
        counts = company_counts()
        if as_json:
            self.stdout.write(json.dumps(counts))
            return
        width = max(map(len, counts))
        for name, value in counts.items():
            shown = f"{value:,}" if isinstance(value, int) else value
            self.stdout.write(f"{name.replace('_', ' '):<{width}}  {shown:>14}")
