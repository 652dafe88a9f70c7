from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "nextpractice.reviews"
    verbose_name = "Reviews and learning walks"
