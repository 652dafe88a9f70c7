from django.urls import path

from . import views

urlpatterns = [
    path("clusters/<id:cluster_id>/reviews/", views.review_list, name="review_list"),
    path("clusters/<id:cluster_id>/reviews/new/<str:kind>/", views.review_new, name="review_new"),
    path("clusters/<id:cluster_id>/examples/", views.exemplars, name="exemplars"),
    path(
        "clusters/<id:cluster_id>/examples/<id:exemplar_id>/download/",
        views.exemplar_download,
        name="exemplar_download",
    ),
    path("reviews/<id:review_id>/", views.review_detail, name="review_detail"),
    path("reviews/<id:review_id>/feedback/", views.feedback, name="review_feedback"),
    path("reviews/<id:review_id>/versions/", views.version_add, name="review_version_add"),
    path(
        "reviews/<id:review_id>/versions/<id:version_id>/download/",
        views.download,
        name="review_download",
    ),
    path("reviews/<id:review_id>/close/", views.close, name="review_close"),
    path("reviews/<id:review_id>/reply/", views.reply, name="review_reply"),
    path(
        "reviews/<id:review_id>/answers/<id:answer_id>/helpful/",
        views.helpful,
        name="review_helpful",
    ),
    path(
        "reviews/<id:review_id>/answers/<id:answer_id>/action/",
        views.to_action,
        name="review_to_action",
    ),
    path("reviews/<id:review_id>/steps/action/", views.take_on, name="review_take_on"),
    path("reviews/<id:review_id>/report/", views.report_page, name="review_report"),
    path("reviews/<id:review_id>/report.pdf", views.report_pdf, name="review_report_pdf"),
]
