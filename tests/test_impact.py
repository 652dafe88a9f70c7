"""Check-ins, a person's own trend, a cluster's health, the coordinator's overview and the
area's figures: what each person sees, and what nobody outside sees."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from typing import Any
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import AuditEntry
from nextpractice.clusters.models import Cluster, Membership
from nextpractice.core.models import OutboundEmail
from nextpractice.directory.models import Setting, SettingKind
from nextpractice.impact import services
from nextpractice.impact.models import CheckIn, CheckInRound, Outcome, Questionnaire
from nextpractice.support import services as support_services

from .conftest import Cast, client_for, make_meeting, make_person

AUTUMN = "2026-autumn"
SPRING = "2026-spring"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def questionnaire(db: Any) -> None:
    """The check-in's items come from a data migration; a transactional test run before
    this one flushes them."""
    from nextpractice.impact.models import Item
    from nextpractice.impact.questionnaire import load

    if not Questionnaire.objects.exists():
        load(Questionnaire, Item)


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def answers(level: int, **overrides: int) -> dict[str, int]:
    base = {
        "ons_life_satisfaction": level,
        "ons_worthwhile": level,
        "ons_happiness": level,
        "ons_anxiety": 10 - level,
        "ucla_companionship": 2,
        "ucla_left_out": 2,
        "ucla_isolated": 2,
        "ons_lonely": 3,
        "leader_confidence": level,
        "role_isolation": 10 - level,
    }
    return base | overrides


def answered(user: User, area_id: int, term: str, scores: dict[str, int], **extra: Any) -> CheckIn:
    baseline = extra.pop("baseline", False)
    round_ = None
    if not baseline:
        round_, _ = CheckInRound.objects.get_or_create(
            area_id=area_id,
            term=term,
            defaults={"opens_on": dt.date(2027, 2, 1), "questionnaire": Questionnaire.current()},
        )
    return CheckIn.objects.create(
        user=user,
        area_id=area_id,
        round=round_,
        is_baseline=baseline,
        term=term,
        questionnaire=Questionnaire.current(),
        answered_at=timezone.now(),
        scores=scores,
        **extra,
    )


def more_members(cast: Cast, n: int, kind: str = SettingKind.PRIMARY) -> list[User]:
    people = []
    for i in range(n):
        setting = Setting.objects.create(
            name=f"Extra {kind} {i}", kind=kind, area=cast.area, idaci_decile=1 + i % 10
        )
        person = make_person(f"extra{kind}{i}@example.test", f"Extra {i}", setting)
        Membership.objects.create(
            cluster=cast.cluster,
            user=person,
            ground_rules_agreed_at=timezone.now(),
            ground_rules_agreed_version=1,
        )
        people.append(person)
    return people


# --- Sending -------------------------------------------------------------------------------


def test_it_sends_each_leader_one_baseline_at_joining(cast: Cast) -> None:
    now = at(dt.date(2026, 9, 3))
    assert services.send_check_ins(now) == 3  # Alice, Bob and Oscar
    assert services.send_check_ins(now) == 0  # once per person, however often it runs
    baselines = CheckIn.objects.filter(is_baseline=True)
    # Agreed members only: Nina has not agreed, Fay facilitates.
    assert set(baselines.values_list("user__email", flat=True)) == {
        cast.alice.email,
        cast.bob.email,
        cast.oscar.email,
    }
    assert not baselines.filter(user__in=[cast.newbie, cast.fay]).exists()
    mail = OutboundEmail.objects.filter(to=cast.alice.email).get()
    assert "first check-in" in mail.subject
    assert reverse("check_in") in mail.body


def test_the_termly_check_in_goes_from_the_areas_chosen_day_once(cast: Cast) -> None:
    for person in (cast.alice, cast.bob, cast.oscar):
        answered(person, cast.area.pk, AUTUMN, answers(4), baseline=True)
    services.set_term_date(cast.area, cast.cora, SPRING, dt.date(2027, 2, 10))
    assert services.send_check_ins(at(dt.date(2027, 2, 9))) == 0
    assert services.send_check_ins(at(dt.date(2027, 2, 10))) == 3
    assert services.send_check_ins(at(dt.date(2027, 2, 11))) == 0
    assert CheckIn.objects.filter(term=SPRING, user=cast.alice).count() == 1
    assert "This term's check-in" in OutboundEmail.objects.filter(to=cast.bob.email).get().subject


def test_without_a_date_it_goes_the_chosen_weeks_into_term(cast: Cast) -> None:
    answered(cast.alice, cast.area.pk, AUTUMN, answers(4), baseline=True)
    services.set_schedule(cast.area, cast.cora, 3)
    assert services.opens_on(cast.area, SPRING) == dt.date(2027, 1, 22)
    services.send_check_ins(at(dt.date(2027, 1, 21)))
    assert not CheckIn.objects.filter(user=cast.alice, term=SPRING).exists()
    services.send_check_ins(at(dt.date(2027, 1, 22)))
    assert CheckIn.objects.filter(user=cast.alice, term=SPRING).count() == 1


def test_a_date_outside_the_term_is_refused(cast: Cast) -> None:
    from nextpractice.impact.forms import term_choices
    from nextpractice.impact.models import CheckInDate, term_bounds

    term = term_choices(timezone.localdate())[1][0]
    outside = term_bounds(term)[1] + dt.timedelta(days=10)
    client = client_for(cast.cora)
    response = client.post(
        reverse("area_check_in_date", args=[cast.area.pk]),
        {"term": term, "date": outside.isoformat()},
    )
    assert response.status_code == 400
    assert b"Choose a date between" in response.content
    assert not CheckInDate.objects.exists()


def test_an_area_adds_its_own_item_as_data_and_only_its_leaders_are_asked_it(
    cast: Cast,
) -> None:
    from nextpractice.directory.models import Area
    from nextpractice.impact.models import Item

    # What an administrator does in the admin: a new version for one area, the national
    # items copied and one more, with no code change.
    national = Questionnaire.current()
    assert national is not None
    own = Questionnaire.objects.create(version=national.version + 1, area=cast.area)
    for item in national.items.all():
        item.pk, item.questionnaire = None, own
        item.save()
    Item.objects.create(
        questionnaire=own,
        key="area_sleep",
        measure="own",
        position=99,
        wording="How well rested have you felt this term?",
        short_label="Rested",
        kind="scale",
    )
    other = Area.objects.create(name="Elsewhere")
    assert Questionnaire.current(other.pk) == national  # other areas keep everyone's
    services.send_check_ins(at(dt.date(2026, 9, 3)))
    assert CheckIn.objects.get(user=cast.alice).questionnaire == own
    page = client_for(cast.alice).get(reverse("check_in")).content.decode()
    assert "How well rested have you felt this term?" in page


# --- Answering -----------------------------------------------------------------------------


def test_a_leader_answers_the_check_in_with_radio_groups(cast: Cast) -> None:
    services.send_check_ins(at(dt.date(2026, 9, 3)))
    client = client_for(cast.alice)
    page = client.get(reverse("check_in")).content.decode()
    assert page.count('<fieldset class="govuk-fieldset"') == 10
    assert "<legend" in page and "How often do you feel lonely?" in page
    assert "Often/always" in page and "Hardly ever or never" in page
    # Half an answer changes nothing and says what is missing.
    response = client.post(reverse("check_in"), {"ons_life_satisfaction": "7"})
    assert response.status_code == 400
    assert b"Choose an answer" in response.content
    assert CheckIn.objects.get(user=cast.alice).answered_at is None
    data = {k: str(v) for k, v in answers(7).items()}
    response = client.post(reverse("check_in"), data | {"cluster_helped": "Ofsted prep"})
    assert response.status_code == 302
    saved = CheckIn.objects.get(user=cast.alice)
    assert saved.scores == answers(7) and saved.helped == "Ofsted prep"
    assert not saved.share_helped
    assert AuditEntry.objects.filter(verb="checkin.answered", actor=cast.alice).count() == 1
    # Sent again (a double click): nothing more is written.
    assert client.post(reverse("check_in"), data).status_code == 200
    assert AuditEntry.objects.filter(verb="checkin.answered").count() == 1


@pytest.mark.parametrize("bad", ["11", "-1", "٣", "7.5", "", "x" * 5000])
def test_out_of_range_answers_are_refused(cast: Cast, bad: str) -> None:
    services.send_check_ins(at(dt.date(2026, 9, 3)))
    data = {k: str(v) for k, v in answers(7).items()} | {"leader_confidence": bad}
    response = client_for(cast.alice).post(reverse("check_in"), data)
    assert response.status_code == 400
    assert CheckIn.objects.get(user=cast.alice).answered_at is None


def test_the_trend_is_the_persons_own_and_the_chart_draws_it(cast: Cast) -> None:
    answered(cast.alice, cast.area.pk, AUTUMN, answers(4), baseline=True)
    answered(cast.alice, cast.area.pk, SPRING, answers(6, leader_confidence=8))
    answered(cast.bob, cast.area.pk, AUTUMN, answers(2), baseline=True)
    page = client_for(cast.alice).get(reverse("check_in_trend")).content.decode()
    svgs = [
        ElementTree.fromstring(chunk[: chunk.index("</svg>") + 6])  # noqa: S314 - our page
        for chunk in page.split("<svg")[1:]
        for chunk in ["<svg" + chunk]
    ]
    confidence = next(s for s in svgs if "Confidence" in s.find(f"{SVG}title").text)
    marks = confidence.findall(f".//{SVG}circle[@class='mark']")
    assert [float(m.get("data-value")) for m in marks] == [4.0, 8.0]
    assert [m.get("data-label") for m in marks] == ["When you joined", "Spring 2027"]
    # Bob sees his own, not Alice's.
    bob = client_for(cast.bob).get(reverse("check_in_trend")).content.decode()
    assert 'data-label="Spring 2027"' not in bob and 'data-value="2.0"' in bob


# --- A cluster's health --------------------------------------------------------------------


def test_the_cluster_sees_its_combined_check_in_only_from_five(cast: Cast) -> None:
    term = support_term()
    extra = more_members(cast, 2)
    for person in [cast.alice, cast.bob, *extra]:
        answered(person, cast.area.pk, term, answers(6))
    page = client_for(cast.alice).get(reverse("cluster_health", args=[cast.cluster.pk]))
    assert b"Shown once at least 5 members" in page.content
    (late,) = more_members(cast, 1, SettingKind.CHILDMINDER)
    answered(late, cast.area.pk, term, answers(9))
    page = client_for(cast.alice).get(reverse("cluster_health", args=[cast.cluster.pk]))
    assert b"Average of the 5 members who answered" in page.content
    expected = statistics.fmean([6, 6, 6, 6, 9])
    assert f"{expected:.1f}".encode() in page.content


def support_term() -> str:
    from nextpractice.support.models import term_key

    return term_key(timezone.localdate())


def test_health_counts_meetings_actions_help_and_feedback(cast: Cast) -> None:
    held = make_meeting(cast.cluster, -dt.timedelta(days=2))
    make_meeting(cast.cluster, dt.timedelta(days=30))
    request = support_services.ask_for_help(cast.cluster, cast.alice, "Staffing", "x", [], "week")
    support_services.answer_help(request, cast.bob, "Call me")
    page = client_for(cast.bob).get(reverse("cluster_health", args=[cast.cluster.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Meetings held" in body and "of 1 due so far" in body
    assert "median 0.0 hours (1 request)" in body
    assert "Feedback given and received" in body and "Alice Archer" in body
    assert held.pk


def test_a_member_marks_their_success_as_an_outcome(cast: Cast) -> None:
    mine = support_services.record_success(cast.cluster, cast.alice, cast.alice, "Ratios fixed")
    theirs = support_services.record_success(cast.cluster, cast.bob, cast.bob, "Bob's own")
    url = reverse("cluster_outcome", args=[cast.cluster.pk])
    response = client_for(cast.alice).post(url, {"success": theirs.pk, "kind": "action"})
    assert response.status_code == 400  # not hers to mark
    assert not Outcome.objects.unscoped().exists()
    response = client_for(cast.alice).post(url, {"success": mine.pk, "kind": "idea"})
    assert response.status_code == 302
    assert Outcome.objects.unscoped().get().kind == "idea"
    page = client_for(cast.bob).get(reverse("cluster_health", args=[cast.cluster.pk]))
    assert b"Ratios fixed" in page.content and b"An idea tried" in page.content
    # Outside the cluster: a count at most, never the story.
    for outsider in (cast.cora, cast.rita):
        for name, args in (("area_impact", [cast.area.pk]), ("research_impact", [])):
            body = client_for(outsider).get(reverse(name, args=args)).content
            assert b"Ratios fixed" not in body


def test_shared_words_reach_the_cluster_and_private_ones_do_not(cast: Cast) -> None:
    term = support_term()
    answered(cast.alice, cast.area.pk, term, answers(5), helped="Shared help", share_helped=True)
    answered(cast.bob, cast.area.pk, term, answers(5), helped="Private help")
    page = client_for(cast.fay).get(reverse("cluster_health", args=[cast.cluster.pk])).content
    assert b"Shared help" in page and b"Private help" not in page


# --- Outside the cluster -------------------------------------------------------------------


def test_the_coordinator_sees_dates_and_counts_never_content(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=9))
    support_services.ask_for_help(cast.cluster, cast.alice, "Secret worry", "x", [], "week")
    page = client_for(cast.cora).get(reverse("area_overview", args=[cast.area.pk])).content
    assert b"Riverside" in page and b"Hilltop" in page
    assert timezone.localtime(meeting.starts_at).strftime("%-d %b %Y").encode() in page
    assert b"Secret worry" not in page and b"Bob Baker" not in page


def pairs_world(cast: Cast) -> list[User]:
    """Eleven leaders with a baseline in the autumn and a spring check-in: eight in
    schools, three childminders (a group under five)."""
    people = [cast.alice, cast.bob, *more_members(cast, 6)]
    people += more_members(cast, 3, SettingKind.CHILDMINDER)
    for k, person in enumerate(people):
        answered(person, cast.area.pk, AUTUMN, answers(4 + k % 3), baseline=True)
        answered(person, cast.area.pk, SPRING, answers(5 + k % 3, leader_confidence=7 + k % 2))
    return people


def test_the_area_view_shows_change_with_intervals_and_hides_small_groups(cast: Cast) -> None:
    people = pairs_world(cast)
    page = client_for(cast.cora).get(reverse("area_impact", args=[cast.area.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    # Confidence: baselines 4,5,6,... and latest 7 or 8: the mean of those differences.
    diffs = [(7 + k % 2) - (4 + k % 3) for k in range(len(people))]
    assert f"{statistics.fmean(diffs):+.2f}" in body
    svg = ElementTree.fromstring(body[body.index("<svg") : body.index("</svg>") + 6])  # noqa: S314
    marks = {m.get("data-label"): float(m.get("data-value")) for m in svg.iter(f"{SVG}g")}
    assert marks["Confidence as a leader"] == pytest.approx(statistics.fmean(diffs), abs=0.005)
    # Three childminders: under five, so their group and one more are not shown.
    assert (
        'Childminders</th><td class="govuk-table__cell govuk-table__cell--numeric">not shown'
        in body
    )
    assert "Alice" not in body and "Bob Baker" not in body


def test_the_csv_holds_the_same_suppressed_tables_as_the_page(cast: Cast) -> None:
    pairs_world(cast)
    client = client_for(cast.rita)
    page = client.get(reverse("research_impact")).content.decode()
    response = client.get(reverse("research_impact_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    counts = [
        r
        for r in rows
        if r and r[0].startswith("Leaders with a check-in since joining, by setting")
    ]
    assert [
        "Leaders with a check-in since joining, by setting type",
        "Northbridge",
        "Childminders",
        "[c]",
    ] in counts
    # Three childminders beside eight in schools and a total of 11: the 8 would give the 3
    # away (11 - 8), so it is hidden too; the total stays.
    assert [
        "Leaders with a check-in since joining, by setting type",
        "Northbridge",
        "Schools and maintained nurseries",
        "[c]",
    ] in counts
    shown = {(r[1], r[2]): r[3] for r in counts if r[3] != "[c]"}
    assert shown[("Northbridge", "Total")] == "11"
    assert all(int(v) == 0 or int(v) >= 5 for v in shown.values())
    assert "not shown" in page
    changes = [r for r in rows if r and r[1] == "Childminders" and len(r) == 6]
    assert changes and all(r[3] == "[c]" for r in changes)


def test_the_greeting_uses_the_name_people_chose(cast: Cast) -> None:
    kerry = make_person("kerry@example.test", "Dr Kerry Lomax")
    kerry.is_researcher = True
    kerry.save()
    page = client_for(kerry).get(reverse("home")).content.decode()
    assert "Hello, Kerry" in page and "Hello, Dr<" not in page
    assert "Hello, Alice</h1>" in client_for(cast.alice).get(reverse("home")).content.decode()


def test_the_termly_summary_reaches_each_coordinator_once(cast: Cast) -> None:
    pairs_world(cast)
    assert services.send_area_summaries(at(dt.date(2027, 3, 1))) == 0  # not yet
    assert services.send_area_summaries(at(dt.date(2027, 3, 20))) == 1
    assert services.send_area_summaries(at(dt.date(2027, 3, 21))) == 0
    mail = OutboundEmail.objects.get(to=cast.cora.email)
    assert "Spring 2027" in mail.subject
    assert "Riverside" in mail.body and "Confidence as a leader" in mail.body
    assert "Alice" not in mail.body


def test_the_demo_has_three_terms_of_check_ins_and_something_to_answer(db: Any) -> None:
    from nextpractice.site import demo

    logins = demo.build()
    terms = set(CheckIn.objects.values_list("term", flat=True))
    assert len(terms) == 3
    leader = User.objects.get(email=logins.leader)
    assert CheckIn.objects.of(leader).open().count() == 1
    assert b"How are you?" in client_for(leader).get(reverse("check_in")).content
    page = client_for(User.objects.get(email=logins.researcher)).get(reverse("research_impact"))
    body = page.content.decode()
    # Every active member's change since joining, with a rise in confidence.
    assert "Change since joining" in body and 'data-label="Confidence as a leader"' in body
    svg = ElementTree.fromstring(body[body.index("<svg") : body.index("</svg>") + 6])  # noqa: S314
    marks = {m.get("data-label"): float(m.get("data-value")) for m in svg.iter(f"{SVG}g")}
    assert marks["Confidence as a leader"] > 0.5 and marks["Isolation in the role"] < -0.5
    assert Outcome.objects.unscoped().count() == 9
    # Journey 10: the year's attendance and help, across clusters of five or more.
    assert "Median hours to a first answer" in body
    assert 'Northbridge</th><td class="govuk-table__cell govuk-table__cell--numeric">9</td>' in body
    health = client_for(leader).get(
        reverse("cluster_health", args=[Cluster.objects.get(name="Riverside leaders").pk])
    )
    assert b"Average of the" in health.content


def test_the_worker_runs_the_check_ins_among_its_periodic_jobs(cast: Cast, settings: Any) -> None:
    from nextpractice.core.periodic import run_jobs

    assert "nextpractice.impact.services.send_check_ins" in settings.PERIODIC_JOBS
    assert "nextpractice.impact.services.send_area_summaries" in settings.PERIODIC_JOBS
    run_jobs()
    run_jobs()
    assert CheckIn.objects.filter(is_baseline=True).count() == 3


def test_the_coordinator_chooses_weeks_into_term(cast: Cast) -> None:
    client = client_for(cast.cora)
    url = reverse("area_check_ins", args=[cast.area.pk])
    assert client.post(url, {"weeks_into_term": "13"}).status_code == 400
    assert client.post(url, {"weeks_into_term": "4"}).status_code == 302
    assert services.opens_on(cast.area, SPRING) == dt.date(2027, 1, 29)
    assert AuditEntry.objects.filter(verb="checkin.schedule", actor=cast.cora).exists()
    page = client.get(url).content.decode()
    this_term = services.opens_on(cast.area, support_term())
    assert f"{this_term:%A} {this_term.day} {this_term:%B %Y}" in page


def test_the_csv_keeps_names_from_being_read_as_formulas(cast: Cast) -> None:
    pairs_world(cast)
    cast.area.name = "=HYPERLINK(1)"
    cast.area.save()
    rows = list(
        csv.reader(
            io.StringIO(client_for(cast.rita).get(reverse("research_impact_csv")).content.decode())
        )
    )
    names = {r[1] for r in rows if len(r) == 4 and r[0].startswith("Leaders")}
    assert names == {"'=HYPERLINK(1)"}
    anxiety = next(r for r in rows if len(r) == 6 and r[:2] == ["Anxiety yesterday", "All"])
    assert float(anxiety[3]) == -1.0
