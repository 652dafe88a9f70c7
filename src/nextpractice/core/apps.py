from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nextpractice.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        # The <id:...> and <index:...> path converters every urls.py uses.
        from . import converters  # noqa: F401  (registers on import)
        from .memo import install

        # Every connection's writes retire the page parts kept from the tables they touch.
        connection_created.connect(install, dispatch_uid="nextpractice.core.memo")
