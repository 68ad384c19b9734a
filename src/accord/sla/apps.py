from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "accord.sla"
    label = "sla"
    verbose_name = "Service levels"

    def ready(self):
        from accord.people import zones
        from accord.sla import clocks

        # A user who has not chosen a zone reads times in their calendar's.
        zones.default_zone_from(clocks.calendar_zone)
