from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nextpractice.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate, pre_migrate

        # The <id:...> and <index:...> path converters every urls.py uses.
        from . import converters  # noqa: F401  (registers on import)
        from .memo import install, migrated, migrating

        # Every connection's writes retire the page parts kept from the tables they touch.
        connection_created.connect(install, dispatch_uid="nextpractice.core.memo")
        # Once per migrate (sent for each app: heard for this one): quiet while the cache's
        # table is being made.
        pre_migrate.connect(migrating, sender=self, dispatch_uid="nextpractice.core.migrating")
        post_migrate.connect(migrated, sender=self, dispatch_uid="nextpractice.core.migrated")
