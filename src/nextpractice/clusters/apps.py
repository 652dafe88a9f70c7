from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "nextpractice.clusters"
    label = "clusters"
    verbose_name = "Clusters"
