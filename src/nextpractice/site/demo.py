"""The demo network: a fictional local authority, built the same way every time.

Every name, email address, phone number and URN here is invented. Email addresses use the
reserved ``.test`` domain and phone numbers Ofcom's range kept for drama (07700 900xxx).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection, transaction
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.clusters import demo as clusters_demo
from nextpractice.clusters.models import Cluster, ClusterStatus, Membership, Role
from nextpractice.core.words import possessive
from nextpractice.directory.models import (
    Area,
    Intake,
    LeaderProfile,
    PreferredTime,
    Setting,
    SettingKind,
    Topic,
    TopicChoice,
    Value,
    ValueRating,
)
from nextpractice.directory.taxonomy import load_taxonomy
from nextpractice.formation.models import FormationRound
from nextpractice.impact import demo as impact_demo
from nextpractice.meetings import demo as meetings_demo
from nextpractice.reviews import demo as reviews_demo
from nextpractice.support import demo as support_demo

AREA_NAME = "Northbridge"
DOMAIN = "demo.nextpractice.test"
DEMO_PASSWORD = "demo-only-password"  # noqa: S105 - printed for the demo; never for real use
# Base32 secret for the demo coordinator's authenticator app (demo only).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPDEMOONLY"  # noqa: S105
CENTRE = (53.745, -1.602)  # an invented town on the Pennine edge

POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters an inward code may use
PLACES = [
    "Millbrook",
    "Ashworth",
    "Kelder",
    "Hollins",
    "Brackenfield",
    "Stoneleigh",
    "Thornhill",
    "Wyke Lane",
    "Calder Vale",
    "Moorside",
    "Oakenshaw",
    "Lowfold",
    "Birchcliffe",
    "Greengate",
    "Fernbank",
    "Highroyd",
    "Netherby",
    "Springwell",
    "Daisy Hill",
    "Rookwood",
    "Westfield",
    "Holme Royd",
    "Clough Bank",
    "Elmtree",
    "Larkrise",
    "Brookside",
    "Harewood",
    "Sunny Bank",
    "Woodlea",
    "Beckside",
]
KIND_PLAN = [
    (SettingKind.PRIMARY, 16, "Primary School"),
    (SettingKind.INFANT, 6, "Infant School"),
    (SettingKind.NURSERY_SCHOOL, 5, "Nursery School"),
    (SettingKind.DAY_NURSERY, 12, "Day Nursery"),
    (SettingKind.PRE_SCHOOL, 8, "Pre-school"),
    (SettingKind.CHILDMINDER, 6, "Childminding"),
    (SettingKind.NURSERY_CLASS, 3, "Nursery Class"),
    (SettingKind.CHILDRENS_CENTRE, 2, "Children's Centre"),
    (SettingKind.OTHER, 2, "Family Hub"),
]
FIRST = [
    "Priya",
    "Ben",
    "Amira",
    "Meera",
    "Tom",
    "Grace",
    "Imran",
    "Sofia",
    "Daniel",
    "Hannah",
    "Yusuf",
    "Chloe",
    "Aaron",
    "Fatima",
    "Lucy",
    "Marek",
    "Nadia",
    "Owen",
    "Rachel",
    "Sana",
    "Liam",
    "Ayesha",
    "Joanne",
    "Kwame",
    "Emily",
    "Harpreet",
    "Zofia",
    "Gareth",
    "Leah",
    "Omar",
]
LAST = [
    "Shah",
    "Carter",
    "Hussain",
    "Patel",
    "Whitaker",
    "Nowak",
    "Begum",
    "Lister",
    "Okafor",
    "Brennan",
    "Ahmed",
    "Sutcliffe",
    "Kowalski",
    "Ibrahim",
    "Holroyd",
    "Mensah",
    "Akhtar",
    "Greenwood",
    "Dobson",
    "Rahman",
]
LANGUAGES = [
    "Urdu",
    "Punjabi",
    "Polish",
    "Romanian",
    "Arabic",
    "Bengali",
    "Slovak",
    "Kurdish",
    "Ukrainian",
    "Tigrinya",
    "Pashto",
    "Somali",
]
JOB_TITLES = {
    SettingKind.PRIMARY: "Headteacher",
    SettingKind.INFANT: "Headteacher",
    SettingKind.NURSERY_SCHOOL: "Headteacher",
    SettingKind.DAY_NURSERY: "Nursery manager",
    SettingKind.PRE_SCHOOL: "Pre-school leader",
    SettingKind.CHILDMINDER: "Childminder",
    SettingKind.NURSERY_CLASS: "EYFS lead",
    SettingKind.CHILDRENS_CENTRE: "Centre manager",
    SettingKind.OTHER: "Hub manager",
}


@dataclass
class DemoLogins:
    leader: str
    fellow: str
    facilitator: str
    coordinator: str
    researcher: str
    password: str = DEMO_PASSWORD
    totp_secret: str = DEMO_TOTP_SECRET


def _person(email: str, name: str) -> User:
    user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def fill_matching(
    profile: LeaderProfile,
    rng: random.Random,
    values: list[Value],
    topics: list[Topic],
    persona: int,
) -> None:
    """Invented value ratings (one of four broad outlooks, so like-minded groups exist,
    with some noise) and three strengths and three areas to develop."""
    ValueRating.objects.bulk_create(
        [
            ValueRating(
                profile=profile,
                value=v,
                importance=max(
                    1, min(5, (5 if (i + persona) % 4 == 0 else 3) + rng.choice([-1, 0, 0, 1]))
                ),
            )
            for i, v in enumerate(values)
        ]
    )
    picks = rng.sample(topics, 6)
    TopicChoice.objects.bulk_create(
        [TopicChoice(profile=profile, topic=t, kind=TopicChoice.STRENGTH) for t in picks[:3]]
        + [TopicChoice(profile=profile, topic=t, kind=TopicChoice.DEVELOP) for t in picks[3:]]
    )


def exists() -> bool:
    return Area.objects.filter(name=AREA_NAME).exists()


def foreign_data() -> list[str]:
    """What this database holds that the demo did not put there; empty when the demo may
    load or serve it.

    The demo creates accounts that share a published password and a coordinator whose
    second factor is printed in the README: loaded into a real database, they would be a
    way in. So it goes only into an empty database or one it built itself (its area and
    its coordinator's account are there, and no other area). What people add
    while trying the demo out (invitations, deputies) stays demo data. Only columns of the
    first migrations are read: this runs before the demo migrates.
    """
    tables = set(connection.introspection.table_names())
    if not tables:
        return []
    if not {User._meta.db_table, Area._meta.db_table} <= tables:
        return [f"{len(tables)} table(s) of something other than Next Practice"]
    people = User.objects.values("pk").count()
    areas = Area.objects.values("pk").count()
    if not people and not areas:
        return []
    demo_area = Area.objects.filter(name=AREA_NAME).values_list("pk", flat=True).first()
    coordinator = User.objects.filter(email=f"sam.coordinator@{DOMAIN}").exists()
    if demo_area is None or not coordinator:
        return [f"{people} account(s) and {areas} area(s), and no demo network"]
    # Every setting belongs to an area: no other area, no other setting.
    return [f"{areas - 1} area(s) besides {AREA_NAME}"] if areas > 1 else []


@transaction.atomic
def build(seed: int = 2026) -> DemoLogins:
    rng = random.Random(seed)
    # Northbridge is invented, so it has no local authority's code: the admin can save it as
    # it is, and a register import asks an administrator to set a real code first.
    area = Area.objects.create(name=AREA_NAME, la_code="")
    if not Value.objects.exists():
        load_taxonomy(Value, Topic)
    values = list(Value.objects.all())
    topics = list(Topic.objects.all())

    settings: list[Setting] = []
    place_iter = iter(rng.sample(PLACES * 3, len(PLACES) * 3))
    number = 0
    for kind, count, suffix in KIND_PLAN:
        for _ in range(count):
            number += 1
            place = next(place_iter)
            decile = 1 + (number * 7) % 10  # spread evenly across all ten deciles
            fsm = max(2.0, min(68.0, 62 - decile * 5.5 + rng.uniform(-6, 6)))
            eal = max(0.0, min(90.0, 70 - decile * 6 + rng.uniform(-10, 10)))
            name = (
                f"{possessive(rng.choice(FIRST))} {suffix} ({place})"
                if kind == SettingKind.CHILDMINDER
                else f"{place} {suffix}"
            )
            school = kind in {
                SettingKind.PRIMARY,
                SettingKind.INFANT,
                SettingKind.NURSERY_SCHOOL,
                SettingKind.NURSERY_CLASS,
            }
            settings.append(
                Setting(
                    name=name,
                    kind=kind,
                    area=area,
                    urn=f"{190000 + number * 37}" if school else f"EY{700000 + number * 113}",
                    address=f"{rng.randint(1, 140)} {place} Road, Northbridge",
                    postcode=f"NB{rng.randint(1, 9)} {rng.randint(1, 9)}"
                    + "".join(rng.choices(POSTCODE_LETTERS, k=2)),
                    latitude=CENTRE[0] + rng.uniform(-0.07, 0.07),
                    longitude=CENTRE[1] + rng.uniform(-0.11, 0.11),
                    website=f"https://{place.lower().replace(' ', '')}-{number}.example"
                    if school
                    else "",
                    size=rng.randint(180, 630)
                    if kind == SettingKind.PRIMARY
                    else rng.randint(8, 120),
                    percent_disadvantaged=Decimal(f"{fsm:.1f}"),
                    percent_eal=Decimal(f"{eal:.1f}"),
                    home_languages=", ".join(rng.sample(LANGUAGES, 3)) if eal > 15 else "English",
                    new_arrivals=(
                        Intake.MANY if decile <= 3 else Intake.SOME if decile <= 6 else Intake.NONE
                    ),
                    idaci_decile=decile,
                )
            )
    Setting.objects.bulk_create(settings)
    settings = list(Setting.objects.filter(area=area).order_by("pk"))

    # Postcodes "NB.." are invented for the invented town; validators accept the UK shape.
    leaders: list[User] = []
    used: set[str] = set()
    for index, setting in enumerate(settings):
        first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
        while f"{first}.{last}" in used:
            last = rng.choice(LAST)
        used.add(f"{first}.{last}")
        user = _person(f"{first}.{last}@{DOMAIN}".lower(), f"{first} {last}")
        profile = LeaderProfile.objects.create(
            user=user,
            job_title=JOB_TITLES[SettingKind(setting.kind)],
            setting=setting,
            years_in_leadership=0 if index == 0 else rng.choice([1, 2, 3, 5, 8, 12, 17, 22]),
            phone=f"07700 900{index:03d}",
            preferred_days=sorted(rng.sample(range(5), 3)),
            preferred_time=rng.choice([PreferredTime.AFTERNOON] * 3 + [PreferredTime.MORNING]),
            max_travel_km=rng.choice([5, 8, 10, 15]),
            completed_at=timezone.now(),
        )
        fill_matching(profile, rng, values, topics, persona=index % 4)
        leaders.append(user)

    facilitators = [
        _person(f"jo.facilitator@{DOMAIN}", "Jo Fairbairn"),
        _person(f"chris.adviser@{DOMAIN}", "Chris Adeyemi"),
    ]
    coordinator = _person(f"sam.coordinator@{DOMAIN}", "Sam Whitworth")
    area.coordinators.add(coordinator)
    TOTP.activate(coordinator, DEMO_TOTP_SECRET)
    researcher = _person(f"dr.k@{DOMAIN}", "Dr Kerry Lomax")
    researcher.is_researcher = True
    researcher.save(update_fields=["is_researcher"])

    names = [
        "Riverside",
        "Hilltop",
        "Canal Side",
        "Moorland",
        "Valley",
        "Brookfield",
        "Old Town",
        "Northern Edge",
        "Mill Quarter",
        "Greenway",
    ]
    cursor = 0
    for number, cname in enumerate(names):
        size = 3 if number == len(names) - 1 else (6 if number % 3 == 0 else 5)
        members = leaders[cursor : cursor + size]
        cursor += size
        forming = number == len(names) - 1
        cluster = Cluster.objects.create(
            name=f"{cname} leaders",
            area=area,
            created_by=members[0],
            status=ClusterStatus.FORMING if forming else ClusterStatus.ACTIVE,
        )
        Membership.objects.bulk_create(
            [Membership.agreed_in(cluster, u, Role.MEMBER) for u in members]
        )
        if number < 3:  # three clusters have an external facilitator
            Membership.agreed_in(cluster, facilitators[number % 2], Role.FACILITATOR).save()
    # Each active cluster's year: meetings held (notes, actions, registers) and to come.
    active = list(Cluster.objects.filter(area=area, status=ClusterStatus.ACTIVE).order_by("pk"))
    # Two shared aims each, for their children.
    clusters_demo.build(active)
    meetings_demo.build(active, seed)
    # And their reviews: open and closed, of each kind, with feedback.
    reviews_demo.build(active, seed)
    # And what happens between meetings.
    support_demo.build(active, seed)
    # Three terms of check-ins with a plausible change; the demo leader has one to answer.
    impact_demo.build(active, seed, open_for=leaders[0].email)
    # Leaders not yet in a cluster make the pool of a formation round, ready to run.
    FormationRound.objects.create(area=area, name="Northbridge spring 2027", created_by=coordinator)
    return DemoLogins(
        leader=leaders[0].email,
        fellow=leaders[1].email,
        facilitator=facilitators[0].email,
        coordinator=coordinator.email,
        researcher=researcher.email,
    )


def current_totp_code() -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time as counters

    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, next(counters())))


def logins() -> DemoLogins:
    leaders = list(
        LeaderProfile.objects.filter(setting__area__name=AREA_NAME)
        .order_by("setting_id")
        .values_list("user__email", flat=True)[:2]
    )
    return DemoLogins(
        leader=leaders[0],
        fellow=leaders[1],
        facilitator=f"jo.facilitator@{DOMAIN}",
        coordinator=f"sam.coordinator@{DOMAIN}",
        researcher=f"dr.k@{DOMAIN}",
    )
