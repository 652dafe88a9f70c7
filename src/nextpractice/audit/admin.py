from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from nextpractice.core.models import OutboundEmail

from .models import AuditEntry


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
    list_display = ["created_at", "subject", "sent_at", "attempts"]
    # What was written to members stays theirs: neither part of the body is shown, and the
    # outbox is changed only by the worker.
    exclude = ["body", "html"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
