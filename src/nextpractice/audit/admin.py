from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from nextpractice.core import mail
from nextpractice.core.models import OutboundEmail, UndeliveredEmail

from .models import AuditEntry, record


class ClusterContentAdmin(admin.ModelAdmin):
    """Admin for what lives inside a cluster: superusers only, and every view is logged."""

    def _superuser(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    has_view_permission = _superuser
    has_change_permission = _superuser
    has_add_permission = _superuser
    has_delete_permission = _superuser
    has_module_permission = _superuser

    def _log(self, request: HttpRequest, what: str, object_id: str = "") -> None:
        AuditEntry.objects.create(
            actor=request.user if request.user.is_authenticated else None,
            verb="admin.viewed",
            object_type=self.model._meta.label_lower,
            object_id=object_id,
            summary=f"An administrator opened {what}",
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        self._log(request, f"the list of {self.model._meta.verbose_name_plural}")
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        self._log(request, f"a {self.model._meta.verbose_name}", object_id)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AuditEntry)
class AuditEntryAdmin(ClusterContentAdmin):
    list_display = ["created_at", "verb", "object_type", "object_id", "summary"]
    list_filter = ["verb"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the trail is read-only


# The outbox holds what was written to members: its admin is logged like the rest.
@admin.register(OutboundEmail)
class OutboundEmailAdmin(ClusterContentAdmin):
    list_display = ["created_at", "subject", "sent_at", "failed_at", "attempts", "last_error"]
    list_filter = [
        ("sent_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    ]
    # What was written to members stays theirs: neither part of the body is shown, and the
    # outbox is changed only by the worker (and by "send again" on those not sent).
    exclude = ["body", "html"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UndeliveredEmail)
class UndeliveredEmailAdmin(OutboundEmailAdmin):
    """Emails that could not be sent: retried for EMAIL_RETRY_DAYS, or expired (a sign-in
    code nobody can use any more). An administrator can send them again."""

    list_display = ["failed_at", "created_at", "to", "subject", "attempts", "last_error"]
    list_filter = []
    actions = ["send_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(sent_at=None).exclude(failed_at=None)

    @admin.action(description="Send again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            pks = list(queryset.values_list("pk", flat=True))
            resent = mail.resend(pks)
            for pk in resent:
                record(request.user, "email.resent", UndeliveredEmail(pk=pk), "Email sent again")
        skipped = len(pks) - len(resent)
        self.message_user(
            request,
            f"{len(resent)} email(s) will be sent again."
            + (f" {skipped} had expired (a sign-in code) and cannot be." if skipped else ""),
        )
