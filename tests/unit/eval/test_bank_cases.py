"""The sentence bank as `make eval` reads it: one case a line, gold from the line's labels."""

from __future__ import annotations

from pathlib import Path

from eval.corpora import BANK_DIR, bank_cases


def test_every_bank_line_is_one_case_with_its_labels() -> None:
    files = sorted(BANK_DIR.glob("sentences-*.tsv"))
    assert len(files) >= 2
    rows = [
        line.split("\t")
        for path in files
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    cases = bank_cases()
    assert len(cases) == len(rows)
    for case, (item, designation, section, sentence) in zip(cases, rows, strict=True):
        assert case.notes == sentence
        if item == "0":
            assert case.violations == ()
        else:
            (gold,) = case.violations
            expected = (int(item), designation, section)
            assert (gold.form_item, gold.severity, gold.section) == expected


def test_case_ids_name_the_author_and_line(tmp_path: Path) -> None:
    (tmp_path / "sentences-x.tsv").write_text(
        "# header\n22\tP\t3-501.16(A)(2)\tWalk-in at 48F.\n0\t-\t-\tHand sink stocked.\n",
        encoding="utf-8",
    )
    cases = bank_cases(tmp_path)
    assert [c.id for c in cases] == ["bank-x-0002", "bank-x-0003"]
    assert cases[0].violations[0].form_item == 22
    assert cases[1].violations == ()
