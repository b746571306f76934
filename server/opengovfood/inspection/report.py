"""The inspection report: the document an inspector leaves with the person in charge.

`render_report(InspectionReport) -> bytes` lays out one PDF (A4/Letter-neutral margins,
fpdf2, pure Python): the establishment, the inspection (date, type, inspector, result,
score and grade), then one row per violation with its Food Code section, FDA Form 3-A item,
designation (P / Pf / C), what it was (the catalogue title or the analysis' wording), the
evidence (the words of the notes it rests on), the corrective action, and whether it was
corrected on site. It is CPU work (tens of milliseconds): call it off the event loop.

The PDF uses the standard Helvetica font, which every reader has and which needs no font
file; it covers Latin-1, so other characters are folded to their closest Latin-1 spelling
(typographic quotes and dashes, ≤ ≥, accents kept where Latin-1 has them) or to "?".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

__all__ = ["InspectionReport", "ReportViolation", "render_report", "report_file_name"]

DESIGNATION_LABELS: Final = {"P": "Priority", "Pf": "Priority Foundation", "C": "Core"}

_FOLD: Final = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2022": "-",
        "\u2026": "...",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2192": "->",
        "\u00a0": " ",
    }
)


@dataclass(frozen=True, slots=True)
class ReportViolation:
    food_code_section: str
    form_item: int  # 0: no Form 3-A item fits
    designation: str  # "P", "Pf", "C"; "" for a legacy severity
    description: str
    evidence: str = ""
    corrective_action: str = ""
    corrected_on_site: bool = False


@dataclass(frozen=True, slots=True)
class InspectionReport:
    item_id: int
    title: str
    establishment_name: str
    address_lines: tuple[str, ...]
    inspect_date: date | None
    inspection_type: str
    inspector: str
    result: str
    score: int | None
    grade: str
    license_number: str = ""
    facility_type: str = ""
    risk_category: str = ""
    scoring_scheme: str = ""
    summary: str = ""
    violations: tuple[ReportViolation, ...] = ()
    generated: datetime | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def report_file_name(item_id: int) -> str:
    return f"inspection-{item_id}.pdf"


def latin1(text: str) -> str:
    """The text as Helvetica can print it (see the module's docstring)."""
    folded = unicodedata.normalize("NFC", text.translate(_FOLD))
    out = []
    for char in folded:
        if ord(char) < 256:
            out.append(char)
            continue
        # Drop accents Latin-1 lacks (ő -> o), else a visible question mark.
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


class _Document(FPDF):
    def __init__(self, heading: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self._heading = heading
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(heading)
        self.set_creator("OpenGov-Food")

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, latin1(self._heading), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def _section_heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.set_fill_color(225, 232, 240)
    pdf.cell(0, 7, latin1(text), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _facts(pdf: FPDF, rows: Sequence[tuple[str, str]]) -> None:
    """Label: value lines; the value wraps under itself."""
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(38, 5.5, latin1(label))
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 5.5, latin1(value or "-"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _score_text(report: InspectionReport) -> str:
    if report.score is None:
        return "not scored"
    text = f"{report.score} / 100"
    if report.scoring_scheme:
        text += f"  (scheme: {report.scoring_scheme})"
    return text


def _designation_text(designation: str) -> str:
    label = DESIGNATION_LABELS.get(designation)
    return f"{designation}\n{label}" if label else "-"


def _violations_table(pdf: FPDF, violations: Sequence[ReportViolation]) -> None:
    pdf.set_font("Helvetica", "", 8)
    widths = (13, 22, 20, 62, 50, 19)
    with pdf.table(
        col_widths=widths,
        text_align=("CENTER", "LEFT", "CENTER", "LEFT", "LEFT", "CENTER"),
        line_height=4,
        padding=1.2,
        headings_style=FontFace(emphasis="BOLD", fill_color=(238, 238, 238)),
        first_row_as_headings=True,
        repeat_headings=1,
        cell_fill_color=(246, 248, 250),
        cell_fill_mode="ROWS",
    ) as table:
        header = table.row()
        for text in (
            "Form 3-A item",
            "Food Code section",
            "P / Pf / C",
            "Violation and evidence",
            "Corrective action",
            "Corrected on site",
        ):
            header.cell(text)
        for violation in violations:
            row = table.row()
            row.cell(str(violation.form_item) if violation.form_item else "-")
            row.cell(latin1(violation.food_code_section or "-"))
            row.cell(_designation_text(violation.designation))
            what = latin1(violation.description)
            if violation.evidence:
                what += f'\nEvidence: "{latin1(violation.evidence)}"'
            row.cell(what)
            row.cell(latin1(violation.corrective_action or "-"))
            row.cell("Yes" if violation.corrected_on_site else "No")


def render_report(report: InspectionReport) -> bytes:
    heading = f"Food Establishment Inspection Report - inspection {report.item_id}"
    pdf = _Document(heading)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, "Food Establishment Inspection Report", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(report.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _section_heading(pdf, "Establishment")
    _facts(
        pdf,
        [
            ("Name", report.establishment_name),
            ("Address", ", ".join(line for line in report.address_lines if line)),
            ("License / permit", report.license_number),
            ("Facility type", report.facility_type),
            ("Risk category", report.risk_category),
        ],
    )

    _section_heading(pdf, "Inspection")
    _facts(
        pdf,
        [
            ("Date", report.inspect_date.isoformat() if report.inspect_date else ""),
            ("Type", report.inspection_type),
            ("Inspector", report.inspector),
            ("Result", report.result),
            ("Score", _score_text(report)),
            ("Grade", report.grade),
        ],
    )
    if report.summary:
        pdf.ln(1)
        pdf.set_font("Helvetica", "I", 9)
        pdf.multi_cell(0, 5, latin1(report.summary), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    count = len(report.violations)
    _section_heading(pdf, f"Violations ({count})")
    if report.violations:
        _violations_table(pdf, report.violations)
    else:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(0, 6, "No violations were cited.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for note in report.notes:
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 8)
        pdf.multi_cell(0, 4, latin1(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(90, 6, "Person in charge: ______________________________")
    pdf.cell(0, 6, "Inspector: ______________________________", new_x=XPos.LMARGIN)
    pdf.ln(8)
    if report.generated is not None:
        pdf.set_font("Helvetica", "", 7)
        stamp = report.generated.strftime("%Y-%m-%d %H:%M UTC")
        pdf.cell(0, 4, f"Generated by OpenGov-Food on {stamp}.")
    return bytes(pdf.output())
