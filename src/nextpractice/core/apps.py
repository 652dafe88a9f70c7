from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nextpractice.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # The <id:...> and <index:...> path converters every urls.py uses.
        from . import converters  # noqa: F401  (registers on import)
