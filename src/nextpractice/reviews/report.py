"""The host's collated report as a PDF, rendered on the server (fpdf2, pure Python).

The built-in PDF fonts cover Latin-1 only, so typographic characters are mapped to their
plain equivalents and anything else outside Latin-1 becomes "?": the report stays legible
on every machine without shipping a font.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2022": "-",
    }
)


def latin1(text: str) -> str:
    return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


def build_pdf(
    review: Any,
    sections: list[dict[str, Any]],
    reviewers: list[str],
    overall: dict[str, Any] | None = None,
    people: str = "colleague",
) -> bytes:
    """The report: who gave feedback, the most common next steps (``steps.grouped``, when
    given), then each focus area's strengths and next steps."""
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"Feedback: {review.title}"))
    pdf.set_author("Next Practice")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 11, style: str = "", gap: float = 2) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, size * 0.5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    line(f"{review.cluster.name}: feedback for {review.requester}", 10, "", 1)
    line(review.title, 18, "B", 3)
    line(
        f"{review.get_kind_display()} - feedback from {len(reviewers)} colleague"
        f"{'s' if len(reviewers) != 1 else ''}: {', '.join(reviewers) or 'none yet'}",
        10,
    )

    def counted(rows: list[Any]) -> None:
        for row in rows:
            line(
                f"- {row.label}: {row.visitors} {people}{'s' if row.visitors != 1 else ''}",
                11,
                "",
                1,
            )

    if overall and overall["common"]:
        pdf.ln(2)
        line("Most common next steps", 14, "B", 2)
        counted(overall["common"])
    for section in sections:
        pdf.ln(2)
        line(section["focus"].question, 14, "B", 2)
        if not section["answers"]:
            line("No feedback on this yet.", 10, "I")
        if section.get("common"):
            line("Most common next steps here", 12, "B", 1)
            counted(section["common"])
            pdf.ln(1)
        line("Strengths", 12, "B", 1)
        for a in section["answers"]:
            line(f"- {a.strengths} ({a.feedback.reviewer})", 11, "", 1)
        pdf.ln(1)
        line("Next steps", 12, "B", 1)
        for a in section["answers"]:
            line(f"- {a.next_steps} ({a.feedback.reviewer})", 11, "", 1)
    pdf.ln(4)
    line(
        "Shared in confidence within the cluster. No information about individual children.", 8, "I"
    )
    return bytes(pdf.output())
