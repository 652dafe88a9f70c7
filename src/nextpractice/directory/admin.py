from django.contrib import admin

from .models import Area, ClosureDay, LeaderProfile, Setting, Topic, Value


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "la_code", "min_cluster_size", "max_cluster_size"]
    filter_horizontal = ["coordinators"]


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    extra = 0


@admin.register(Setting)
class SettingAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "urn",
        "ofsted_urn",
        "area",
        "postcode",
        "location_approximate",
        "is_open",
    ]
    list_filter = ["kind", "area", "is_open", "redacted", "location_approximate"]
    search_fields = ["name", "urn", "ofsted_urn", "postcode"]
    inlines = [ClosureDayInline]


@admin.register(Value)
class ValueAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "position"]
    list_editable = ["position"]


@admin.register(LeaderProfile)
class LeaderProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "job_title", "setting"]
    search_fields = ["user__email", "user__full_name"]
    raw_id_fields = ["setting"]
