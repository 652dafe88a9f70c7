"""The demo network between meetings: in each active cluster, resolved and open help
requests, successes and shout-outs, research, ideas that travelled, a past and a coming
event, funding, and a new head with her buddy. Written straight to the database, so
loading the demo sends no email."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from nextpractice.clusters.models import Aim, Cluster, Membership
from nextpractice.directory.access import get_own_setting
from nextpractice.directory.models import Topic
from nextpractice.meetings import planner

from .models import (
    Applying,
    Buddy,
    Event,
    EventContact,
    EventKind,
    EventTask,
    Experience,
    Funding,
    HelpReply,
    HelpRequest,
    Idea,
    IdeaTrial,
    InductionStep,
    NewHead,
    Participation,
    ResearchPiece,
    Success,
    Takeaway,
    Tick,
    TrialResult,
    Urgency,
)


def build_cluster(cluster: Cluster, rng: random.Random) -> None:
    members = [
        m.user
        for m in Membership.objects.unscoped()
        .current()
        .members()
        .filter(cluster=cluster)
        .select_related("user__profile__setting")
    ]
    if len(members) < 3:
        return
    now = timezone.now()
    topics = {t.name: t for t in Topic.objects.all()}
    some_topic = next(iter(topics.values()), None)
    a, b, c = members[0], members[1], members[2]

    # The safety net: one resolved (in the library), one open.
    resolved = HelpRequest.objects.create(
        cluster=cluster,
        requester=b,
        title="Inspection call this morning",
        what_happened="The inspector phoned at 9:10; inspection tomorrow. What do I do first?",
        urgency=Urgency.URGENT,
        created_at=now - dt.timedelta(days=40),
        first_answer_at=now - dt.timedelta(days=40, minutes=-15),
        resolved_at=now - dt.timedelta(days=38),
        what_helped="A call from a colleague inspected in October: prepare the SEF summary, "
        "brief staff at 3:30, and sleep.",
    )
    HelpReply.objects.create(
        request=resolved,
        author=c,
        kind=HelpReply.CALLING,
        created_at=now - dt.timedelta(days=40, minutes=-15),
    )
    HelpReply.objects.create(
        request=resolved,
        author=a,
        text="Thinking of you. Ring me after.",
        created_at=now - dt.timedelta(days=40, minutes=-30),
    )
    opened = HelpRequest.objects.create(
        cluster=cluster,
        requester=c,
        title="Two staff off long-term: covering the baby room",
        what_happened="Has anyone used a shared bank of supply staff?",
        urgency=Urgency.WEEK,
        created_at=now - dt.timedelta(days=1),
    )
    if some_topic:
        resolved.topics.add(some_topic)
        opened.topics.add(some_topic)
        Experience.objects.get_or_create(
            user=c,
            topic=some_topic,
            defaults={
                "note": "Went through it last year",
                "when": timezone.localdate() - dt.timedelta(days=60),
            },
        )

    # Successes and shout-outs.
    Success.objects.create(
        cluster=cluster,
        author=a,
        about=b,
        text="You handled the inspection **brilliantly**.",
        created_at=now - dt.timedelta(days=30),
    )
    Success.objects.create(
        cluster=cluster,
        author=c,
        about=c,
        text="Our outdoor area is finally decluttered: the children use all of it.",
        created_at=now - dt.timedelta(days=8),
    )
    Success.objects.create(
        cluster=cluster,
        author=a,
        about=a,
        text="Twelve children who had never been in a team ran in the relay.",
        aim=Aim.objects.unscoped().filter(cluster=cluster).first(),
        created_at=now - dt.timedelta(days=5),
    )
    Success.objects.create(
        cluster=cluster,
        author=b,
        about=a,
        text="Your phonics display was brilliant.",
        created_at=now - dt.timedelta(days=3),
    )

    # Research and ideas.
    piece = ResearchPiece.objects.create(
        cluster=cluster,
        added_by=a,
        title="Early language: sustained shared thinking",
        source="EEF guidance report",
        link="https://educationendowmentfoundation.org.uk/",
        summary="Adults who comment more and question less get *more* talk from children.",
        questions="What would we change in our continuous provision?",
        created_at=now - dt.timedelta(days=20),
    )
    Takeaway.objects.create(piece=piece, author=b, text="Fewer questions at snack time.")
    idea = Idea.objects.create(
        cluster=cluster,
        author=b,
        title="Stay-and-play Friday mornings",
        what_we_did="Parents stay for the first hour on Fridays.",
        what_happened="More parents talk to us; attendance on Fridays rose.",
        created_at=now - dt.timedelta(days=60),
    )
    for person, result in [(a, TrialResult.WORKED), (c, TrialResult.TRYING)]:
        IdeaTrial.objects.create(
            idea=idea,
            user=person,
            setting=get_own_setting(person),
            result=result,
            note="Dads came too." if result == TrialResult.WORKED else "",
        )

    # A past and a coming event.
    host = get_own_setting(a)
    for offset, title, kind in [
        (-25, "Autumn celebration", EventKind.CELEBRATION),
        (45, "Cluster sports day", EventKind.SPORTS),
    ]:
        day = timezone.localdate() + dt.timedelta(days=offset)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        event = Event.objects.create(
            cluster=cluster,
            kind=kind,
            title=title,
            starts_at=planner.local_datetime(day, dt.time(9, 30)),
            ends_at=planner.local_datetime(day, dt.time(14, 30)),
            host_setting=host,
            venue="" if host else "Town park",
            for_children=True,
            aim="Children who do not usually get to represent their setting.",
            created_by=a,
        )
        EventContact.objects.create(
            event=event, name="Pat Lee", email="pat.pe@demo.nextpractice.test", role="PE lead"
        )
        EventTask.objects.create(
            event=event, text="Book the first-aid cover", owner=a, done=offset < 0
        )
        EventTask.objects.create(
            event=event, text="Medals and certificates", owner=b, done=offset < 0
        )
        for person in members[:3]:
            setting = get_own_setting(person)
            if setting is not None:
                Participation.objects.unscoped().get_or_create(
                    event=event,
                    setting=setting,
                    defaults={"children": rng.randint(8, 24), "adults": rng.randint(2, 5)},
                )

    # Funding.
    funding = Funding.objects.create(
        cluster=cluster,
        shared_by=c,
        funder="Northbridge Community Sports Trust",
        what="Outdoor play and sports equipment",
        amount="Up to £2,000",
        deadline=timezone.localdate() + dt.timedelta(days=25),
        eligibility="Schools and early-years settings in Northbridge",
    )
    Applying.objects.create(funding=funding, user=a)


def build_new_head(cluster: Cluster) -> None:
    """The demo's new head (the leader in her first year of headship: Priya) told her
    cluster so; the next member offered to be her buddy, and they have met."""
    members = list(
        Membership.objects.unscoped()
        .current()
        .members()
        .filter(cluster=cluster)
        .select_related("user__profile")
        .order_by("pk")
    )
    if len(members) < 2:
        return
    head = next(
        (m.user for m in members if m.user.profile.years_in_leadership == 0), members[0].user
    )
    buddy = next(m.user for m in members if m.user.pk != head.pk)
    now = timezone.now()
    new_head = NewHead.objects.create(cluster=cluster, user=head, since=now - dt.timedelta(days=60))
    Buddy.objects.create(new_head=new_head, buddy=buddy, started_at=now - dt.timedelta(days=55))
    Tick.objects.create(new_head=new_head, standard="buddy", ticked_by=head)
    InductionStep.objects.create(
        cluster=cluster, text="Visit the forest school at Brook Lane", added_by=buddy
    )


def build(clusters: Sequence[Cluster], seed: int) -> None:
    rng = random.Random(seed)
    for cluster in clusters:
        build_cluster(cluster, rng)
    if clusters:
        build_new_head(clusters[0])
