"""Register files for a made-up local authority, in the published layouts (no real data).

Built from the header rows of the two registers (tests/data/*-header.csv, copied from
../shared/formats): GIAS's establishment export (139 columns, quoted only where a field has a
comma) and Ofsted's childcare providers list (48 columns, every field quoted; childminders'
and home childcarers' names and addresses published as REDACTED). Every name, street and
postcode is invented; postcodes follow the UK format in a made-up district of the
authority's postcode area.

``area_files(providers=1000)`` gives both files for one authority and the counts an import
of both must give (``Expected``): schools only in GIAS, providers only in Ofsted, and
settings in both (a school's nursery, a nursery school), plus rows an import must leave out
(closed, no longer active, another authority's).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
GIAS_COLUMNS = next(csv.reader([(DATA / "gias-establishments-header.csv").read_text().strip()]))
OFSTED_COLUMNS = next(
    csv.reader([(DATA / "ofsted-childcare-providers-header.csv").read_text().strip()])
)
STREETS = ["Mill", "Park", "Church", "Station", "Victoria", "Moor", "Hill", "Beck", "Green", "Oak"]
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class Expected:
    """What importing both files into the authority's area must give."""

    settings: int  # open settings in the area after both imports
    gias_only: int
    ofsted_only: int
    both: int  # one setting each, with both URNs
    childminders: int  # redacted: childminders and home childcarers
    nurseries: int  # day nurseries and pre-schools
    gias_imported: int  # GIAS open rows of the authority
    gias_skipped: int  # not open
    ofsted_imported: int  # active providers of the authority
    ofsted_skipped: int  # not active
    ofsted_outside: int  # another authority's rows


def postcode(i: int, district: str = "BD7") -> str:
    """A distinct, well-formed, invented postcode per i (up to 8,000)."""
    sector, unit = divmod(i, len(LETTERS) ** 2)
    return f"{district} {sector % 10}{LETTERS[unit // len(LETTERS)]}{LETTERS[unit % len(LETTERS)]}"


def gias_file(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(GIAS_COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in GIAS_COLUMNS])
    return out.getvalue().encode()


def ofsted_file(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(OFSTED_COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in OFSTED_COLUMNS])
    return out.getvalue().encode()


def school_row(
    urn: int, name: str, pc: str, la: tuple[str, str] = ("380", "Bradford"), **extra: str
) -> dict[str, str]:
    row = {
        "URN": str(urn),
        "LA (code)": la[0],
        "LA (name)": la[1],
        "EstablishmentName": name,
        "TypeOfEstablishment (name)": "Community school",
        "EstablishmentStatus (name)": "Open",
        "PhaseOfEducation (name)": "Primary",
        "Street": "School Lane",
        "Town": la[1],
        "Postcode": pc,
        "Easting": str(414000 + urn % 1000),
        "Northing": str(432000 + urn % 900),
        "NumberOfPupils": "300",
        "PercentageFSM": "30.5",
        "GOR (name)": "Yorkshire and the Humber",
    }
    row.update(extra)
    return row


def provider_row(
    urn: str,
    provider_type: str,
    subtype: str = "",
    name: str = "REDACTED",
    pc: str = "REDACTED",
    la_name: str = "Bradford",
    **extra: str,
) -> dict[str, str]:
    redacted = name == "REDACTED"
    row = {
        "Web link": f"https://reports.ofsted.gov.uk/provider/16/{urn}",
        "Provider URN": urn,
        "Registration date": "01/09/2015",
        "Provider type": provider_type,
        "Provider subtype": subtype,
        "Provider status": "Active",
        "Individual Register combinations": "EYR and Both Parts of the Childcare Register",
        "Provider Early Years Register Flag": "Y",
        "Provider Compulsory Childcare Register Flag": "Y",
        "Provider Voluntary Childcare Register Flag": "Y",
        "Registered person URN": "RP900001",
        "Registered_Person_Name": "REDACTED" if redacted else "Invented Childcare Ltd",
        "Provider name": name,
        "Provider address line 1": "REDACTED" if redacted else "1 Nursery Road",
        "Provider town": "REDACTED" if redacted else la_name,
        "Postcode": pc,
        "Local authority": la_name,
        "Region": "Yorkshire and The Humber",
        "Deprivation Band": "2",
        "Places": "6" if redacted else "48",
        "Most recent full: Inspection date": "14/03/2023",
        "Most recent full: Overall effectiveness": "Good",
    }
    row.update(extra)
    return row


def area_files(providers: int = 1000) -> tuple[bytes, bytes, Expected]:
    """GIAS and Ofsted files for Bradford (LA code 380) with ``providers`` settings in all."""
    schools = max(providers * 15 // 100, 5)  # GIAS establishments, open
    both = max(schools * 2 // 15, 2)  # of them, also on Ofsted's register
    ofsted_only = providers - schools
    childminders = ofsted_only * 48 // 100
    home = max(ofsted_only // 100, 1)
    sessional = ofsted_only * 13 // 100
    out_of_school = ofsted_only * 4 // 100
    day = ofsted_only - childminders - home - sessional - out_of_school

    gias_rows = []
    ofsted_rows = []
    for i in range(schools):
        name = f"{STREETS[i % 10]} Lane {i} Primary School"
        extra = {}
        if i < both and i % 3 == 0:  # a maintained nursery school, on both registers
            name = f"{STREETS[i % 10]} Lane {i} Nursery School"
            extra = {
                "TypeOfEstablishment (name)": "Local authority nursery school",
                "PhaseOfEducation (name)": "Nursery",
            }
        gias_rows.append(school_row(107000 + i, name, postcode(i), **extra))
        if i < both:
            # The school's own nursery, registered with Ofsted: same site, its own URN.
            nursery_name = name if "Nursery School" in name else f"{name} Nursery"
            ofsted_rows.append(
                provider_row(
                    f"EY{500000 + i}",
                    "Childcare on non-domestic premises",
                    "Sessional day care",
                    name=nursery_name.upper() if i % 2 else nursery_name,
                    pc=postcode(i).replace(" ", "").lower() if i % 2 else postcode(i),
                )
            )
    gias_rows.append(
        school_row(
            106999,
            "Closed Road Primary School",
            postcode(7999),
            **{"EstablishmentStatus (name)": "Closed"},
        )
    )
    gias_rows.append(
        school_row(
            106998,
            "Merged Primary School",
            postcode(7998),
            **{"EstablishmentStatus (name)": "Closed"},
        )
    )
    n = 0

    def next_urn() -> str:
        nonlocal n
        n += 1
        return f"EY{600000 + n}"

    for _ in range(childminders):
        ofsted_rows.append(provider_row(next_urn(), "Childminder"))
    for _ in range(home):
        ofsted_rows.append(provider_row(next_urn(), "Home childcarer"))
    for kinds, count in (
        (("Full day care", "Little Stars Day Nursery"), day),
        (("Sessional day care", "Village Pre-School"), sessional),
        (("Out of school day care", "After School Club"), out_of_school),
    ):
        for k in range(count):
            urn = next_urn()
            ofsted_rows.append(
                provider_row(
                    urn,
                    "Childcare on non-domestic premises",
                    kinds[0],
                    name=f"{kinds[1]} {k}",
                    pc=postcode(1000 + n),
                )
            )
    inactive = 7
    for _ in range(inactive):
        ofsted_rows.append(
            provider_row(next_urn(), "Childminder", **{"Provider status": "Resigned"})
        )
    outside = 25
    for k in range(outside):
        ofsted_rows.append(
            provider_row(
                f"EY{700000 + k}",
                "Childcare on non-domestic premises",
                "Full day care",
                name=f"Leeds Nursery {k}",
                pc=postcode(k, "LS6"),
                la_name="Leeds",
            )
        )
    expected = Expected(
        settings=schools + ofsted_only,
        gias_only=schools - both,
        ofsted_only=ofsted_only,
        both=both,
        childminders=childminders + home,
        nurseries=day + sessional,
        gias_imported=schools,
        gias_skipped=2,
        ofsted_imported=ofsted_only + both,
        ofsted_skipped=inactive,
        ofsted_outside=outside,
    )
    return gias_file(gias_rows), ofsted_file(ofsted_rows), expected


def national_ofsted_file(rows: int, area_rows: int) -> bytes:
    """An Ofsted file the size of the national one: ``area_rows`` of Bradford, the rest
    spread over other authorities (for the bench)."""
    from nextpractice.directory.localauthorities import all_authorities

    others = [la.ofsted_name for la in all_authorities().values() if la.code != "380"]
    out = []
    for i in range(rows):
        la_name = "Bradford" if i < area_rows else others[i % len(others)]
        if i % 2:
            out.append(provider_row(f"EY{100000 + i}", "Childminder", la_name=la_name))
        else:
            out.append(
                provider_row(
                    f"EY{100000 + i}",
                    "Childcare on non-domestic premises",
                    "Full day care",
                    name=f"Sunshine Nursery {i}",
                    pc=postcode(i % 8000),
                    la_name=la_name,
                )
            )
    return ofsted_file(out)


# The ONS Postcode Directory's header (the columns of a 2024 release).
ONSPD_COLUMNS = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "oscty",
    "ced",
    "oslaua",
    "osward",
    "parish",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oshlthau",
    "nhser",
    "ctry",
    "rgn",
    "streg",
    "pcon",
    "eer",
    "teclec",
    "ttwa",
    "pct",
    "itl",
    "statsward",
    "oa01",
    "casward",
    "npark",
    "lsoa01",
    "msoa01",
    "ur01ind",
    "oac01",
    "oa11",
    "lsoa11",
    "msoa11",
    "wz11",
    "sicbl",
    "bua22",
    "ru11ind",
    "oac11",
    "lat",
    "long",
    "lep1",
    "lep2",
    "pfa",
    "imd",
    "calncv",
    "icb",
    "oa21",
    "lsoa21",
    "msoa21",
]
