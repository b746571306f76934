"""The narrative field-note corpus (eval/corpora/narrative): schema, gold labels, coverage.

Pure file checks, no server: every note parses, every gold violation quotes its note, and the
corpus keeps the coverage its README promises (splits, clean notes, Form 3-A items, units,
lengths). The README's statistics blocks are recomputed here so they cannot drift from the files.

Two independently written corpora share the schema: the first author's `dev`/`test` and the second
author's `dev2`/`test2`. Each pair is checked against its own promises; a small third development
split, `dev3`, written by the rules engine's author to widen the styles, has no held-out half;
a fourth author's `dev4`/`test4` were written without reading the engine, and a fifth author's
`dev5` (a development split only, in voices none of the others use) likewise. Labels, ids and the
no-shared-text rule hold across all eight splits.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[3] / "eval" / "corpora" / "narrative"
FIRST = ("dev", "test")
SECOND = ("dev2", "test2")
THIRD = ("dev3",)
FOURTH = ("dev4", "test4")
FIFTH = ("dev5",)
SPLITS = FIRST + SECOND + THIRD + FOURTH + FIFTH

NOTE_KEYS = {
    "id",
    "style",
    "units",
    "establishment_type",
    "inspection_type",
    "notes",
    "clean",
    "violations",
}
VIOLATION_KEYS = {"form_item", "severity", "section", "evidence", "corrected_on_site", "repeat"}
UNITS = {"F", "C", "mixed", "none"}
INSPECTION_TYPES = {"routine", "follow-up", "complaint", "pre-opening"}
SEVERITIES = {"P", "Pf", "C"}
# A Food Code section with an optional paragraph path: 3-501.16, 3-501.16(A)(2), 3-302.11(A)(1)(b).
SECTION = re.compile(r"^[1-8]-\d{3}\.\d{2,3}(\([A-Z]\)(\(\d+\)(\([a-z]\))?)?)?$")
TAG = re.compile(r"^[a-z][a-z0-9_-]*$")

Note = dict[str, Any]


def load_split(split: str) -> list[Note]:
    return [
        {"_path": path, **json.loads(path.read_text(encoding="utf-8"))}
        for path in sorted((CORPUS / split).glob("*.json"))
    ]


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[Note]]:
    return {split: load_split(split) for split in SPLITS}


def all_notes(corpus: dict[str, list[Note]]) -> list[Note]:
    return [note for split in SPLITS for note in corpus[split]]


def items_of(note: Note) -> set[int]:
    return {violation["form_item"] for violation in note["violations"]}


def tally(values: list[str], keys: Iterable[str]) -> str:
    counts = Counter(values)
    return ", ".join(f"{key} {counts[key]}" for key in keys)


def corpus_summary(corpus: dict[str, list[Note]], splits: tuple[str, ...]) -> str:
    """A statistics block of the README, one line per figure and split."""
    lines: list[str] = []
    for split in splits:
        notes = corpus[split]
        violations = [v for note in notes for v in note["violations"]]
        lengths = sorted(len(note["notes"]) for note in notes)
        per_item = Counter(v["form_item"] for v in violations)
        per_item_severity = Counter((v["form_item"], v["severity"]) for v in violations)
        notes_per_item = Counter(item for note in notes for item in items_of(note))
        covered = sorted(notes_per_item)
        lines += [
            f"[{split}] notes: {len(notes)}",
            f"[{split}] clean notes: {sum(note['clean'] for note in notes)}",
            f"[{split}] violations: {len(violations)}"
            f" (corrected on site {sum(v['corrected_on_site'] for v in violations)},"
            f" repeat {sum(v['repeat'] for v in violations)})",
            f"[{split}] by severity: "
            + tally([v["severity"] for v in violations], ("P", "Pf", "C")),
            f"[{split}] Form 3-A items covered: {len(covered)} of 56",
            f"[{split}] violations per item: "
            + " ".join(f"{item}:{per_item[item]}" for item in sorted(per_item)),
            f"[{split}] violations per item and severity: "
            + " ".join(
                f"{item}:{severity}{count}"
                for (item, severity), count in sorted(
                    per_item_severity.items(),
                    key=lambda kv: (kv[0][0], ("P", "Pf", "C").index(kv[0][1])),
                )
            ),
            f"[{split}] units: " + tally([n["units"] for n in notes], ("F", "C", "mixed", "none")),
            f"[{split}] inspection types: "
            + tally([n["inspection_type"] for n in notes], sorted(INSPECTION_TYPES)),
            f"[{split}] note length in characters: min {lengths[0]},"
            f" median {lengths[len(lengths) // 2]}, max {lengths[-1]};"
            f" over 3000: {sum(n > 3000 for n in lengths)},"
            f" over 8000: {sum(n > 8000 for n in lengths)}",
        ]
    return "\n".join(lines)


def test_every_file_parses_and_matches_the_schema(corpus: dict[str, list[Note]]) -> None:
    for note in all_notes(corpus):
        where = note["_path"].name
        assert set(note) - {"_path"} == NOTE_KEYS, where
        for key in ("id", "style", "establishment_type", "notes"):
            assert isinstance(note[key], str), (where, key)
            assert note[key].strip(), (where, key)
        assert TAG.match(note["style"]), where
        assert TAG.match(note["establishment_type"]), where
        assert note["units"] in UNITS, where
        assert note["inspection_type"] in INSPECTION_TYPES, where
        assert isinstance(note["clean"], bool), where
        assert isinstance(note["violations"], list), where
        for violation in note["violations"]:
            assert set(violation) == VIOLATION_KEYS, where
            item = violation["form_item"]
            assert type(item) is int, (where, item)
            assert 1 <= item <= 56, (where, item)
            assert violation["severity"] in SEVERITIES, (where, violation)
            assert SECTION.match(violation["section"]), (where, violation["section"])
            assert isinstance(violation["corrected_on_site"], bool), where
            assert isinstance(violation["repeat"], bool), where


def test_evidence_is_quoted_verbatim_from_the_note(corpus: dict[str, list[Note]]) -> None:
    for note in all_notes(corpus):
        for violation in note["violations"]:
            evidence = violation["evidence"]
            assert isinstance(evidence, str), note["id"]
            assert len(evidence.strip()) >= 8, (note["id"], evidence)
            assert evidence in note["notes"], (note["id"], evidence)


def test_clean_exactly_when_there_are_no_violations(corpus: dict[str, list[Note]]) -> None:
    for note in all_notes(corpus):
        assert note["clean"] is (not note["violations"]), note["id"]


def test_ids_are_unique_and_name_their_files(corpus: dict[str, list[Note]]) -> None:
    ids = [note["id"] for note in all_notes(corpus)]
    assert len(ids) == len(set(ids))
    for split in SPLITS:
        for note in corpus[split]:
            assert note["_path"].name == f"{note['id']}.json"
            assert note["id"].startswith(f"{split}-"), note["id"]


def test_one_section_has_one_designation(corpus: dict[str, list[Note]]) -> None:
    """A paragraph of the Food Code carries one designation wherever it is cited."""
    seen: dict[str, tuple[str, str]] = {}
    for note in all_notes(corpus):
        for violation in note["violations"]:
            section, severity = violation["section"], violation["severity"]
            first = seen.setdefault(section, (severity, note["id"]))
            assert first[0] == severity, (section, first, (severity, note["id"]))


def test_splits_are_written_separately(corpus: dict[str, list[Note]]) -> None:
    """No note, and no line of 60 characters or more, appears in two splits."""

    def long_lines(split: str) -> set[str]:
        return {
            line.strip()
            for note in corpus[split]
            for line in note["notes"].splitlines()
            if len(line.strip()) >= 60
        }

    for i, first in enumerate(SPLITS):
        for second in SPLITS[i + 1 :]:
            shared = long_lines(first) & long_lines(second)
            assert not shared, (first, second, sorted(shared)[:3])
    texts = [note["notes"] for note in all_notes(corpus)]
    assert len(texts) == len(set(texts))


def test_size_clean_notes_and_item_coverage(corpus: dict[str, list[Note]]) -> None:
    notes = [note for split in FIRST for note in corpus[split]]
    assert len(notes) >= 90
    assert sum(note["clean"] for note in notes) >= 16
    assert set().union(*(items_of(note) for note in notes)) == set(range(1, 57))
    for split in FIRST:
        assert len(corpus[split]) >= 45, split
        assert any(note["clean"] for note in corpus[split]), split
        covered = set().union(*(items_of(note) for note in corpus[split]))
        assert len(covered) >= 40, (split, sorted(set(range(1, 57)) - covered))


def test_variety_of_units_lengths_and_kinds(corpus: dict[str, list[Note]]) -> None:
    notes = [note for split in FIRST for note in corpus[split]]
    assert sum(note["units"] in ("C", "mixed") for note in notes) >= 12
    assert sum(len(note["notes"]) > 3000 for note in notes) >= 6
    assert sum(len(note["notes"]) > 8000 for note in notes) >= 3
    assert {note["inspection_type"] for note in notes} == INSPECTION_TYPES
    assert len({note["style"] for note in notes}) >= 6
    assert len({note["establishment_type"] for note in notes}) >= 15
    violations = [v for note in notes for v in note["violations"]]
    assert any(v["corrected_on_site"] for v in violations)
    assert any(v["repeat"] for v in violations)
    assert {v["severity"] for v in violations} == SEVERITIES
    for split in FIRST:
        assert any(note["units"] in ("C", "mixed") for note in corpus[split]), split
        assert any(len(note["notes"]) > 8000 for note in corpus[split]), split
        assert any(note["clean"] and len(note["notes"]) > 3000 for note in corpus[split]), split


def test_second_corpus_size_clean_notes_and_item_coverage(corpus: dict[str, list[Note]]) -> None:
    """dev2/test2: 50+ notes each, 12+ clean, every Form 3-A item in each split."""
    notes = [note for split in SECOND for note in corpus[split]]
    assert sum(note["clean"] for note in notes) >= 12
    for split in SECOND:
        assert len(corpus[split]) >= 50, split
        assert sum(note["clean"] for note in corpus[split]) >= 5, split
        covered = set().union(*(items_of(note) for note in corpus[split]))
        assert covered == set(range(1, 57)), (split, sorted(set(range(1, 57)) - covered))


def test_second_corpus_variety(corpus: dict[str, list[Note]]) -> None:
    """dev2/test2: Celsius, long reports, many voices, corrected-on-site and repeat cases."""
    notes = [note for split in SECOND for note in corpus[split]]
    assert sum(note["units"] in ("C", "mixed") for note in notes) >= 12
    assert sum(len(note["notes"]) > 3000 for note in notes) >= 4
    assert sum(len(note["notes"]) > 8000 for note in notes) >= 2
    assert {note["inspection_type"] for note in notes} == INSPECTION_TYPES
    assert len({note["establishment_type"] for note in notes}) >= 20
    for split in SECOND:
        split_notes = corpus[split]
        violations = [v for note in split_notes for v in note["violations"]]
        assert len({note["style"] for note in split_notes}) >= 8, split
        assert sum(note["units"] in ("C", "mixed") for note in split_notes) >= 6, split
        assert any(len(note["notes"]) > 8000 for note in split_notes), split
        assert any(note["clean"] and len(note["notes"]) > 3000 for note in split_notes), split
        assert any(v["corrected_on_site"] for v in violations), split
        assert any(not v["corrected_on_site"] for v in violations), split
        assert any(v["repeat"] for v in violations), split
        assert {v["severity"] for v in violations} == SEVERITIES, split


def readme_part(heading: str) -> str:
    """The README from `heading` up to the next second-level heading."""
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"\n{heading}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else len(readme)]


def voice_table(part: str) -> dict[str, tuple[int, int]]:
    rows = re.findall(r"^\| `([a-z-]+)` \| [^|]+ \| (\d+) \| (\d+) \|$", part, re.M)
    return {style: (int(dev), int(test)) for style, dev, test in rows}


@pytest.mark.parametrize(
    ("heading", "splits"),
    [
        ("## Second corpus: dev2 and test2", SECOND),
        ("## Fourth corpus: dev4 and test4", FOURTH),
    ],
    ids=["dev2-test2", "dev4-test4"],
)
def test_readme_voice_table_matches_the_files(
    corpus: dict[str, list[Note]], heading: str, splits: tuple[str, ...]
) -> None:
    """Each voice table gives each style's note count in its corpus's two splits."""
    table = voice_table(readme_part(heading))
    dev, test = splits
    counts = {split: Counter(note["style"] for note in corpus[split]) for split in splits}
    styles = set(counts[dev]) | set(counts[test])
    assert table == {style: (counts[dev][style], counts[test][style]) for style in styles}


def test_third_split_is_a_small_development_set(corpus: dict[str, list[Note]]) -> None:
    """dev3: clean notes in new voices (dictated, follow-up lists, questions) and a few
    notes with violations (shorthand, a long Celsius report, a checklist follow-up)."""
    notes = corpus["dev3"]
    assert len(notes) >= 15
    assert sum(note["clean"] for note in notes) >= 8
    assert any(note["units"] == "C" and not note["clean"] for note in notes)
    assert any(note["inspection_type"] == "follow-up" for note in notes)
    assert {v["severity"] for note in notes for v in note["violations"]} == SEVERITIES


def test_fourth_corpus_size_clean_notes_and_item_coverage(corpus: dict[str, list[Note]]) -> None:
    """dev4/test4: about 30 notes each, a quarter clean, every Form 3-A item in each split."""
    for split in FOURTH:
        notes = corpus[split]
        assert len(notes) >= 30, split
        assert sum(note["clean"] for note in notes) >= 7, split
        covered = set().union(*(items_of(note) for note in notes))
        assert covered == set(range(1, 57)), (split, sorted(set(range(1, 57)) - covered))


def test_fourth_corpus_variety(corpus: dict[str, list[Note]]) -> None:
    """dev4/test4: each split has Celsius-only notes, long reports with and without
    violations, repeats and on-site corrections, and all three designations."""
    for split in FOURTH:
        notes = corpus[split]
        violations = [v for note in notes for v in note["violations"]]
        assert len({note["style"] for note in notes}) >= 8, split
        assert sum(note["units"] == "C" for note in notes) >= 4, split
        assert any(len(note["notes"]) > 3000 and not note["clean"] for note in notes), split
        assert any(len(note["notes"]) > 3000 and note["clean"] for note in notes), split
        assert {"routine", "follow-up", "complaint"} <= {n["inspection_type"] for n in notes}, split
        assert any(v["corrected_on_site"] for v in violations), split
        assert any(not v["corrected_on_site"] for v in violations), split
        assert any(v["repeat"] for v in violations), split
        assert {v["severity"] for v in violations} == SEVERITIES, split


def test_fifth_corpus_size_clean_notes_and_item_coverage(corpus: dict[str, list[Note]]) -> None:
    """dev5: 26 notes, 7 clean, at least 45 Form 3-A items."""
    notes = corpus["dev5"]
    assert len(notes) >= 26
    assert sum(note["clean"] for note in notes) >= 7
    covered = set().union(*(items_of(note) for note in notes))
    assert len(covered) >= 45, sorted(set(range(1, 57)) - covered)


def test_fifth_corpus_variety(corpus: dict[str, list[Note]]) -> None:
    """dev5: eight voices of 2-4 notes each, Celsius notes, long reports, a complaint not
    substantiated, repeats and on-site corrections, and all three designations."""
    notes = corpus["dev5"]
    violations = [v for note in notes for v in note["violations"]]
    styles = Counter(note["style"] for note in notes)
    assert len(styles) >= 8, styles
    assert all(2 <= count <= 4 for count in styles.values()), styles
    assert sum(note["units"] == "C" for note in notes) >= 2
    assert sum(len(note["notes"]) > 3000 for note in notes) >= 2
    assert any(n["clean"] and n["inspection_type"] == "complaint" for n in notes)
    assert {"routine", "follow-up", "complaint"} <= {n["inspection_type"] for n in notes}
    assert any(v["corrected_on_site"] for v in violations)
    assert any(not v["corrected_on_site"] for v in violations)
    assert any(v["repeat"] for v in violations)
    assert {v["severity"] for v in violations} == SEVERITIES


def test_readme_voice_table_of_the_fifth_corpus_matches_the_files(
    corpus: dict[str, list[Note]],
) -> None:
    """The dev5 voice table gives each style's note count."""
    part = readme_part("## Fifth corpus: dev5")
    table = dict(re.findall(r"^\| `([a-z-]+)` \| [^|]+ \| (\d+) \|$", part, re.M))
    counts = Counter(note["style"] for note in corpus["dev5"])
    assert {style: int(n) for style, n in table.items()} == dict(counts)


@pytest.mark.parametrize(
    "splits",
    [FIRST, SECOND, THIRD, FOURTH, FIFTH],
    ids=["dev-test", "dev2-test2", "dev3", "dev4-test4", "dev5"],
)
def test_readme_statistics_match_the_files(
    corpus: dict[str, list[Note]], splits: tuple[str, ...]
) -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    first = re.escape(f"[{splits[0]}]")
    block = re.search(rf"```text\n({first} .*?)\n```", readme, re.S)
    assert block, f"README.md has no statistics block for {splits}"
    assert block.group(1) == corpus_summary(corpus, splits)
