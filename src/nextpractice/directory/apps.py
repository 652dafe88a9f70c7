from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "nextpractice.directory"
    label = "directory"
    verbose_name = "Directory"
