from django.urls import path

from . import views

urlpatterns = [
    path("privacy/", views.notice, name="privacy_notice"),
    path("account/my-data/", views.my_data, name="privacy_my_data"),
    path("account/delete/", views.delete_account, name="privacy_delete"),
    path("account/deleted/", views.deleted, name="privacy_deleted"),
]
