"""The measurable limits the catalogue carries, checked against the Food Code's figures."""

from __future__ import annotations

from typing import TypeVar

import pytest

from opengovfood.inspection.catalogue import Catalogue, catalogue
from opengovfood.inspection.limits import (
    AccuracyLimit,
    Bound,
    ConcentrationLimit,
    CoolingLimit,
    LightLimit,
    Limit,
    Sanitizer,
    TemperatureLimit,
    TimeLimit,
    fahrenheit_to_celsius,
)

L = TypeVar("L", bound=Limit)


@pytest.fixture(scope="module")
def food_code() -> Catalogue:
    return catalogue()


def limits_of(food_code: Catalogue, section: str, kind: type[L]) -> list[L]:
    return [limit for limit in food_code.get(section).limits if isinstance(limit, kind)]


def temperature(
    food_code: Catalogue, section: str, subject_part: str = ""
) -> list[TemperatureLimit]:
    return [t for t in limits_of(food_code, section, TemperatureLimit) if subject_part in t.subject]


def test_cold_holding(food_code: Catalogue) -> None:
    [cold] = temperature(food_code, "3-501.16(A)(2)")
    assert (cold.bound, cold.fahrenheit, cold.celsius) == (Bound.MAX, 41, 5)
    assert cold.allows(41)
    assert not cold.allows(47)


def test_hot_holding(food_code: Catalogue) -> None:
    hot = temperature(food_code, "3-501.16(A)(1)")
    assert (hot[0].bound, hot[0].fahrenheit, hot[0].celsius) == (Bound.MIN, 135, 57)
    assert hot[0].allows(135)
    assert not hot[0].allows(120)
    roasts = [t for t in hot if t.foods]
    assert roasts
    assert roasts[0].fahrenheit == 130


def test_cooling(food_code: Catalogue) -> None:
    stages = limits_of(food_code, "3-501.14(A)", CoolingLimit)
    as_tuples = {(s.from_fahrenheit, s.to_fahrenheit, s.within_hours) for s in stages}
    assert as_tuples == {(135, 70, 2), (135, 41, 6)}
    [ambient] = limits_of(food_code, "3-501.14(B)", CoolingLimit)
    assert (ambient.from_fahrenheit, ambient.to_fahrenheit, ambient.within_hours) == (None, 41, 4)


def test_reheating(food_code: Catalogue) -> None:
    [reheat] = temperature(food_code, "3-403.11(A)")
    assert (reheat.fahrenheit, reheat.celsius, reheat.hold_seconds) == (165, 74, 15)
    [microwave] = temperature(food_code, "3-403.11(B)")
    [standing] = limits_of(food_code, "3-403.11(B)", TimeLimit)
    assert microwave.fahrenheit == 165
    assert standing.seconds == 120
    [commercial] = temperature(food_code, "3-403.11(C)")
    assert commercial.fahrenheit == 135
    [within] = limits_of(food_code, "3-403.11(D)", TimeLimit)
    assert (within.bound, within.seconds) == (Bound.MAX, 2 * 3600)


@pytest.mark.parametrize(
    ("section", "food", "fahrenheit", "hold_seconds"),
    [
        ("3-401.11(A)(3)", "poultry", 165, 0),
        ("3-401.11(A)(3)", "stuffing containing fish, meat, poultry or ratites", 165, 0),
        ("3-401.11(A)(2)", "ground or comminuted meat", 155, 17),
        ("3-401.11(A)(2)", "mechanically tenderized meat", 155, 17),
        ("3-401.11(A)(2)", "raw eggs not for immediate service", 155, 17),
        ("3-401.11(A)(1)", "fish", 145, 15),
        ("3-401.11(A)(1)", "raw shell eggs for immediate service", 145, 15),
        ("3-401.11(B)", "whole meat roasts", 130, 112 * 60),
        ("3-401.11(B)", "whole meat roasts", 145, 4 * 60),
        ("3-401.13", "fruits and vegetables for hot holding", 135, None),
        ("3-401.12", "raw animal food cooked in a microwave oven", 165, None),
    ],
)
def test_cooking_by_food(
    food_code: Catalogue, section: str, food: str, fahrenheit: int, hold_seconds: int | None
) -> None:
    matches = [
        t
        for t in temperature(food_code, section)
        if food in t.foods and t.fahrenheit == fahrenheit and t.bound is Bound.MIN
    ]
    assert [t.hold_seconds for t in matches] == [hold_seconds]


def test_roast_table_is_a_falling_curve(food_code: Catalogue) -> None:
    rows = sorted(
        (t.fahrenheit, t.hold_seconds or 0) for t in temperature(food_code, "3-401.11(B)")
    )
    assert rows[0] == (130, 6720)
    assert rows[-1] == (158, 0)
    holds = [hold for _, hold in rows]
    assert holds == sorted(holds, reverse=True)


def test_hot_water_at_handwashing_sinks(food_code: Catalogue) -> None:
    [water] = temperature(food_code, "5-202.12(A)")
    assert (water.bound, water.fahrenheit, water.celsius) == (Bound.MIN, 100, 38)


def test_warewashing_temperatures(food_code: Catalogue) -> None:
    rinse = temperature(food_code, "4-501.112")
    assert {(t.bound, t.fahrenheit) for t in rinse} == {
        (Bound.MIN, 180),
        (Bound.MIN, 165),
        (Bound.MAX, 194),
    }
    [surface] = temperature(food_code, "4-703.11(B)")
    assert (surface.fahrenheit, surface.celsius) == (160, 71)
    [manual] = temperature(food_code, "4-501.111")
    assert manual.fahrenheit == 171
    [immersion] = temperature(food_code, "4-703.11(A)")
    assert (immersion.fahrenheit, immersion.hold_seconds) == (171, 30)
    [wash] = temperature(food_code, "4-501.19")
    assert wash.fahrenheit == 110
    assert {t.fahrenheit for t in temperature(food_code, "4-501.110")} == {165, 150, 160}


def test_chlorine_chart(food_code: Catalogue) -> None:
    rows = limits_of(food_code, "4-501.114(A)", ConcentrationLimit)
    assert all(row.agent is Sanitizer.CHLORINE for row in rows)
    chart = {(r.min_ppm, r.max_ppm, r.max_ph): r.min_water_fahrenheit for r in rows}
    assert chart[(25, 49, 10)] == 120
    assert chart[(50, 99, 10)] == 100
    assert chart[(50, 99, 8)] == 75
    assert chart[(100, 200, 10)] == 55
    assert any(r.allows(50) for r in rows)
    assert not any(r.allows(10) for r in rows)
    assert not any(r.allows(400) for r in rows)


def test_quaternary_ammonium_and_iodine(food_code: Catalogue) -> None:
    [quat] = limits_of(food_code, "4-501.114(C)", ConcentrationLimit)
    assert quat.agent is Sanitizer.QUATERNARY_AMMONIUM
    assert (quat.min_ppm, quat.max_ppm, quat.label_governs) == (200, 400, True)
    assert (quat.min_water_fahrenheit, quat.max_hardness_ppm) == (75, 500)
    [iodine] = limits_of(food_code, "4-501.114(B)", ConcentrationLimit)
    assert iodine.agent is Sanitizer.IODINE
    assert (iodine.min_ppm, iodine.max_ppm, iodine.max_ph) == (12.5, 25, 5.0)
    assert iodine.allows(12.5)
    assert not iodine.allows(50)


def test_date_marking(food_code: Catalogue) -> None:
    [days] = limits_of(food_code, "3-501.17", TimeLimit)
    assert (days.bound, days.value, days.unit.value) == (Bound.MAX, 7, "days")
    assert "day 1" in days.subject
    assert days.allows(7 * 86400)
    assert not days.allows(8 * 86400)
    [storage] = temperature(food_code, "3-501.17")
    assert storage.fahrenheit == 41


def test_time_as_a_public_health_control(food_code: Catalogue) -> None:
    [four] = limits_of(food_code, "3-501.19(B)", TimeLimit)
    assert four.seconds == 4 * 3600
    [six] = limits_of(food_code, "3-501.19(C)", TimeLimit)
    [ceiling] = temperature(food_code, "3-501.19(C)")
    assert (six.seconds, ceiling.fahrenheit, ceiling.bound) == (6 * 3600, 70, Bound.MAX)


def test_records_retention_and_receiving(food_code: Catalogue) -> None:
    [tags] = limits_of(food_code, "3-203.12", TimeLimit)
    assert (tags.bound, tags.value, tags.unit.value) == (Bound.MIN, 90, "days")
    [received] = temperature(food_code, "3-202.11(A)")
    [eggs] = temperature(food_code, "3-202.11(C)")
    [milk] = temperature(food_code, "3-202.11(B)")
    assert (received.fahrenheit, eggs.fahrenheit, milk.fahrenheit) == (41, 45, 45)
    assert [c.within_hours for c in limits_of(food_code, "3-501.14(C)", CoolingLimit)] == [4]


def test_thermometers_and_lighting(food_code: Catalogue) -> None:
    [probe] = limits_of(food_code, "4-203.11", AccuracyLimit)
    assert (probe.fahrenheit, probe.celsius) == (2, 1)
    light = limits_of(food_code, "6-303.11", LightLimit)
    assert sorted(lamp.foot_candles for lamp in light) == [10, 20, 50]


def test_every_temperature_pairs_fahrenheit_and_celsius(food_code: Catalogue) -> None:
    for entry in food_code:
        for limit in entry.limits:
            if isinstance(limit, TemperatureLimit):
                assert abs(fahrenheit_to_celsius(limit.fahrenheit) - limit.celsius) <= 0.6, (
                    entry.section
                )
