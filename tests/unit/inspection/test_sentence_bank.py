"""The sentence banks (inspection/data/sentences-*.tsv): well-formed, labelled with catalogue
entries, covering every Form 3-A item, balanced with no-violation lines, free of duplicates and
of lines taken from the evaluation corpora."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

import opengovfood.inspection
from opengovfood.inspection.catalogue import catalogue

DATA = Path(opengovfood.inspection.__file__).resolve().parent / "data"
CORPORA = Path(__file__).resolve().parents[3] / "eval" / "corpora"
FORM_ITEMS = range(1, 57)
DESIGNATIONS = {"P", "Pf", "C"}
# Each bank on its own: violation lines per Form 3-A item (sentence-bank spec).
MIN_LINES_PER_ITEM = 12
# Lines this long may not be shared with any evaluation corpus (as the corpora's own test).
SHARED_LINE_CHARS = 60


@dataclass(frozen=True)
class Line:
    path: Path
    number: int
    form_item: int
    designation: str
    section: str
    sentence: str


def bank_paths() -> list[Path]:
    return sorted(DATA.glob("sentences-*.tsv"))


def parse_bank(path: Path) -> list[Line]:
    lines: list[Line] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        assert len(fields) == 4, (path.name, number, "expected 4 tab-separated columns", raw)
        item, designation, section, sentence = fields
        assert re.fullmatch(r"\d{1,2}", item), (path.name, number, item)
        form_item = int(item)
        assert form_item == 0 or form_item in FORM_ITEMS, (path.name, number, form_item)
        if form_item == 0:
            assert (designation, section) == ("-", "-"), (path.name, number, raw)
        else:
            assert designation in DESIGNATIONS, (path.name, number, designation)
        assert sentence, (path.name, number, raw)
        assert sentence == sentence.strip(), (path.name, number, sentence)
        lines.append(Line(path, number, form_item, designation, section, sentence))
    return lines


@pytest.fixture(scope="module")
def banks() -> dict[str, list[Line]]:
    paths = bank_paths()
    assert paths, f"no sentences-*.tsv in {DATA}"
    return {path.name: parse_bank(path) for path in paths}


def normal(text: str) -> str:
    return " ".join(text.casefold().split())


def corpus_texts() -> list[str]:
    """Every text of eval/corpora: the notes and evidence of the narrative JSON files (all
    splits, read by code only), every other file as it is."""
    texts: list[str] = []
    for path in sorted(CORPORA.rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            note = json.loads(raw)
            texts.append(note["notes"])
            texts.extend(violation["evidence"] for violation in note["violations"])
        else:
            texts.append(raw)
    return texts


def test_both_authors_banks_are_packaged_with_the_engine(banks: dict[str, list[Line]]) -> None:
    assert {"sentences-a.tsv", "sentences-b.tsv"} <= set(banks)


def test_every_label_is_a_catalogue_entry(banks: dict[str, list[Line]]) -> None:
    entries = {(v.form_item, v.designation.value, v.section) for v in catalogue()}
    wrong = [
        (line.path.name, line.number, line.form_item, line.designation, line.section)
        for lines in banks.values()
        for line in lines
        if line.form_item and (line.form_item, line.designation, line.section) not in entries
    ]
    assert not wrong, wrong[:10]


def test_every_form_item_has_enough_violation_lines_in_each_bank(
    banks: dict[str, list[Line]],
) -> None:
    for name, lines in banks.items():
        per_item = Counter(line.form_item for line in lines if line.form_item)
        short = {item: per_item[item] for item in FORM_ITEMS if per_item[item] < MIN_LINES_PER_ITEM}
        assert not short, (name, short)


def test_no_violation_lines_at_least_match_violation_lines(banks: dict[str, list[Line]]) -> None:
    for name, lines in banks.items():
        clean = sum(1 for line in lines if line.form_item == 0)
        assert clean >= len(lines) - clean, (name, clean, len(lines) - clean)


def test_no_sentence_appears_twice_in_or_across_banks(banks: dict[str, list[Line]]) -> None:
    counts = Counter(normal(line.sentence) for lines in banks.values() for line in lines)
    repeated = sorted(sentence for sentence, count in counts.items() if count > 1)
    assert not repeated, repeated[:10]


def shared_with_corpora(sentences: list[str], texts: list[str]) -> list[int]:
    """The positions of the sentences that share 60+ characters with a corpus line, either way
    round: the sentence inside a corpus line, or a corpus line (or one of its sentences) inside
    the sentence. Positions only, so a failure never shows corpus text."""
    corpus_lines = [normal(raw) for text in texts for raw in text.splitlines()]
    joined_corpus = "\n".join(corpus_lines)
    pieces = {
        piece.strip()
        for line in corpus_lines
        for piece in [line, *re.split(r"(?<=[.;!?])\s+", line)]
        if len(piece.strip()) >= SHARED_LINE_CHARS
    }
    normalised = [normal(sentence) for sentence in sentences]
    joined_banks = "\n".join(normalised)
    found = [piece for piece in pieces if piece in joined_banks]
    return [
        position
        for position, sentence in enumerate(normalised)
        if (len(sentence) >= SHARED_LINE_CHARS and sentence in joined_corpus)
        or any(piece in sentence for piece in found)
    ]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = corpus_texts()
    assert len(found) > 300, f"too few texts under {CORPORA}: {len(found)}"
    return found


def test_no_long_line_is_shared_with_the_evaluation_corpora(
    banks: dict[str, list[Line]], texts: list[str]
) -> None:
    lines = [line for bank in banks.values() for line in bank]
    shared = shared_with_corpora([line.sentence for line in lines], texts)
    assert not shared, [(lines[i].path.name, lines[i].number) for i in shared[:10]]


def test_the_shared_text_check_catches_corpus_lines_either_way_round(texts: list[str]) -> None:
    """Checked on a line of the first development note (read by code)."""
    first_note = sorted((CORPORA / "narrative" / "dev").glob("*.json"))[0]
    notes = json.loads(first_note.read_text(encoding="utf-8"))["notes"]
    line = next(raw.strip() for raw in notes.splitlines() if len(raw.strip()) >= SHARED_LINE_CHARS)
    candidates = [
        line,  # verbatim
        "  " + line.upper().replace(" ", "   "),  # case and spacing do not hide it
        "Observed today: " + line + " Discussed with PIC.",  # embedded in a longer line
        line[: SHARED_LINE_CHARS - 1],  # too short to count
        "Walk-in cooler at 38F, all foods inside at 41F or below, no issues noted today.",
    ]
    assert shared_with_corpora(candidates, texts) == [0, 1, 2]
