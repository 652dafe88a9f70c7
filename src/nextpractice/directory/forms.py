from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from nextpractice.core.converters import MAX_ID
from nextpractice.core.forms import StyledForm, StyledModelForm

from .models import WEEKDAYS, LeaderProfile, Setting, Topic, TopicChoice, Value
from .validators import normalise_postcode, normalise_urn

MAX_INVITES = 200

IMPORTANCE = [(str(i), str(i)) for i in range(1, 6)]


class TopicsField(forms.ModelMultipleChoiceField):
    """Ids are checked as database integers before the database sees them: an ``__in``
    lookup with a 20-digit number overflows it (a 500, not a form error)."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            text = str(pk)
            if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": text[:20]},
                )
        # A private method of Django's, missing from django-stubs.
        return super()._check_values(value)  # type: ignore[misc]


class ProfileForm(StyledModelForm):
    full_name = forms.CharField(max_length=150, label="Your name")
    preferred_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Days that suit you for meetings",
    )
    strengths = TopicsField(
        queryset=Topic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Where you are strong",
        help_text="Others in your cluster may ask you about these.",
    )
    develop = TopicsField(
        queryset=Topic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Where you want to grow",
    )

    class Meta:
        model = LeaderProfile
        fields = [
            "job_title",
            "years_in_leadership",
            "phone",
            "preferred_time",
            "max_travel_km",
        ]
        labels = {"years_in_leadership": "Years in a leadership role", "phone": "Phone number"}
        widgets = {"preferred_time": forms.RadioSelect}

    # The setting a leader leads is not a field here: anyone could pick any setting. It is
    # established by a coordinator's invitation or an approved request (directory.services).
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.values = list(Value.objects.all())
        topics = Topic.objects.all()
        self.fields["strengths"].queryset = topics  # type: ignore[attr-defined]
        self.fields["develop"].queryset = topics  # type: ignore[attr-defined]
        self.fields["full_name"].initial = user.full_name
        self.fields["job_title"].required = True
        self.fields["preferred_time"].choices = self.fields["preferred_time"].choices[1:]  # type: ignore[attr-defined]
        self.order_fields(["full_name", "job_title"])
        profile = self.instance
        ratings: dict[int, int] = {}
        if profile.pk:
            self.fields["preferred_days"].initial = profile.preferred_days
            ratings = dict(profile.ratings.values_list("value_id", "importance"))
            chosen = list(profile.topics.values_list("topic_id", "kind"))
            self.fields["strengths"].initial = [t for t, k in chosen if k == TopicChoice.STRENGTH]
            self.fields["develop"].initial = [t for t, k in chosen if k == TopicChoice.DEVELOP]
        for value in self.values:
            field = forms.ChoiceField(
                choices=IMPORTANCE,
                widget=forms.RadioSelect,
                label=value.name,
                help_text=value.description,
                initial=str(ratings[value.pk]) if value.pk in ratings else None,
                required=True,
            )
            field.inline = True  # type: ignore[attr-defined]
            self.fields[f"value_{value.pk}"] = field

    def value_fields(self) -> list[forms.BoundField]:
        return [self[f"value_{v.pk}"] for v in self.values]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        both = set(data.get("strengths") or []) & set(data.get("develop") or [])
        if both:
            names = ", ".join(t.name for t in both)
            self.add_error(
                "develop", f"Choose each area once, as a strength or to develop: {names}"
            )
        return data

    def save(self, commit: bool = True) -> LeaderProfile:
        from .models import ValueRating

        profile: LeaderProfile = super().save(commit=False)
        profile.user = self.user
        profile.preferred_days = sorted(self.cleaned_data["preferred_days"])
        profile.mark_completed()
        profile.save()
        self.user.full_name = self.cleaned_data["full_name"]
        self.user.save(update_fields=["full_name"])
        profile.ratings.all().delete()
        ValueRating.objects.bulk_create(
            [
                ValueRating(
                    profile=profile, value=v, importance=int(self.cleaned_data[f"value_{v.pk}"])
                )
                for v in self.values
            ]
        )
        profile.topics.all().delete()
        TopicChoice.objects.bulk_create(
            [
                TopicChoice(profile=profile, topic=t, kind=TopicChoice.STRENGTH)
                for t in self.cleaned_data["strengths"]
            ]
            + [
                TopicChoice(profile=profile, topic=t, kind=TopicChoice.DEVELOP)
                for t in self.cleaned_data["develop"]
            ]
        )
        return profile


def parse_closure_days(text: str) -> list[tuple[dt.date, str]]:
    """Lines such as '27/11/2026 INSET day' -> [(date, reason)]. Raises ValidationError."""
    days: list[tuple[dt.date, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        first, _, reason = line.partition(" ")
        try:
            day = dt.datetime.strptime(first, "%d/%m/%Y").date()
        except ValueError:
            raise ValidationError(
                f"Line {number}: start with a date written as day/month/year, like 27/11/2026"
            ) from None
        days.append((day, reason.strip()[:100] or "INSET day"))
    return days


class SettingForm(StyledModelForm):
    website = forms.URLField(assume_scheme="https", required=False, max_length=200)
    closure_days_text = forms.CharField(
        label="Term-time closure days",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line: the date as day/month/year, then what it is. "
        "For example: 27/11/2026 INSET day",
    )

    class Meta:
        model = Setting
        fields = [
            "name",
            "kind",
            "urn",
            "address",
            "postcode",
            "website",
            "size",
            "percent_disadvantaged",
            "percent_eal",
            "home_languages",
            "new_arrivals",
            "idaci_decile",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "new_arrivals": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["closure_days_text"].initial = "\n".join(
                f"{c.date:%d/%m/%Y} {c.reason}" for c in self.instance.closure_days.all()
            )
        self.fields["new_arrivals"].choices = self.fields["new_arrivals"].choices[1:]  # type: ignore[attr-defined]

    def clean_urn(self) -> str | None:
        urn = normalise_urn(self.cleaned_data.get("urn") or "")
        return urn or None

    def clean_postcode(self) -> str:
        value = self.cleaned_data.get("postcode") or ""
        return normalise_postcode(value) if value else ""

    def clean_closure_days_text(self) -> list[tuple[dt.date, str]]:
        return parse_closure_days(self.cleaned_data.get("closure_days_text") or "")


class ImportForm(StyledForm):
    register = forms.ChoiceField(
        label="Which register",
        choices=[
            ("gias", "GIAS establishments (schools, nursery schools, children's centres)"),
            ("ofsted", "Ofsted childcare providers (nurseries, pre-schools, childminders)"),
        ],
        initial="gias",
        # GIAS when not said: the page offered only GIAS before, and so do old bookmarks.
        required=False,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label="The register's file (CSV)",
        help_text="GIAS: download 'All establishment data' for your local authority from Get "
        "Information about Schools. Ofsted: the national 'childcare providers and "
        "inspections' provider-level CSV, as published; only your authorities' rows are read.",
    )

    def clean_register(self) -> str:
        return str(self.cleaned_data.get("register") or "gias")


class InviteLeadersForm(StyledForm):
    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        help_text="One per line. Each leader gets a link to join and fill in their profile.",
    )
    setting = forms.ModelChoiceField(
        queryset=Setting.objects.none(),
        required=False,
        label="They lead this setting (optional)",
        help_text="With one address only: accepting the invitation confirms them as a leader "
        "of this setting, so they can keep its details up to date.",
    )

    def __init__(self, *args: Any, area: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["setting"].queryset = area.settings.filter(is_open=True)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("setting") and len(data.get("emails") or []) > 1:
            self.add_error("setting", "Invite one leader at a time for a setting")
        return data

    def clean_emails(self) -> list[str]:
        from django.core.validators import validate_email

        emails = []
        for number, line in enumerate(self.cleaned_data["emails"].splitlines(), start=1):
            line = line.strip().lower()
            if not line:
                continue
            try:
                validate_email(line)
            except ValidationError:
                raise ValidationError(f"Line {number}: {line} is not an email address") from None
            emails.append(line)
            if len(emails) > MAX_INVITES:
                raise ValidationError(f"At most {MAX_INVITES} addresses at a time")
        if not emails:
            raise ValidationError("Enter at least one email address")
        return list(dict.fromkeys(emails))


class ClaimSettingForm(StyledForm):
    """ "I lead this setting": a request for the area's coordinator to approve."""

    setting = forms.ModelChoiceField(
        queryset=Setting.objects.none(),
        label="The setting you lead",
        help_text="Your area's coordinator confirms it before you can change its details.",
    )

    def __init__(self, *args: Any, settings_qs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["setting"].queryset = settings_qs  # type: ignore[attr-defined]


class WithdrawClaimForm(forms.Form):
    withdraw = forms.ChoiceField(choices=[("yes", "Withdraw")])


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("yes", "Approve"), ("no", "Decline")], coerce=lambda v: v == "yes"
    )


class DirectorySearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, strip=True)
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)
    # The clusters table's own page: an area can hold hundreds of clusters.
    clusters = forms.IntegerField(required=False, min_value=1, max_value=100000)


class NextForm(forms.Form):
    next = forms.CharField(required=False, max_length=2000)


class SettingsChoiceField(TopicsField):
    """Chosen settings by id, checked as database integers first (as TopicsField)."""


class ChooseSettingsForm(forms.Form):
    """The settings ticked in the area directory, whose leaders are to be invited."""

    setting = SettingsChoiceField(queryset=Setting.objects.none())

    def __init__(self, *args: Any, area: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["setting"]
        field.queryset = area.settings.filter(is_open=True)  # type: ignore[attr-defined]
        field.error_messages["required"] = "Choose at least one setting in the directory"

    def clean_setting(self) -> list[Setting]:
        chosen = list(self.cleaned_data["setting"])
        if len(chosen) > MAX_INVITES:
            raise ValidationError(f"Choose at most {MAX_INVITES} settings at a time")
        return chosen


class LeadersOfSettingsForm(StyledForm):
    """An email address and a name for each chosen setting's leader."""

    def __init__(self, *args: Any, settings_chosen: list[Setting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings_chosen = settings_chosen
        for setting in settings_chosen:
            self.fields[f"email_{setting.pk}"] = forms.EmailField(
                label=f"Email address of the leader of {setting.name}",
                max_length=254,
            )
            self.fields[f"name_{setting.pk}"] = forms.CharField(
                label=f"Name of the leader of {setting.name}", max_length=150, required=False
            )

    def rows(self) -> list[tuple[Setting, forms.BoundField, forms.BoundField]]:
        return [(s, self[f"email_{s.pk}"], self[f"name_{s.pk}"]) for s in self.settings_chosen]

    def leaders(self) -> list[tuple[Setting, str, str]]:
        return [
            (
                s,
                self.cleaned_data[f"email_{s.pk}"].strip().lower(),
                self.cleaned_data[f"name_{s.pk}"].strip(),
            )
            for s in self.settings_chosen
        ]


MAX_INVITE_UPLOAD_BYTES = 100 * 1024
INVITE_COLUMNS = ("urn", "email", "name")


class InviteUploadForm(StyledForm):
    """A CSV of ``urn,email,name``: each row invites the leader of the setting with that
    URN (GIAS or Ofsted) in this area. Every bad row is reported with its number; one bad
    row and nothing is sent."""

    file = forms.FileField(
        label="List of leaders (CSV)",
        help_text="Columns urn, email, name, with that header row; at most "
        f"{MAX_INVITES} leaders. The URN is the setting's GIAS or Ofsted URN.",
    )

    def __init__(self, *args: Any, area: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area = area

    def clean_file(self) -> list[tuple[int, Setting, str, str]]:
        import csv
        import io

        from django.core.validators import validate_email

        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_INVITE_UPLOAD_BYTES:
            raise ValidationError("The file is larger than 100 KB; send at most 200 rows")
        data = upload.read(MAX_INVITE_UPLOAD_BYTES + 1)
        if len(data) > MAX_INVITE_UPLOAD_BYTES:
            raise ValidationError("The file is larger than 100 KB; send at most 200 rows")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The file is not UTF-8 text (save it as CSV UTF-8)") from None
        if "\x00" in text:
            raise ValidationError("The file is not a CSV file")
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            lines = list(reader)
        except csv.Error as e:
            raise ValidationError(f"The file is not valid CSV ({e})") from None
        if not lines or [c.strip().lower() for c in lines[0]] != list(INVITE_COLUMNS):
            raise ValidationError("The first row must be the header: urn,email,name")
        body = [(n, cells) for n, cells in enumerate(lines[1:], start=2) if any(cells)]
        if not body:
            raise ValidationError("The file lists nobody to invite")
        if len(body) > MAX_INVITES:
            raise ValidationError(f"At most {MAX_INVITES} leaders at a time ({len(body)} rows)")
        urns = {normalise_urn(cells[0]) for _, cells in body if cells}
        by_urn: dict[str, Setting] = {}
        for setting in self.area.settings.filter(is_open=True).filter(
            models.Q(urn__in=urns) | models.Q(ofsted_urn__in=urns)
        ):
            for urn in (setting.urn, setting.ofsted_urn):
                if urn:
                    by_urn[urn] = setting
        problems: list[str] = []
        rows: list[tuple[int, Setting, str, str]] = []
        for number, cells in body:
            if len(cells) != 3:
                problems.append(f"Row {number}: {len(cells)} fields, not 3 (urn,email,name)")
                continue
            urn, email, name = (c.strip() for c in cells)
            setting = by_urn.get(normalise_urn(urn))
            if setting is None:
                problems.append(f"Row {number}: no open setting of {self.area} has URN {urn[:20]}")
                continue
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"Row {number}: {email[:60]} is not an email address")
                continue
            if len(email) > 254 or len(name) > 150:
                problems.append(f"Row {number}: the email or name is too long")
                continue
            rows.append((number, setting, email.lower(), name))
        if problems:
            raise ValidationError(problems)
        return rows


class PrivateDetailsForm(StyledForm):
    """A childminder's own setting's name and postcode, for her cluster only."""

    name = forms.CharField(label="Your setting's name", max_length=200)
    postcode = forms.CharField(
        max_length=10, help_text="Your fellow cluster members see it; nobody else does."
    )

    def clean_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data.get("postcode") or "")
