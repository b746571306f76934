"""The labelled sentence bank (inspection/data/sentences-*.tsv) for the learned sentence classifier.

Pure file checks: every file parses, every label is a catalogue entry, every Form 3-A item has
enough violation sentences in every file, each file holds at least as many no-violation (0)
sentences as violation sentences, no sentence appears twice (within a file or across files), and
no sentence of 60 characters or more is shared with the evaluation corpora (eval/corpora), so
training on the bank cannot leak held-out text into the figures `make eval` reports. The corpora
are read here by code only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from opengovfood.inspection.catalogue import Catalogue, catalogue

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "server" / "opengovfood" / "inspection" / "data"
CORPORA = ROOT / "eval" / "corpora"
FORM_ITEMS = range(1, 57)
# Violation sentences each file must hold for every Form 3-A item.
MIN_PER_ITEM = 12
DESIGNATIONS = {"P", "Pf", "C"}
SHARED_TEXT_MIN = 60


@dataclass(frozen=True, slots=True)
class Line:
    file: str
    number: int
    form_item: int
    designation: str
    section: str
    sentence: str


def bank_files() -> list[Path]:
    return sorted(DATA.glob("sentences-*.tsv"))


def parse(path: Path) -> list[Line]:
    lines: list[Line] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        assert len(fields) == 4, f"{path.name}:{number}: expected 4 tab-separated fields: {raw!r}"
        item, designation, section, sentence = fields
        assert re.fullmatch(r"\d{1,2}", item), f"{path.name}:{number}: form_item {item!r}"
        assert sentence, f"{path.name}:{number}: empty sentence"
        assert sentence == sentence.strip(), f"{path.name}:{number}: sentence {raw!r}"
        lines.append(Line(path.name, number, int(item), designation, section, sentence))
    return lines


@pytest.fixture(scope="module")
def bank() -> dict[str, list[Line]]:
    files = bank_files()
    assert files, f"no sentences-*.tsv in {DATA}"
    return {path.name: parse(path) for path in files}


def normalise(sentence: str) -> str:
    return " ".join(sentence.casefold().split())


def test_every_label_is_a_catalogue_entry(bank: dict[str, list[Line]]) -> None:
    food_code: Catalogue = catalogue()
    entries = {(e.form_item, e.designation.value, e.section) for e in food_code}
    assert len(entries) == len(food_code)
    bad = []
    for line in (line for lines in bank.values() for line in lines):
        if line.form_item == 0:
            if (line.designation, line.section) != ("-", "-"):
                bad.append(line)
        elif line.designation not in DESIGNATIONS or (
            (line.form_item, line.designation, line.section) not in entries
        ):
            bad.append(line)
    assert not bad, [f"{b.file}:{b.number}: {b.form_item} {b.designation} {b.section}" for b in bad]


def test_every_form_item_has_enough_violation_sentences_in_every_file(
    bank: dict[str, list[Line]],
) -> None:
    for name, lines in bank.items():
        counts = Counter(line.form_item for line in lines if line.form_item)
        short = {item: counts[item] for item in FORM_ITEMS if counts[item] < MIN_PER_ITEM}
        assert not short, (name, f"items below {MIN_PER_ITEM}", short)


def test_no_violation_sentences_at_least_match_violation_sentences(
    bank: dict[str, list[Line]],
) -> None:
    for name, lines in bank.items():
        clean = sum(1 for line in lines if line.form_item == 0)
        violations = len(lines) - clean
        assert violations > 0, name
        assert clean >= violations, (name, clean, violations)


def test_no_sentence_appears_twice(bank: dict[str, list[Line]]) -> None:
    seen: dict[str, Line] = {}
    twice = []
    for line in (line for lines in bank.values() for line in lines):
        first = seen.setdefault(normalise(line.sentence), line)
        if first is not line:
            twice.append(f"{first.file}:{first.number} = {line.file}:{line.number}")
    assert not twice, twice[:10]


def corpus_texts() -> list[str]:
    """Every text of eval/corpora, read by code: note bodies and the lines of other files."""
    texts: list[str] = []
    for path in sorted(CORPORA.rglob("*")):
        if not path.is_file() or path.name == "README.md":
            continue
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            texts.append(json.loads(raw)["notes"])
        else:
            texts.extend(field for line in raw.splitlines() for field in line.split("\t"))
    return texts


def shared_with_corpora(sentences: list[str], texts: list[str]) -> list[str]:
    """The sentences of 60+ characters found (normalised) inside any corpus text."""
    haystack = "\n".join(normalise(text) for text in texts)
    return [s for s in sentences if len(s) >= SHARED_TEXT_MIN and normalise(s) in haystack]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = corpus_texts()
    assert len(found) > 300  # all narrative splits and the paraphrase set were read
    return found


def test_no_long_sentence_is_shared_with_the_evaluation_corpora(
    bank: dict[str, list[Line]], texts: list[str]
) -> None:
    sentences = [line.sentence for lines in bank.values() for line in lines]
    assert not shared_with_corpora(sentences, texts)[:10]


def test_the_shared_text_check_finds_a_corpus_line(texts: list[str]) -> None:
    line = next(
        line.strip()
        for text in texts
        for line in text.splitlines()
        if len(line.strip()) >= SHARED_TEXT_MIN
    )
    reworded = "  " + line.upper().replace(" ", "   ")
    assert shared_with_corpora([line, line[: SHARED_TEXT_MIN - 1], reworded.strip()], texts) == [
        line,
        reworded.strip(),
    ]
