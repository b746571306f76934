"""The comment classifier: label stripping, determinism, leave-one-day-out isolation."""

from __future__ import annotations

from opengovfood.inspection.chicago import clean_comment, load_inspections, parse_violations
from opengovfood.inspection.classifier import BaselineNB, CommentClassifier, features
from opengovfood.inspection.text import sentences


def test_labels_and_item_references_are_stripped() -> None:
    comment = (
        "OBSERVED NO SOAP AT HAND SINK. PRIORITY FOUNDATION VIOLATION 7-38-030(C). "
        "CITATION ISSUED. SEE VIOLATION #47. (PF)"
    )
    cleaned = clean_comment(comment)
    assert "PRIORITY" not in cleaned
    assert "7-38" not in cleaned
    assert "CITATION" not in cleaned
    assert "47" not in cleaned
    assert "PF" not in cleaned
    assert cleaned.startswith("OBSERVED NO SOAP AT HAND SINK.")


def test_entries_keep_item_and_severity() -> None:
    cell = (
        "10. ADEQUATE HANDWASHING SINKS - Comments: NO SOAP. PRIORITY FOUNDATION VIOLATION | "
        "22. PROPER COLD HOLDING - Comments: SALAD 47F. PRIORITY VIOLATION 7-38-005 | "
        "55. PHYSICAL FACILITIES - Comments: CLEAN FLOORS. | 1. PERSON IN CHARGE"
    )
    entries = parse_violations(cell)
    assert [(e.item, e.severity) for e in entries] == [(10, "Pf"), (22, "P"), (55, "C"), (1, "C")]
    assert entries[3].comment == ""


def test_the_sample_has_four_days() -> None:
    days = {i.date for i in load_inspections()}
    assert days == {"03/03/2020", "03/04/2020", "03/05/2020", "03/06/2020"}


def test_training_is_deterministic() -> None:
    training = [i for i in load_inspections() if i.date != "03/06/2020"]
    first = CommentClassifier(training, threshold=0.5, stay=10.0)
    second = CommentClassifier(training, threshold=0.5, stay=10.0)
    probe = [i for i in load_inspections() if i.date == "03/06/2020" and i.paragraph][:20]
    for inspection in probe:
        found = sentences(inspection.paragraph)
        assert first.predict_sentences(found) == second.predict_sentences(found)


def test_threshold_is_tuned_on_the_training_days_only() -> None:
    """The held-out day cannot change what is learnt: a classifier trained without it
    is the same whether or not that day's text is different."""
    inspections = load_inspections()
    training = [i for i in inspections if i.date != "03/05/2020"]
    model = CommentClassifier(training)
    again = CommentClassifier(list(training))
    assert (model.threshold, model.stay) == (again.threshold, again.stay)
    assert model.rule_agreement == again.rule_agreement
    # and nothing of the held-out day is in its vocabulary's training examples
    held_out = {i.id for i in inspections if i.date == "03/05/2020"}
    assert not held_out & {i.id for i in training}


def test_classifier_reads_chicago_style_comments() -> None:
    training = [i for i in load_inspections() if i.date != "03/03/2020"]
    model = CommentClassifier(training, threshold=0.5, stay=1.0)
    found = sentences(
        "OBSERVED NO HAND WASHING SIGNS AT HAND SINKS IN PREP AREA. "
        "MUST DETAIL CLEAN FLOORS UNDER COOKING EQUIPMENT."
    )
    items = [p.item if p else None for p in model.predict_sentences(found)]
    assert items == [10, 55]


def test_features_drop_stop_words_and_keep_negated_bigrams() -> None:
    grams = features("observed no soap at the hand sink")
    assert "soap" in grams
    assert "no_soap" in grams
    assert "observed" not in grams
    assert "no" not in grams


def test_baseline_predicts_items_only_from_1_to_56() -> None:
    model = BaselineNB(load_inspections())
    items = model.predict_items(
        "FOUND NO FOOD HANDLER TRAINING CERTIFICATES. MICE DROPPINGS IN STORAGE."
    )
    assert items
    assert all(1 <= i <= 56 for i in items)
