from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The top layer: pages that gather from several feature apps (the home page, the
    researcher's figures), the demo loader and the health check. Nothing imports it."""

    name = "nextpractice.site"
    label = "site"
    verbose_name = "Site"
