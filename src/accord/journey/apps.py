from django.apps import AppConfig


class JourneyConfig(AppConfig):
    name = "accord.journey"
    label = "journey"
    verbose_name = "Customer journey"

    def ready(self):
        # The plan page asks `plan.goals` how its goals stand; the journey answers.
        from accord.journey import goals  # noqa: F401
