"""The learning walk (journey 6): visitors' answers saved however often the phone sends
them, the report's most common next steps, and the host's "what I will change, by when"."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from nextpractice.audit.models import AuditEntry
from nextpractice.clusters.models import Membership, Role
from nextpractice.meetings.models import Action
from nextpractice.reviews import services
from nextpractice.reviews.models import Feedback, FocusAnswer, ReviewRequest, StepAction

from .conftest import Cast, client_for, make_meeting, make_person

NEXT_STEPS = {
    # visitor: (entrance next steps, outdoor next steps)
    "bob": ("Declutter the entrance. Label the trays.", "More shade by the sandpit"),
    "meera": ("The entrance needs decluttering", "Add shade near the sandpit"),
    "jo": ("Entrance is too cluttered - declutter it!", "Den-building kit"),
}


@pytest.fixture
def walk(cast: Cast) -> ReviewRequest:
    """Alice's walk of her setting, asked of the whole cluster."""
    return services.create_request(
        cast.cluster,
        cast.alice,
        kind="walk",
        title="Walk our setting",
        feedback_by=timezone.localdate() + dt.timedelta(days=7),
        focus=[("The entrance and environment", None), ("The outdoor area", None)],
        walk_starts_at=timezone.now() + dt.timedelta(days=2),
    )


def visitors(cast: Cast) -> dict[str, Any]:
    """Bob, and two more members of the cluster, Meera and Jo."""
    people = {"bob": cast.bob}
    for name in ("meera", "jo"):
        person = make_person(f"{name}@example.test", f"{name.title()} Visitor")
        Membership.objects.create(
            cluster=cast.cluster,
            user=person,
            role=Role.MEMBER,
            ground_rules_agreed_at=timezone.now(),
            ground_rules_agreed_version=1,
        )
        people[name] = person
    return people


def fields(walk: ReviewRequest, entrance: str, outdoor: str) -> dict[str, str]:
    first, second = walk.focus_areas.all()
    return {
        f"strengths-{first.pk}": "Calm and welcoming",
        f"next-{first.pk}": entrance,
        f"strengths-{second.pk}": "A lovely garden",
        f"next-{second.pk}": outdoor,
    }


def walked(cast: Cast, walk: ReviewRequest) -> dict[str, Any]:
    people = visitors(cast)
    for name, (entrance, outdoor) in NEXT_STEPS.items():
        response = client_for(people[name]).post(
            reverse("review_feedback", args=[walk.pk]),
            fields(walk, entrance, outdoor) | {"do": "send"},
        )
        assert response.status_code == 302
    return people


def take_on_form(page: bytes, label: str) -> dict[str, Any]:
    """The fields of the report's "make this my action" form for ``label``."""
    for form in re.findall(
        rb'<form method="post" action="/reviews/\d+/steps/action/".*?</form>', page, re.S
    ):
        text = html.unescape(form.decode())
        if f'name="title" maxlength="300" value="{label}"' in text:
            return {
                "once_key": re.search(r'name="once_key" value="([^"]+)"', text)[1],  # type: ignore[index]
                "step": re.findall(r'name="step" value="([^"]+)"', text),
                "title": label,
                "due": re.search(r'name="due"[^>]*value="([^"]*)"', text)[1],  # type: ignore[index]
            }
    raise AssertionError(f"no form for {label}")


def test_it_saves_a_visitors_answers_as_often_as_the_phone_sends_them(
    cast: Cast, walk: ReviewRequest
) -> None:
    """The page sends everything typed on every screen whenever it can, and again after a
    lost reply: the server keeps one answer per visitor per area, the newest."""
    bob = client_for(cast.bob)
    url = reverse("review_feedback", args=[walk.pk]) + "?step=1"
    data = fields(walk, "Declutter the entrance", "More shade") | {"do": "draft"}
    for _ in range(3):  # the same save, sent again and again
        response = bob.post(url, data, HTTP_X_AUTOSAVE="1")
        assert response.status_code == 204
    response = bob.post(url, data | {next(iter(data)): "Calm, and bright"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 204
    feedback = Feedback.objects.get()
    assert feedback.submitted_at is None  # a draft: nothing sent, nobody told
    assert FocusAnswer.objects.filter(feedback=feedback).count() == 2
    assert sorted(feedback.answers.values_list("strengths", flat=True)) == [
        "A lovely garden",
        "Calm, and bright",
    ]
    assert not AuditEntry.objects.filter(verb="review.feedback_sent").exists()
    # Bad input is refused with the reason and changes nothing.
    first = walk.focus_areas.first()
    assert first is not None
    response = bob.post(url, {f"next-{first.pk}": "x" * 5000, "do": "draft"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 400
    assert feedback.answers.get(focus=first).next_steps == "Declutter the entrance"


def test_the_report_shows_the_most_common_next_steps_with_how_many_said_them(
    cast: Cast, walk: ReviewRequest
) -> None:
    walked(cast, walk)
    page = client_for(cast.alice).get(reverse("review_report", args=[walk.pk]))
    text = html.unescape(re.sub(r"<[^>]+>", "", page.content.decode()))
    text = " ".join(text.split())
    assert "Most common next steps" in text
    assert "Declutter the entrance: 3 visitors" in text
    assert "More shade by the sandpit: 2 visitors" in text
    # Then the rest, each said once.
    rest = text.split("Other next steps", 1)[1]
    assert "Label the trays: 1 visitor " in rest and "Den-building kit: 1 visitor" in rest
    # Visitors read the same report, without the forms that turn steps into actions.
    bob_page = client_for(cast.bob).get(reverse("review_report", args=[walk.pk]))
    assert b"Declutter the entrance" in bob_page.content
    assert b"Make this my action" not in bob_page.content
    # The PDF says it too.
    from io import BytesIO

    from pypdf import PdfReader

    pdf = client_for(cast.alice).get(reverse("review_report_pdf", args=[walk.pk]))
    words = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "Declutter the entrance: 3 visitors" in " ".join(words.split())


def test_the_host_makes_a_common_next_step_her_action_by_a_date_once(
    cast: Cast, walk: ReviewRequest
) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=20))
    walked(cast, walk)
    alice = client_for(cast.alice)
    report = alice.get(reverse("review_report", args=[walk.pk])).content
    form = take_on_form(report, "Declutter the entrance")
    assert form["due"] == meeting.local_start.date().isoformat()  # by the next meeting unless
    assert len(form["step"]) == 3  # one step of each visitor's answer
    friday = timezone.localdate() + dt.timedelta(days=5)
    form |= {"title": "Order a skip and clear the entrance", "due": friday.isoformat()}
    url = reverse("review_take_on", args=[walk.pk])
    first = alice.post(url, form)
    again = alice.post(url, form)  # a double click, or the browser resending
    assert first.status_code == again.status_code == 302
    action = Action.objects.get()
    assert (action.title, action.owner, action.due) == (
        "Order a skip and clear the entrance",
        cast.alice,
        friday,
    )
    assert StepAction.objects.filter(action=action).count() == 3
    assert AuditEntry.objects.filter(verb="action.set").count() == 1
    # The same step from a fresh form is refused: it is already hers.
    fresh = form | {"once_key": "k" * 32}  # the form drawn again (another tab)
    response = alice.post(url, fresh, follow=True)
    assert b"already one of your actions" in response.content
    assert Action.objects.count() == 1
    # It is on her actions and on the next meeting's agenda, as actions are.
    assert b"Order a skip and clear the entrance" in alice.get(reverse("my_actions")).content
    agenda = alice.get(reverse("meeting_detail", args=[meeting.pk])).content
    assert b"Order a skip and clear the entrance" in agenda
    # The report says so instead of offering the form again.
    report = alice.get(reverse("review_report", args=[walk.pk])).content.decode()
    assert 'Make this my action<span class="govuk-visually-hidden">: Declutter' not in report
    assert "More shade by the sandpit" in report


def test_only_the_host_records_actions_and_outsiders_see_nothing(
    cast: Cast, walk: ReviewRequest
) -> None:
    walked(cast, walk)
    report = client_for(cast.alice).get(reverse("review_report", args=[walk.pk])).content
    form = take_on_form(report, "Declutter the entrance")
    url = reverse("review_take_on", args=[walk.pk])
    assert client_for(cast.bob).post(url, form).status_code == 403  # a visitor
    assert client_for(cast.oscar).post(url, form).status_code == 404  # another cluster
    assert client_for(cast.fay).post(url, form).status_code == 404  # not invited
    assert client_for(cast.cora).post(url, form).status_code == 404  # the coordinator
    assert client_for(cast.oscar).get(reverse("review_report", args=[walk.pk])).status_code == 404
    assert Action.objects.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"title": ""},
        {"title": "x" * 301},
        {"due": "2001-01-01"},
        {"due": "not a date"},
        {"due": "9999-12-31"},
        {"step": ["1:declutter entranc"]},  # an answer of another request (or none)
        {"step": ["nonsense"]},
        {"step": []},
        {"once_key": "!" * 10},
    ],
)
def test_bad_input_is_refused_with_a_reason_and_changes_nothing(
    cast: Cast, walk: ReviewRequest, change: dict[str, Any]
) -> None:
    walked(cast, walk)
    alice = client_for(cast.alice)
    form = take_on_form(
        alice.get(reverse("review_report", args=[walk.pk])).content, "Declutter the entrance"
    )
    if change.get("step") == ["1:declutter entranc"]:
        other = FocusAnswer.objects.exclude(feedback__request=walk).first()
        change = {"step": [f"{other.pk if other else 999999}:declutter entranc"]}
    response = alice.post(reverse("review_take_on", args=[walk.pk]), form | change, follow=True)
    assert response.status_code == 200
    assert b">Important</h2>" in response.content  # the reason, in the page's message
    assert Action.objects.count() == 0 and StepAction.objects.count() == 0


def test_the_report_runs_the_same_queries_however_many_visitors(
    cast: Cast, walk: ReviewRequest, django_assert_max_num_queries: Any
) -> None:
    walked(cast, walk)
    alice = client_for(cast.alice)
    url = reverse("review_report", args=[walk.pk])
    alice.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as three:
        alice.get(url)
    for i in range(4):
        person = make_person(f"v{i}@example.test", f"Visitor {i}")
        Membership.objects.create(
            cluster=cast.cluster,
            user=person,
            role=Role.MEMBER,
            ground_rules_agreed_at=timezone.now(),
            ground_rules_agreed_version=1,
        )
        services.save_feedback(
            walk,
            person,
            {f.pk: ("Kind staff", f"Declutter the entrance {i}") for f in walk.focus_areas.all()},
            submit=True,
        )
    with django_assert_max_num_queries(len(three)):
        page = alice.get(url)
    assert b"Declutter the entrance: 7 visitors" in b" ".join(
        re.sub(rb"<[^>]+>", b"", page.content).split()
    )


def test_a_next_step_already_made_an_action_from_the_requests_page_is_not_offered_again(
    cast: Cast, walk: ReviewRequest
) -> None:
    walked(cast, walk)
    alice = client_for(cast.alice)
    report = alice.get(reverse("review_report", args=[walk.pk])).content
    form = take_on_form(report, "Den-building kit")
    jo_answer = FocusAnswer.objects.unscoped().get(next_steps="Den-building kit")
    alice.post(reverse("review_to_action", args=[walk.pk, jo_answer.pk]))
    assert Action.objects.count() == 1
    response = alice.post(reverse("review_take_on", args=[walk.pk]), form, follow=True)
    assert b"already one of your actions" in response.content
    assert Action.objects.count() == 1
    report = alice.get(reverse("review_report", args=[walk.pk])).content.decode()
    assert 'value="Den-building kit"' not in report


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_same_step_taken_on_twice_at_once_makes_one_action(
    cast: Cast, walk: ReviewRequest
) -> None:
    from nextpractice.reviews import steps

    from .test_concurrency import at_once, needs_postgresql

    needs_postgresql()
    walked(cast, walk)
    pairs = steps.parse_tokens(
        take_on_form(
            client_for(cast.alice).get(reverse("review_report", args=[walk.pk])).content,
            "Declutter the entrance",
        )["step"]
    )

    def take(key: str) -> Any:
        return lambda: steps.take_on(walk, cast.alice, pairs, "Order a skip", once_key=key)

    # Two tabs (two keys): one action, the other told it is already hers.
    errors = at_once([take("a" * 32), take("b" * 32)])
    assert [str(e) for e in errors] == ["This next step is already one of your actions."]
    assert Action.objects.unscoped().count() == 1
    # One form sent twice at once (one key): still one.
    pairs = steps.parse_tokens(
        take_on_form(
            client_for(cast.alice).get(reverse("review_report", args=[walk.pk])).content,
            "More shade by the sandpit",
        )["step"]
    )
    assert at_once([take("c" * 32), take("c" * 32)]) == []
    assert Action.objects.unscoped().count() == 2
