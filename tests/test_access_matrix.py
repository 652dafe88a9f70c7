"""Every URL pattern of the project, walked with every role.

A new URL pattern without a row here fails the suite: decide who may see it first.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import AuditEntry
from nextpractice.clusters import aims, services
from nextpractice.clusters.models import Membership
from nextpractice.directory import services as directory_services
from nextpractice.directory.models import SettingsImport
from nextpractice.formation.models import FormationRound
from nextpractice.meetings import services as meeting_services
from nextpractice.meetings.models import CalendarFeed, SchoolHoliday
from nextpractice.reviews import filetypes
from nextpractice.reviews import services as review_services
from nextpractice.support import services as support_services
from nextpractice.support.models import Event, Funding, Idea, NewHead, ResearchPiece

from .conftest import Cast, client_for, make_meeting, make_person

ROLES = [
    "anonymous",
    "member",
    "fellow",
    "facilitator",
    "outsider",
    "coordinator",
    "researcher",
    "deputy",  # Dee stands in for Bob at one meeting
    "newbie",  # Nina: a member of the cluster who has not agreed the ground rules
    "former",  # Fred: was a member (and was told of the help request), then left
    "other_coordinator",  # Cole coordinates another area
    "claimer",  # Cal, a leader of the area, claims Alice's setting: nobody established it
]
# Roles that must see nothing inside the cluster, on any page, whatever its status.
OUTSIDE = [
    "anonymous",
    "outsider",
    "coordinator",
    "researcher",
    "newbie",
    "former",
    "other_coordinator",
    "claimer",
]
LOGIN = "login"  # redirected to sign in
ANY_REDIRECT = "redirect"
# 403 or 404: for Nina, who is a member but has not agreed, whether the answer is "not for
# you yet" (403) or "no such thing" (404) is the scoping's choice; that it refuses is not.
REFUSED = "refused"

# name: (method, {role: expected}); roles not listed expect `default`.
IN_CLUSTER = {
    "anonymous": LOGIN,
    "member": 200,
    "fellow": 200,
    "facilitator": 200,
    "outsider": 404,
    "coordinator": 404,
    "researcher": 404,
    "deputy": 404,
    # Until she agrees, Nina sees the cluster's page (to agree or leave), nothing inside.
    "newbie": REFUSED,
    "former": 404,
    "other_coordinator": 404,
    "claimer": 404,
}
IN_CLUSTER_POST = {
    **IN_CLUSTER,
    "member": ANY_REDIRECT,
    "fellow": ANY_REDIRECT,
    "facilitator": ANY_REDIRECT,
}
SIGNED_IN = dict.fromkeys(ROLES, 200) | {"anonymous": LOGIN}
# Leaders of the area with an established setting (Nina and Fred lead settings too).
LEADERS = {
    "anonymous": LOGIN,
    "member": 200,
    "fellow": 200,
    "outsider": 200,
    "newbie": 200,
    "former": 200,
}
COORDINATOR_ONLY = dict.fromkeys(ROLES, 404) | {"anonymous": LOGIN, "coordinator": 200}
COORDINATOR_POST = COORDINATOR_ONLY | {"coordinator": ANY_REDIRECT}
IN_MEETING = IN_CLUSTER | {"deputy": 200}
MEETING_PEOPLE = ["member", "fellow", "facilitator", "deputy"]
CHAIR_ONLY_POST = IN_CLUSTER_POST | {"fellow": 403, "facilitator": 403, "deputy": 403}
IN_REVIEW = IN_CLUSTER | {"facilitator": 404}
IN_REVIEW_POST = IN_CLUSTER_POST | {"facilitator": 404}

MATRIX: dict[str, tuple[str, dict[str, Any]]] = {
    "home": ("get", dict.fromkeys(ROLES, 200)),
    "healthz": ("get", dict.fromkeys(ROLES, 200)),
    # Readiness (ops): for load balancers and monitoring, which do not sign in; counts only.
    "readyz": ("get", dict.fromkeys(ROLES, 200)),
    "research": ("get", dict.fromkeys(ROLES, 403) | {"anonymous": LOGIN, "researcher": 200}),
    "join": ("get", dict.fromkeys(ROLES, 200)),
    "account": ("get", SIGNED_IN),
    "profile_edit": ("get", SIGNED_IN),
    # Leaders whose link to their setting is established edit it; Cal, who only claims
    # Alice's, is sent to his profile like everyone without a setting.
    "setting_edit": ("get", dict.fromkeys(ROLES, ANY_REDIRECT) | LEADERS),
    # Anyone signed in may ask to be confirmed as a setting's leader; the coordinator decides.
    "setting_claim": ("get", SIGNED_IN),
    "area_claim_decide": ("post", COORDINATOR_POST),
    "area_directory": ("get", COORDINATOR_ONLY),
    "area_import": ("get", COORDINATOR_ONLY),
    "area_import_job": ("get", COORDINATOR_ONLY),
    "area_invite": ("get", COORDINATOR_ONLY),
    "formation_rounds": ("get", COORDINATOR_ONLY),
    # Leaders with a completed profile and setting see the page; others are sent to it.
    "find_cluster": ("get", dict.fromkeys(ROLES, ANY_REDIRECT) | LEADERS),
    # Oscar (the outsider) has asked to join; the cluster's people answer.
    "cluster_join_decide": ("post", IN_CLUSTER_POST),
    "formation_round": ("get", COORDINATOR_ONLY),
    "formation_progress": ("get", COORDINATOR_ONLY),
    "formation_run": ("post", COORDINATOR_POST),
    "formation_move": ("post", COORDINATOR_POST),
    "formation_lock": ("post", COORDINATOR_POST),
    "formation_publish": ("post", COORDINATOR_POST),
    "formation_wish": ("post", COORDINATOR_POST),
    "formation_invite": ("post", COORDINATOR_POST),
    # Leaders of the round's area answer whether to be matched; nobody else sees it.
    "formation_opt_in": ("get", dict.fromkeys(ROLES, 404) | LEADERS),
    "formation_wish_delete": ("post", COORDINATOR_POST),
    # A round the coordinator can trust (issue 13): the publish summary, and members
    # renaming their cluster.
    "formation_publish_confirm": ("get", COORDINATOR_ONLY),
    "cluster_rename": ("get", IN_CLUSTER),
    "cluster_new": ("get", SIGNED_IN),
    "cluster_detail": ("get", IN_CLUSTER | {"newbie": 200}),
    "cluster_agree": ("post", IN_CLUSTER_POST | {"newbie": ANY_REDIRECT}),
    "cluster_ground_rules": ("get", IN_CLUSTER),
    "cluster_invite": ("get", IN_CLUSTER),
    "cluster_leave": ("get", IN_CLUSTER | {"newbie": 200}),
    "cluster_activity": ("get", IN_CLUSTER),
    # Shared aims and "Our year" (issue 16): the cluster's own, members and facilitator.
    "cluster_aims": ("get", IN_CLUSTER),
    "cluster_aim_new": ("get", IN_CLUSTER),
    "cluster_aim_edit": ("get", IN_CLUSTER),
    "cluster_our_year": ("get", IN_CLUSTER),
    # The subject is Bob ("fellow"): he cannot propose his own removal.
    "cluster_propose_removal": ("get", IN_CLUSTER | {"fellow": 403}),
    # The proposal is to remove Nina; voting is for the other members.
    "cluster_removal_vote": ("post", IN_CLUSTER_POST),
    # --- Meetings. The meeting is Dee's (Bob's deputy); Alice chairs and takes notes.
    "meetings_year": ("get", IN_CLUSTER),
    "meetings_plan": ("get", IN_CLUSTER),
    "meetings_plan_confirm": ("post", IN_CLUSTER_POST),
    "meeting_new": ("get", IN_CLUSTER),
    "meeting_detail": ("get", IN_MEETING),
    "meeting_ics": ("get", IN_MEETING),
    "meeting_edit": ("get", IN_MEETING | {"deputy": 403}),
    "meeting_cancel": ("get", IN_MEETING | {"deputy": 403}),
    # An empty answer is refused inline (400); facilitators and deputies do not answer.
    "meeting_respond": (
        "post",
        IN_MEETING | {"member": 400, "fellow": 400, "facilitator": 403, "deputy": 403},
    ),
    "meeting_item_add": ("post", IN_MEETING | dict.fromkeys(MEETING_PEOPLE, 400)),
    "meeting_note_add": ("post", IN_MEETING | dict.fromkeys(MEETING_PEOPLE, 400)),
    # Keeping the note being typed: whoever may add to the notes (an empty one forgets it).
    "meeting_note_draft": ("post", IN_MEETING | dict.fromkeys(MEETING_PEOPLE, ANY_REDIRECT)),
    "meeting_action_add": (
        "post",
        IN_MEETING | dict.fromkeys(MEETING_PEOPLE, 400) | {"deputy": 403},
    ),
    # The chair (Alice) arranges the agenda; the note-taker (Alice) publishes.
    "meeting_item_move": ("post", CHAIR_ONLY_POST),
    "meeting_item_merge": ("post", CHAIR_ONLY_POST),
    "meeting_item_time": ("post", CHAIR_ONLY_POST),
    # Off the record: the chair or whoever raised the item (Alice is both).
    "meeting_item_record": ("post", CHAIR_ONLY_POST),
    "meeting_publish": ("post", CHAIR_ONLY_POST),
    "meeting_register": ("post", IN_CLUSTER_POST | {"deputy": 403}),
    "meeting_roles": ("post", IN_CLUSTER_POST | {"deputy": 403}),
    "my_actions": ("get", SIGNED_IN),
    "action_update": ("post", IN_CLUSTER_POST),
    # The token in the address is the only key (calendar apps cannot sign in).
    "calendar_feed": ("get", dict.fromkeys(ROLES, 200)),
    "calendar_token": ("post", dict.fromkeys(ROLES, ANY_REDIRECT) | {"anonymous": LOGIN}),
    "area_term_dates": ("get", COORDINATOR_ONLY),
    "area_term_dates_delete": ("post", COORDINATOR_POST),
    # --- Reviews. Alice asked the whole cluster (not the facilitator) about her SEF; Bob
    # has sent feedback. (Chosen audiences: tests/test_reviews.py walks every review URL.)
    "review_list": ("get", IN_CLUSTER),
    "review_new": ("get", IN_CLUSTER),
    # The example library is the members': the facilitator sees documents only where a
    # member invites them to a review.
    "exemplars": ("get", IN_CLUSTER | {"facilitator": 403}),
    "exemplar_download": ("get", IN_REVIEW),
    "review_detail": ("get", IN_REVIEW),
    "review_download": ("get", IN_REVIEW),
    "review_report": ("get", IN_REVIEW),
    "review_report_pdf": ("get", IN_REVIEW),
    "review_feedback": ("get", IN_REVIEW | {"member": 403}),
    "review_reply": ("post", IN_REVIEW_POST),
    "review_version_add": ("post", IN_REVIEW_POST | {"fellow": 403}),
    "review_close": ("post", IN_REVIEW_POST | {"fellow": 403}),
    "review_helpful": ("post", IN_REVIEW_POST | {"fellow": 403}),
    "review_to_action": ("post", IN_REVIEW_POST | {"fellow": 403}),
    "review_take_on": ("post", IN_REVIEW_POST | {"fellow": 403}),
    # --- Between meetings. Alice asked for help (not the facilitator); Bob shared the rest.
    "help_list": ("get", IN_CLUSTER),
    "help_new": ("get", IN_CLUSTER),
    "help_detail": ("get", IN_REVIEW),
    "help_reply": ("post", IN_REVIEW_POST),
    "help_resolve": ("post", IN_REVIEW_POST | {"fellow": 403}),
    "experiences": ("get", SIGNED_IN),
    "successes": ("get", IN_CLUSTER),
    "achievements": ("get", SIGNED_IN),
    "research_list": ("get", IN_CLUSTER),
    "research_detail": ("get", IN_CLUSTER),
    "research_to_agenda": ("post", IN_CLUSTER_POST),
    "idea_list": ("get", IN_CLUSTER),
    "idea_detail": ("get", IN_CLUSTER),
    "event_list": ("get", IN_CLUSTER),
    "event_detail": ("get", IN_CLUSTER),
    "event_numbers": ("post", IN_CLUSTER_POST),
    "event_task": ("post", IN_CLUSTER_POST),
    # Events that change (issue 16): whoever may arrange one may change or cancel it.
    "event_edit": ("get", IN_CLUSTER),
    "event_cancel": ("get", IN_CLUSTER),
    "funding_list": ("get", IN_CLUSTER),
    "funding_applying": ("post", IN_CLUSTER_POST),
    "cluster_search": ("get", IN_CLUSTER),
    # New heads (issue 16): Alice is new to headship, with no buddy yet. Everyone in the
    # cluster sees who is new; her checklist is hers (and her buddy's); a buddy is a fellow
    # member who offers (Bob may; Alice, herself, and Fay, the facilitator, may not). Empty
    # answers are refused inline (400).
    "new_heads": ("get", IN_CLUSTER),
    "new_head_me": ("post", IN_CLUSTER_POST | {"member": 400, "fellow": 400, "facilitator": 403}),
    "new_head_step_add": (
        "post",
        IN_CLUSTER_POST | dict.fromkeys(["member", "fellow", "facilitator"], 400),
    ),
    "new_head_step_remove": ("post", IN_CLUSTER_POST),
    "new_head_detail": ("get", IN_CLUSTER | {"fellow": 403, "facilitator": 403}),
    "new_head_buddy": ("post", IN_CLUSTER_POST | {"member": 403, "facilitator": 403}),
    # With no buddy, ending is a calm "already ended" for anyone in the cluster.
    "new_head_buddy_end": ("post", IN_CLUSTER_POST),
    "new_head_tick": ("post", IN_CLUSTER_POST | {"member": 400, "fellow": 403, "facilitator": 403}),
    "notifications": ("get", SIGNED_IN),
    "cpd": ("get", SIGNED_IN),
    "notification_prefs": ("get", SIGNED_IN),
    # Registers (issue 12): bulk invitations, the area's coordinator only. Walked without
    # ticked settings, the coordinator is told to choose some (400).
    "area_invite_settings": ("get", COORDINATOR_ONLY | {"coordinator": 400}),
    "area_invite_upload": ("get", COORDINATOR_ONLY),
    # --- Term dates (issue 12): confirming a preview; without one the page says why (400).
    "area_term_dates_confirm": ("post", COORDINATOR_ONLY | {"coordinator": 400}),
    # --- Impact (issue 14). A check-in and its trend are each person's own (everyone signed
    # in gets their own page, or "no check-in to answer"); a cluster's health is its
    # members'; an area's overview and figures its coordinators'; the programme's figures
    # the researchers'. An empty outcome form is refused inline (400); the facilitator
    # records no successes, so marks none.
    "check_in": ("get", SIGNED_IN),
    "check_in_trend": ("get", SIGNED_IN),
    "cluster_health": ("get", IN_CLUSTER),
    "cluster_outcome": (
        "post",
        IN_CLUSTER_POST | {"member": 400, "fellow": 400, "facilitator": 403},
    ),
    "area_overview": ("get", COORDINATOR_ONLY),
    "area_check_ins": ("get", COORDINATOR_ONLY),
    "area_check_in_date": ("post", COORDINATOR_ONLY | {"coordinator": 400}),
    "area_impact": ("get", COORDINATOR_ONLY),
    "area_impact_csv": ("get", COORDINATOR_ONLY),
    "research_impact": ("get", dict.fromkeys(ROLES, 403) | {"anonymous": LOGIN, "researcher": 200}),
    "research_impact_csv": (
        "get",
        dict.fromkeys(ROLES, 403) | {"anonymous": LOGIN, "researcher": 200},
    ),
    # --- People's rights (privacy): the notice is public; a person downloads and deletes
    # only their own account (a GET of either page changes nothing).
    "privacy_notice": ("get", dict.fromkeys(ROLES, 200)),
    "privacy_my_data": ("get", SIGNED_IN),
    "privacy_delete": ("get", SIGNED_IN),
    "privacy_deleted": ("get", dict.fromkeys(ROLES, 200)),
}
THIRD_PARTY = ("accounts/", "admin/")


def all_patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str]]:
    resolver = resolver or get_resolver()
    found: list[tuple[str, str]] = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += all_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern.name or ""))
    return found


def test_every_url_pattern_has_a_row() -> None:
    ours = [(route, name) for route, name in all_patterns() if not route.startswith(THIRD_PARTY)]
    missing = [f"{route} ({name or 'unnamed'})" for route, name in ours if name not in MATRIX]
    assert not missing, f"URL patterns without an access-matrix row: {missing}"
    stale = set(MATRIX) - {name for _, name in ours}
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


def make_claimer(cast: Cast) -> User:
    """Cal, a leader of the cast's area who says he leads Alice's setting (Setting 0).

    Nobody has established that link: his claim waits for the coordinator, so he has a
    profile and no setting.
    """
    from nextpractice.directory.models import LeaderProfile, SettingClaim

    cal = make_person("cal@example.test", "Cal Claimer")
    LeaderProfile.objects.create(user=cal, job_title="Headteacher", completed_at=timezone.now())
    SettingClaim.objects.create(user=cal, setting=cast.alice.profile.setting)
    return cal


def make_other_coordinator() -> User:
    """Cole coordinates Eastfield, another area, with his second factor set up."""
    from allauth.mfa.totp.internal.auth import TOTP

    from nextpractice.directory.models import Area

    cole = make_person("cole@example.test", "Cole Coordinator")
    Area.objects.create(name="Eastfield").coordinators.add(cole)
    TOTP.activate(cole, "JBSWY3DPEHPK3PXPCOLEONLY")
    return cole


# What only the people inside may read: everything the world puts in the cluster.
CLUSTER_CONTENT = [
    "Inspection tomorrow",  # the help request (Alice asked the members, not Fay)
    "Ofsted rings at noon",  # ... its text
    "Our SEF",  # the review (Alice asked the members, not Fay)
    "Staffing rota worries",  # an agenda item
    "Quiet room works",  # a note of the meeting
    "Redraft the SEF",  # an action
    "Share the parents survey",  # an action for the whole cluster
    "EEF talk study",  # research shared in the cluster
    "Stay and play",  # an idea
    "Sports day in the park",  # an event
    "Rowntree kit fund",  # a funding opportunity
    "Bob Baker",  # a member's name
    "Every child has a turn",  # a shared aim
    "Visit the forest school",  # a first step of the cluster's own, for new heads
]
# Fay facilitates, but was not asked for help nor for feedback.
NOT_FOR_THE_FACILITATOR = ["Inspection tomorrow", "Ofsted rings at noon", "Our SEF"]
# Dee sees the one meeting she stands in at: its agenda, notes and actions, nothing else.
NOT_FOR_THE_DEPUTY = [
    "Inspection tomorrow",
    "Ofsted rings at noon",
    "Our SEF",
    "EEF talk study",
    "Stay and play",
    "Sports day in the park",
    "Rowntree kit fund",
    "Every child has a turn",
]
PRIVATE: dict[str, list[str]] = {
    **dict.fromkeys(OUTSIDE, CLUSTER_CONTENT),
    # Cora's directory of her area lists its leaders by name; nothing of what they share.
    "coordinator": [text for text in CLUSTER_CONTENT if text != "Bob Baker"],
    "facilitator": NOT_FOR_THE_FACILITATOR,
    "deputy": NOT_FOR_THE_DEPUTY,
}


@pytest.fixture
def world(cast: Cast, settings: Any, tmp_path: Any) -> dict[str, Any]:
    # Fred was a member when Alice asked for help (and was told of it); he has left since.
    fred = make_person("fred@example.test", "Fred Former", cast.area.settings.get(urn="100004"))
    fred_membership = Membership.objects.create(
        cluster=cast.cluster,
        user=fred,
        ground_rules_agreed_at=timezone.now(),
        ground_rules_agreed_version=1,
    )
    _, token = Invitation.issue("priya@example.test", cluster=cast.cluster, invited_by=cast.alice)
    proposal = services.propose_removal(cast.cluster, cast.alice, cast.newbie, "Never came.")
    round_ = FormationRound.objects.create(
        area=cast.area, name="Autumn", created_by=cast.cora, opt_in_by=date(2026, 12, 1)
    )
    join = services.ask_to_join(cast.cluster, cast.oscar, "May I?")
    claim = directory_services.claim_setting(cast.oscar, cast.area.settings.get(name="Setting 4"))
    meeting = make_meeting(cast.cluster, timedelta(days=20))
    meeting.chair = meeting.note_taker = cast.alice
    meeting.save()
    meeting_services.respond(meeting, cast.bob, "deputy", "Dee Deputy", "dee@school.test")
    dee = User.objects.get(email="dee@school.test")
    item = meeting_services.add_item(meeting, cast.alice, "concern", "Staffing rota worries")
    action = meeting_services.add_action(meeting, cast.alice, "Redraft the SEF", cast.alice)
    meeting_services.add_note(meeting, cast.alice, "Quiet room works", item=item)
    meeting_services.add_action(meeting, cast.alice, "Share the parents survey", None)
    holiday = SchoolHoliday.objects.create(
        area=cast.area, name="Half-term", start=date(2026, 10, 26), end=date(2026, 10, 30)
    )
    feed = CalendarFeed.objects.create(user=cast.alice)
    settings_import = SettingsImport.objects.create(area=cast.area, file_name="gias.csv", data=b"")
    settings.MEDIA_ROOT = tmp_path
    review = review_services.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="Our SEF",
        feedback_by=date(2030, 1, 1),
        focus=[("Is my leadership evidence convincing?", None)],
        document_kind="sef",
        upload=review_services.CheckedFile(b"%PDF-1.4 test", "sef.pdf", filetypes.PDF),
    )
    focus = review.focus_areas.get()
    feedback = review_services.save_feedback(
        review, cast.bob, {focus.pk: ("Clear", "Show impact")}, submit=True
    )
    exemplar = review_services.share_exemplar(
        cast.cluster, cast.alice, "My SEF", "sef", "Impact", version=review.versions.get()
    )
    help_request = support_services.ask_for_help(
        cast.cluster, cast.alice, "Inspection tomorrow", "Ofsted rings at noon", [], "urgent"
    )
    services.leave(fred_membership)
    piece = ResearchPiece.objects.create(
        cluster=cast.cluster, added_by=cast.bob, title="EEF talk study", summary="Talk more"
    )
    idea = Idea.objects.create(
        cluster=cast.cluster,
        author=cast.bob,
        title="Stay and play",
        what_we_did="x",
        what_happened="y",
    )
    event = Event.objects.create(
        cluster=cast.cluster,
        kind="sports",
        title="Sports day in the park",
        venue="Park",
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
    )
    funding = Funding.objects.create(
        cluster=cast.cluster, funder="Rowntree kit fund", what="Kit", deadline=date(2030, 1, 1)
    )
    aim = aims.propose_aim(
        cast.cluster,
        cast.alice,
        title="Every child has a turn to compete",
        why="Children who are rarely picked",
        how_we_know="Counts of first-timers",
        review_on=None,
    )
    new_head = support_services.say_new(cast.cluster, cast.alice, new=True) and (
        NewHead.objects.unscoped().get(cluster=cast.cluster, user=cast.alice)
    )
    own_step = support_services.add_step(cast.cluster, cast.bob, "Visit the forest school")
    people = {
        "anonymous": None,
        "member": cast.alice,
        "fellow": cast.bob,
        "facilitator": cast.fay,
        "outsider": cast.oscar,
        "coordinator": cast.cora,
        "researcher": cast.rita,
        "deputy": dee,
        "newbie": cast.newbie,
        "former": fred,
        "other_coordinator": make_other_coordinator(),
        "claimer": make_claimer(cast),
    }
    kwargs = {
        "cluster_id": cast.cluster.pk,
        "user_id": cast.bob.pk,
        "proposal_id": proposal.pk,
        "area_id": cast.area.pk,
        "round_id": round_.pk,
        "group": 0,
        "wish_id": 1,
        "request_id": join.pk,
        "claim_id": claim.pk,
        "import_id": settings_import.pk,
        "token": token,
        "meeting_id": meeting.pk,
        "plan_id": meeting.plan_id,
        "item_id": item.pk,
        "action_id": action.pk,
        "holiday_id": holiday.pk,
        "feed_token": feed.token,
        "review_id": review.pk,
        "version_id": review.versions.get().pk,
        "answer_id": feedback.answers.get().pk,
        "exemplar_id": exemplar.pk,
        "kind": "document",
        "help_id": help_request.pk,
        "piece_id": piece.pk,
        "idea_id": idea.pk,
        "event_id": event.pk,
        "funding_id": funding.pk,
        "aim_id": aim.pk,
        "new_head_id": new_head.pk,
        "step_id": own_step.pk,
    }
    return {"people": people, "kwargs": kwargs}


def url_for(name: str, kwargs: dict[str, Any]) -> str:
    for route, pattern_name in all_patterns():
        if pattern_name == name:
            needed = {k: v for k, v in kwargs.items() if "<" in route and f":{k}>" in route}
            return reverse(name, kwargs=needed)
    raise AssertionError(name)


# Query strings some rows are walked with: a search for a word only in the help request's
# text (which Fay, not asked, must not find).
QUERY = {"cluster_search": {"q": "noon"}}
# Whoever holds the calendar address reads Alice's feed: the token is the key, by design.
BODY_EXEMPT = {"calendar_feed"}


def matrix_params() -> list[Any]:
    return [
        pytest.param(name, role, id=f"{name}-{role}") for name in sorted(MATRIX) for role in ROLES
    ]


@pytest.mark.parametrize(("name", "role"), matrix_params())
def test_access(world: dict[str, Any], name: str, role: str) -> None:
    method, expectations = MATRIX[name]
    expected = expectations[role]
    client = client_for(world["people"][role])
    url = url_for(name, world["kwargs"])
    response = getattr(client, method)(url, QUERY.get(name, {}))
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif expected == ANY_REDIRECT:
        assert response.status_code == 302, f"{method.upper()} {url} as {role}"
        assert not response["Location"].startswith("/accounts/login/")
    elif expected == REFUSED:
        assert response.status_code in {403, 404}, f"{method.upper()} {url} as {role}"
    else:
        assert response.status_code == expected, f"{method.upper()} {url} as {role}"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.status_code in {403, 404}:
        # Refusals never leak what is inside: no cluster name, no member's name.
        assert b"Riverside" not in body and b"Bob Baker" not in body
    if name in BODY_EXEMPT:
        return
    # Nor does any other answer, a 200 page included (home, notifications, search, my
    # actions...), to someone who may not read what it would show.
    leaked = [text for text in PRIVATE.get(role, []) if text.encode() in body]
    assert not leaked, f"{method.upper()} {url} as {role} shows {leaked}"


@pytest.mark.parametrize("role", ROLES)
def test_allauth_pages_never_fail_nor_leak(world: dict[str, Any], role: str) -> None:
    client = client_for(world["people"][role])
    for route, name in all_patterns():
        if not route.startswith("accounts/") or "<" in route or not name:
            continue
        response = client.get(reverse(name))
        assert response.status_code < 500, route
        assert b"Riverside" not in response.content, route


CLUSTER_ADMIN = [
    "admin:clusters_cluster_changelist",
    "admin:clusters_removalproposal_changelist",
    "admin:audit_auditentry_changelist",
    "admin:core_outboundemail_changelist",
    "admin:accounts_invitation_changelist",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", CLUSTER_ADMIN)
def test_admin_shows_cluster_content_only_to_superusers(
    world: dict[str, Any], role: str, name: str
) -> None:
    user = world["people"][role]
    if user is not None:
        user.is_staff = True  # even staff who are not superusers are kept out
        user.save()
    response = client_for(user).get(reverse(name))
    assert response.status_code in {302, 403}
    assert b"Riverside" not in response.content


def test_every_admin_view_of_cluster_content_is_logged(cast: Cast) -> None:
    from nextpractice.accounts.models import User

    admin = User.objects.create_superuser("root@example.test", "pw-root-1234")
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(admin, "JBSWY3DPEHPK3PXPADMINONLY")
    client = Client()
    client.force_login(admin)
    assert client.get(reverse("admin:clusters_cluster_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:clusters_cluster_change", args=[cast.cluster.pk])).status_code
        == 200
    )
    logged = AuditEntry.objects.filter(verb="admin.viewed", actor=admin)
    assert logged.count() == 2
    assert logged.filter(object_id=str(cast.cluster.pk)).exists()
