from django.urls import path

from . import views

urlpatterns = [
    path("join/<token:token>/", views.join, name="join"),
    path("account/", views.account, name="account"),
]
