from django.contrib import admin

from nextpractice.audit.admin import ClusterContentAdmin

from .models import Cluster, Membership, RemovalProposal


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Cluster)
class ClusterAdmin(ClusterContentAdmin):
    list_display = ["name", "area", "status", "created_at"]
    list_filter = ["status", "area"]
    inlines = [MembershipInline]


@admin.register(RemovalProposal)
class RemovalProposalAdmin(ClusterContentAdmin):
    list_display = ["cluster", "state", "created_at"]
