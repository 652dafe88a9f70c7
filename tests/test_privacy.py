"""People's rights: a copy of everything held about a person, erasure, retention, and the
privacy notice."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import AuditEntry
from nextpractice.clusters.models import Membership
from nextpractice.core.mail import queue_message
from nextpractice.core.models import OutboundEmail
from nextpractice.directory.models import LeaderProfile
from nextpractice.meetings import services as meeting_services
from nextpractice.meetings.models import AgendaItem, Note
from nextpractice.privacy import export, retention, services
from nextpractice.privacy.registry import ERASURE, NOT_EXPORTED
from nextpractice.reviews import filetypes
from nextpractice.reviews import services as review_services
from nextpractice.reviews.models import DocumentVersion, ReviewRequest
from nextpractice.support import services as support_services
from nextpractice.support.models import Event, EventContact, HelpReply, HelpRequest, Success

from .conftest import TOTP_SECRET, Cast, client_for, make_meeting, make_person
from .test_access_matrix import world as world  # the fully populated cluster

ALICE_PHONE = "07700 900999"
# What Alice wrote, each only hers; the world fixture adds more (see ALICE_WORDS).
MARKERS = {
    "idea": "Zqaliceideaz garden swap",
    "reply": "Zqalicereplyz ring me after four",
    "success": "Zqalicesuccessz phonics results up",
    "item": "Zqaliceitemz lunchtime cover",
}
ALICE_WORDS = [
    "Staffing rota worries",  # agenda item
    "Quiet room works",  # note
    "Redraft the SEF",  # action
    "Inspection tomorrow",  # help request
    "Ofsted rings at noon",
    *MARKERS.values(),
]


def populate_alice(cast: Cast) -> None:
    """Alice, beyond the access matrix's world: a phone of her own, an idea, an answer to
    Bob's request, a shout-out from Bob, an item, an email to her."""
    LeaderProfile.objects.filter(user=cast.alice).update(phone=ALICE_PHONE)
    support_services.share_idea(
        cast.cluster,
        cast.alice,
        title=MARKERS["idea"],
        what_we_did="swapped",
        what_happened="it worked",
        evidence="",
    )
    bobs = support_services.ask_for_help(
        cast.cluster, cast.bob, "Staff sickness", "Two off today", [], "week"
    )
    support_services.answer_help(bobs, cast.alice, MARKERS["reply"])
    support_services.record_success(cast.cluster, cast.bob, cast.alice, MARKERS["success"])
    support_services.record_success(cast.cluster, cast.alice, cast.alice, "<script>x</script>")
    meeting = make_meeting(cast.cluster, timedelta(days=40))
    meeting_services.add_item(meeting, cast.alice, "concern", MARKERS["item"])
    # An event's organising contact: her address, typed by Bob.
    EventContact.objects.create(
        event=Event.objects.unscoped().get(title="Sports day in the park"),
        name="Alice Archer",
        email="Alice@Example.test",
    )
    queue_message(cast.alice.email, "Your actions", f"Hello {cast.alice.full_name}")
    queue_message(cast.bob.email, "News", f"{cast.alice.full_name} ({ALICE_PHONE}) shared")


def download(user: User) -> dict[str, Any]:
    response = client_for(user).post(reverse("privacy_my_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["data.json", "summary.html"]
    data: dict[str, Any] = json.loads(archive.read("data.json"))
    data["_html"] = archive.read("summary.html").decode()
    return data


def section(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return next(s["rows"] for s in data["sections"] if s["key"] == key)


# --- Every field that points at a person is decided ---------------------------------


def test_every_field_pointing_at_a_person_is_exported_or_excluded_with_a_reason() -> None:
    labels = {export.field_label(f) for f in export.user_fields()}
    unclassified = labels - set(ERASURE)
    assert not unclassified, f"decide what erasure does to: {sorted(unclassified)}"
    assert not set(ERASURE) - labels, "registry rows for fields that no longer exist"
    assert all(reason.strip() for _, reason in ERASURE.values())
    assert all(reason.strip() for reason in NOT_EXPORTED.values())
    assert set(NOT_EXPORTED) <= labels


def test_it_exports_each_field_not_excluded(cast: Cast) -> None:
    data = export.collect(cast.alice)
    keys = {s["key"] for s in data["sections"]}
    labels = {export.field_label(f) for f in export.user_fields()}
    assert labels - set(NOT_EXPORTED) <= keys
    assert not keys & set(NOT_EXPORTED)


# --- Subject access ------------------------------------------------------------------


def test_the_download_holds_everything_alice_wrote_and_was_given(
    cast: Cast, world: dict[str, Any]
) -> None:
    populate_alice(cast)
    held = {
        export.field_label(f): f.model._base_manager.filter(**{f.name: cast.alice}).count()
        for f in export.user_fields()
        if export.field_label(f) not in NOT_EXPORTED
    }
    data = download(cast.alice)
    text = json.dumps(data)
    for words in ALICE_WORDS:
        assert words in text, words
        assert words in data["_html"], words
    assert data["person"]["email"] == "alice@example.test"
    assert ALICE_PHONE in json.dumps(section(data, "directory.LeaderProfile.user"))
    assert [r["cluster__name"] for r in section(data, "clusters")] == ["Riverside"]
    assert section(data, "settings_led")[0]["name"] == "Setting 0"
    # Feedback Bob gave on her SEF, and his shout-out.
    received = section(data, "feedback_received")
    assert received[0]["strengths"] == "Clear" and received[0]["next_steps"] == "Show impact"
    assert MARKERS["success"] in json.dumps(section(data, "support.Success.about"))
    assert any(r["subject"] == "Your actions" for r in section(data, "emails"))
    assert section(data, "support.HelpRequest.requester")[0]["title"] == "Inspection tomorrow"
    # Audit entries of what she did.
    assert section(data, "audit.AuditEntry.actor")
    # No credentials: the password hash, the calendar address's token.
    feed_token = world["kwargs"]["feed_token"]
    assert feed_token not in text and cast.alice.password not in text
    # Nobody else's emails, and nothing of the other cluster.
    assert "News" not in [r["subject"] for r in section(data, "emails")]
    assert "Hilltop" not in text
    # Every row that points at her is in the file, field by field; the world fills many.
    assert {label: len(section(data, label)) for label in held} == held
    assert sum(count > 0 for count in held.values()) >= 20
    # What members wrote is escaped in the summary, never markup.
    assert "<script>" not in data["_html"] and "&lt;script&gt;" in data["_html"]
    # The download itself is recorded, without her name.
    entry = AuditEntry.objects.unscoped().get(verb="privacy.exported")
    assert entry.actor == cast.alice and "Alice" not in entry.summary


def test_the_download_page_explains_and_a_get_downloads_nothing(cast: Cast) -> None:
    response = client_for(cast.alice).get(reverse("privacy_my_data"))
    assert response.status_code == 200
    assert b"summary.html" in response.content
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEntry.objects.unscoped().filter(verb="privacy.exported").exists()


def test_the_export_runs_the_same_queries_however_much_is_held(
    cast: Cast, world: dict[str, Any]
) -> None:
    with CaptureQueriesContext(connection) as before:
        export.build_zip(cast.alice)
    populate_alice(cast)
    for n in range(5):
        support_services.record_success(cast.cluster, cast.bob, cast.alice, f"Well done {n}")
    with CaptureQueriesContext(connection) as after:
        export.build_zip(cast.alice)
    assert len(after) == len(before)
    assert len(after) < 100


# --- Erasure -------------------------------------------------------------------------


def text_columns() -> list[tuple[type[models.Model], str, str]]:
    from django.apps import apps

    return [
        # An address column holds one address: "malice@..." is not Alice's.
        (model, f.attname, "iexact" if isinstance(f, models.EmailField) else "icontains")
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
    ]


def found_anywhere(values: list[str]) -> list[str]:
    """Every (table.column, value) where a value is still stored, in any row of any table."""
    hits = []
    for model, column, lookup in text_columns():
        for value in values:
            if model._base_manager.filter(**{f"{column}__{lookup}": value}).exists():
                hits.append(f"{model._meta.db_table}.{column}: {value!r}")
    return hits


def identifiers_of(user: User) -> list[str]:
    return [user.email, user.full_name, ALICE_PHONE]


def erase_through_the_page(user: User, remove: bool, capture: Any) -> Any:
    client = client_for(user)
    page = client.get(reverse("privacy_delete"))
    assert page.status_code == 200
    assert b"a former member" in page.content
    data = {"confirm": "DELETE"} | ({"remove_contributions": "on"} if remove else {})
    with capture(execute=True):  # the files go once the erasure has committed
        response = client.post(reverse("privacy_delete"), data)
    assert response.status_code == 302 and response["Location"] == reverse("privacy_deleted")
    assert client.get(reverse("account")).status_code == 302  # signed out
    return client


def test_after_erasure_no_table_holds_her_name_email_or_phone(
    cast: Cast, world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    populate_alice(cast)
    Invitation.issue("alice@example.test", cluster=cast.other_cluster, invited_by=cast.oscar)
    identifiers = identifiers_of(cast.alice)
    assert found_anywhere(identifiers)  # the scan finds them while they are there
    notes_before = Note.objects.unscoped().count()

    # Someone whose address holds hers: "malice@..." must stay as it is.
    mal = make_person("malice@example.test", "Mal Ice")

    erase_through_the_page(cast.alice, False, django_capture_on_commit_callbacks)

    assert found_anywhere(identifiers) == []
    assert User.objects.get(pk=mal.pk).email == "malice@example.test"
    assert client_for(None).login(email="malice@example.test", password="correct horse battery")
    alice = User.objects.get(pk=cast.alice.pk)
    assert alice.full_name == "A former member" and not alice.is_active
    assert not alice.has_usable_password()
    # Her contributions stay for the cluster, as a former member's.
    assert Note.objects.unscoped().count() == notes_before
    item = AgendaItem.objects.unscoped().get(title="Staffing rota worries")
    assert str(item.raised_by) == "A former member"
    assert HelpRequest.objects.unscoped().filter(title="Inspection tomorrow").exists()
    # Gone: her profile, invitations and emails to her, her place in the cluster.
    assert not LeaderProfile.objects.filter(user=alice).exists()
    assert not Invitation.objects.unscoped().filter(email="alice@example.test").exists()
    assert not OutboundEmail.objects.filter(to="alice@example.test").exists()
    assert not Membership.objects.of(alice).current().exists()
    # Bob's cluster page names nobody who has gone.
    page = client_for(cast.bob).get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert page.status_code == 200 and b"Alice" not in page.content
    # The audit log says an account was erased, not whose.
    entry = AuditEntry.objects.unscoped().get(verb="account.erased")
    assert entry.actor is None and entry.object_id == str(alice.pk)
    # She cannot sign in again.
    assert not client_for(None).login(email="alice@example.test", password="correct horse battery")


def test_erasure_with_her_contributions_leaves_none_of_her_words(
    cast: Cast, world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    populate_alice(cast)
    review = ReviewRequest.objects.unscoped().get(title="Our SEF")
    stored = review.versions.get().file.name
    assert default_storage.exists(stored)

    erase_through_the_page(cast.alice, True, django_capture_on_commit_callbacks)

    assert found_anywhere(identifiers_of(cast.alice) + ALICE_WORDS) == []
    assert not ReviewRequest.objects.unscoped().filter(pk=review.pk).exists()
    assert not default_storage.exists(stored)
    # Bob's words on his own request stay; her answer to it does not.
    assert HelpRequest.objects.unscoped().filter(title="Staff sickness").exists()
    assert not HelpReply.objects.unscoped().filter(author=cast.alice).exists()
    assert Success.objects.unscoped().filter(about=cast.alice).count() == 0


def test_erasure_asks_for_the_word_and_changes_nothing_without_it(cast: Cast) -> None:
    client = client_for(cast.alice)
    for data in [{}, {"confirm": "yes"}, {"confirm": "delete\x00"}, {"confirm": "x" * 5000}]:
        response = client.post(reverse("privacy_delete"), data)
        assert response.status_code == 400
        assert b"There is a problem" in response.content
    alice = User.objects.get(pk=cast.alice.pk)
    assert alice.email == "alice@example.test" and alice.is_active
    assert client.get(reverse("account")).status_code == 200


def test_someone_else_with_the_same_name_keeps_it(cast: Cast) -> None:
    namesake = make_person("alice.archer@elsewhere.test", "Alice Archer")
    services.erase(cast.alice, remove_contributions=True)
    assert User.objects.get(pk=namesake.pk).full_name == "Alice Archer"
    assert User.objects.get(pk=cast.alice.pk).full_name == "A former member"


def test_the_only_administrator_cannot_delete_their_account(cast: Cast) -> None:
    admin = User.objects.create_superuser("root@example.test", "correct horse battery")
    TOTP.activate(admin, TOTP_SECRET)  # administrators sign in with two steps
    response = client_for(admin).post(reverse("privacy_delete"), {"confirm": "delete"})
    assert response.status_code == 400
    assert b"only administrator" in response.content
    assert User.objects.get(pk=admin.pk).is_active
    User.objects.create_superuser("second@example.test", "correct horse battery")
    services.erase(admin, remove_contributions=False)
    assert not User.objects.get(pk=admin.pk).is_active


def test_an_administrator_erases_an_account_from_the_people_list(cast: Cast) -> None:
    admin_user = User.objects.create_superuser("root@example.test", "correct horse battery")
    TOTP.activate(admin_user, TOTP_SECRET)
    response = client_for(admin_user).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "erase_accounts", "_selected_action": [cast.bob.pk]},
    )
    assert response.status_code == 302
    bob = User.objects.get(pk=cast.bob.pk)
    assert bob.full_name == "A former member" and not bob.is_active
    entry = AuditEntry.objects.unscoped().get(verb="account.erased")
    assert entry.actor == admin_user and "Bob" not in entry.summary


def test_an_erased_account_cannot_be_erased_twice(cast: Cast) -> None:
    services.erase(cast.alice, remove_contributions=False)
    with pytest.raises(services.ErasureError):
        services.erase(User.objects.get(pk=cast.alice.pk), remove_contributions=False)


# --- Retention -----------------------------------------------------------------------


@pytest.fixture
def old_world(cast: Cast, settings: Any) -> dict[str, Any]:
    settings.RETENTION_DAYS = {
        "meeting_notes": 100,
        "help_requests": 100,
        "audit_entries": 100,
        "email_bodies": 100,
        "review_documents": 100,
    }
    now = timezone.now()
    long_ago = now - timedelta(days=150)
    old = make_meeting(cast.cluster, long_ago, status="scheduled")
    recent = make_meeting(cast.cluster, now - timedelta(days=10), status="scheduled")
    meeting_services.add_note(old, cast.alice, "Old note")
    meeting_services.add_note(recent, cast.alice, "Recent note")
    help_request = support_services.ask_for_help(
        cast.cluster, cast.alice, "Old worry", "Long ago", [], "week"
    )
    HelpRequest.objects.unscoped().filter(pk=help_request.pk).update(resolved_at=long_ago)
    sent = queue_message("x@example.test", "Old", "Old body", "<p>Old body</p>")
    OutboundEmail.objects.filter(pk=sent.pk).update(sent_at=long_ago)
    waiting = queue_message("y@example.test", "Waiting", "Waiting body")
    OutboundEmail.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    review = review_services.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="Old SEF",
        feedback_by=date(2030, 1, 1),
        focus=[("Clear?", None)],
        document_kind="sef",
        upload=review_services.CheckedFile(b"%PDF-1.4 old", "old.pdf", filetypes.PDF),
    )
    ReviewRequest.objects.unscoped().filter(pk=review.pk).update(closed_at=long_ago)
    AuditEntry.objects.unscoped().update(created_at=long_ago)
    return {"now": now, "file": review.versions.get().file.name, "review": review}


EXPECTED = {
    "meeting_notes": 1,
    "help_requests": 1,
    "email_bodies": 1,
    "review_documents": 1,
}


def test_retention_dry_run_counts_what_would_go_and_changes_nothing(
    old_world: dict[str, Any],
) -> None:
    audit_count = AuditEntry.objects.unscoped().count()
    counts = retention.apply(old_world["now"], dry_run=True)
    assert counts == EXPECTED | {"audit_entries": audit_count}
    assert Note.objects.unscoped().count() == 2
    assert AuditEntry.objects.unscoped().count() == audit_count
    assert default_storage.exists(old_world["file"])


def test_retention_removes_what_is_past_its_period_once(
    old_world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    now = old_world["now"]
    with django_capture_on_commit_callbacks(execute=True):
        counts = retention.apply(now)
    assert counts["meeting_notes"] == 1 and counts["help_requests"] == 1
    assert [n.text for n in Note.objects.unscoped()] == ["Recent note"]
    assert not HelpRequest.objects.unscoped().filter(title="Old worry").exists()
    old = OutboundEmail.objects.get(subject="Old")
    assert old.body == "" and old.html == ""
    assert OutboundEmail.objects.get(subject="Waiting").body == "Waiting body"  # not sent
    assert not DocumentVersion.objects.unscoped().filter(request=old_world["review"]).exists()
    assert not default_storage.exists(old_world["file"])
    # Only the record of this run is left in the audit log.
    assert list(AuditEntry.objects.unscoped().values_list("verb", flat=True)) == [
        "retention.applied"
    ]
    # Idempotent: a second run (the next tick) finds nothing more.
    assert sum(retention.apply(now).values()) == 0
    # A day later than the recent meeting's period, its note goes too.
    assert retention.apply(now + timedelta(days=91))["meeting_notes"] == 1


def test_a_period_of_zero_keeps_that_kind_for_ever(
    old_world: dict[str, Any], settings: Any
) -> None:
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "meeting_notes": 0}
    assert retention.apply(old_world["now"])["meeting_notes"] == 0
    assert Note.objects.unscoped().count() == 2


def test_retention_keeps_a_document_shared_into_the_library(
    cast: Cast, old_world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    version = old_world["review"].versions.get()
    review_services.share_exemplar(cast.cluster, cast.alice, "Kept", "sef", "", version=version)
    with django_capture_on_commit_callbacks(execute=True):
        retention.apply(old_world["now"])
    assert default_storage.exists(old_world["file"])


def test_the_retention_command_prints_counts_per_kind(old_world: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "meeting_notes: 1 would go" in text
    assert "kept 100 days" in text
    assert Note.objects.unscoped().count() == 2
    out = io.StringIO()
    call_command("retention", stdout=out)
    assert "meeting_notes: 1 removed" in out.getvalue()


def test_retention_is_a_periodic_job_that_runs_once_a_day(
    cast: Cast, old_world: dict[str, Any], settings: Any
) -> None:
    assert "nextpractice.privacy.retention.apply_periodic" in settings.PERIODIC_JOBS
    now = old_world["now"]
    assert retention.apply_periodic(now) > 0
    assert Note.objects.unscoped().count() == 1
    older = make_meeting(cast.cluster, now - timedelta(days=200))
    meeting_services.add_note(older, cast.alice, "Also old")
    # Later the same day, nothing runs (however many workers tick); the next day it does.
    assert retention.apply_periodic(now + timedelta(hours=23)) == 0
    assert Note.objects.unscoped().filter(text="Also old").exists()
    assert retention.apply_periodic(now + timedelta(hours=24)) == 1
    assert AuditEntry.objects.unscoped().filter(verb="retention.applied").count() == 2


@pytest.mark.parametrize(
    ("value", "message"), [("-1", "at least 0"), ("ten", "whole number"), ("1.5", "whole number")]
)
def test_a_malformed_retention_period_stops_start_up(
    value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nextpractice.conf import env

    monkeypatch.setenv("RETENTION_AUDIT_DAYS", value)
    with pytest.raises(env.EnvError, match=message):
        env.integer("RETENTION_AUDIT_DAYS", 730, minimum=0)


# --- The notice ----------------------------------------------------------------------


def test_the_privacy_notice_is_public_and_linked_from_every_page(cast: Cast) -> None:
    page = client_for(None).get(reverse("privacy_notice"))
    assert page.status_code == 200
    assert b"Who sees what" in page.content and b"How long" in page.content
    assert reverse("privacy_notice").encode() in client_for(None).get(reverse("home")).content
    account = client_for(cast.alice).get(reverse("account")).content
    assert reverse("privacy_my_data").encode() in account
    assert reverse("privacy_delete").encode() in account


def test_a_childminders_private_setting_details_go_with_her(cast: Cast) -> None:
    from nextpractice.directory.models import PrivateSettingDetails

    setting = cast.alice.profile.setting
    PrivateSettingDetails.objects.create(setting=setting, name="Little Acorns", postcode="BD7 1AA")
    bob_setting = cast.bob.profile.setting
    PrivateSettingDetails.objects.create(setting=bob_setting, name="Busy Bees", postcode="BD8 2BB")
    services.erase(cast.alice, remove_contributions=False)
    assert not PrivateSettingDetails.objects.filter(setting=setting).exists()
    # Nobody else's private details are touched.
    assert PrivateSettingDetails.objects.get(setting=bob_setting).name == "Busy Bees"
