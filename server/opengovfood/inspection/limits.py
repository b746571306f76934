"""Measurable limits of the Food Code, typed, and read from the catalogue's data file.

Each kind is a frozen record with both unit systems where the Code gives both (the
Fahrenheit figure is the one US inspectors write; the Celsius figure is the Code's own
rounding, which is why 135 °F is 57 °C and not 57.2 °C). Checks such as `allows` let the
note reader compare a measurement without knowing which way a limit points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TypeVar


class Bound(StrEnum):
    """Which side of the figure complies: `min` = at or above, `max` = at or below."""

    MIN = "min"
    MAX = "max"


class TimeUnit(StrEnum):
    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"

    @property
    def seconds(self) -> int:
        return {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}[self.value]


class Sanitizer(StrEnum):
    CHLORINE = "chlorine"
    IODINE = "iodine"
    QUATERNARY_AMMONIUM = "quaternary_ammonium"


_E = TypeVar("_E", bound=StrEnum)


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    return (fahrenheit - 32) * 5 / 9


def _within(value: float, bound: Bound, figure: float) -> bool:
    return value >= figure if bound is Bound.MIN else value <= figure


@dataclass(frozen=True, slots=True)
class TemperatureLimit:
    """A food, water or air temperature; `hold_seconds` when it must be held that long."""

    kind: ClassVar[str] = "temperature"
    subject: str
    bound: Bound
    fahrenheit: float
    celsius: float
    hold_seconds: float | None = None
    foods: tuple[str, ...] = ()
    note: str = ""

    def allows(self, fahrenheit: float) -> bool:
        return _within(fahrenheit, self.bound, self.fahrenheit)


@dataclass(frozen=True, slots=True)
class CoolingLimit:
    """One stage of cooling: from a temperature (or from ambient when None) to another."""

    kind: ClassVar[str] = "cooling"
    subject: str
    to_fahrenheit: float
    to_celsius: float
    within_hours: float
    from_fahrenheit: float | None = None
    from_celsius: float | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class TimeLimit:
    kind: ClassVar[str] = "time"
    subject: str
    bound: Bound
    value: float
    unit: TimeUnit
    note: str = ""

    @property
    def seconds(self) -> float:
        return self.value * self.unit.seconds

    def allows(self, seconds: float) -> bool:
        return _within(seconds, self.bound, self.seconds)


@dataclass(frozen=True, slots=True)
class ConcentrationLimit:
    """A sanitizer range in ppm (mg/L), with the water conditions it holds for.

    `label_governs`: the product label sets the figure; the range given is the usual one.
    """

    kind: ClassVar[str] = "concentration"
    agent: Sanitizer
    min_ppm: float | None = None
    max_ppm: float | None = None
    min_water_fahrenheit: float | None = None
    min_water_celsius: float | None = None
    max_ph: float | None = None
    max_hardness_ppm: float | None = None
    label_governs: bool = False
    note: str = ""

    def allows(self, ppm: float) -> bool:
        return (self.min_ppm is None or ppm >= self.min_ppm) and (
            self.max_ppm is None or ppm <= self.max_ppm
        )


@dataclass(frozen=True, slots=True)
class DistanceLimit:
    kind: ClassVar[str] = "distance"
    subject: str
    bound: Bound
    inches: float
    centimeters: float
    note: str = ""


@dataclass(frozen=True, slots=True)
class LightLimit:
    """Minimum light intensity at the place named."""

    kind: ClassVar[str] = "light"
    subject: str
    foot_candles: float
    lux: float
    note: str = ""


@dataclass(frozen=True, slots=True)
class AccuracyLimit:
    """A measuring device's permitted error, plus or minus."""

    kind: ClassVar[str] = "accuracy"
    subject: str
    fahrenheit: float
    celsius: float
    note: str = ""


Limit = (
    TemperatureLimit
    | CoolingLimit
    | TimeLimit
    | ConcentrationLimit
    | DistanceLimit
    | LightLimit
    | AccuracyLimit
)

# The Code rounds its Celsius figures to whole degrees (and a tenth in the roast table).
_CELSIUS_TOLERANCE = 0.6


class _Reader:
    """Reads one limit's table, collecting every problem instead of stopping at the first."""

    def __init__(self, table: Mapping[str, object], where: str, errors: list[str]) -> None:
        self.table = table
        self.where = where
        self.errors = errors
        self.used: set[str] = {"kind"}

    def error(self, message: str) -> None:
        self.errors.append(f"{self.where}: {message}")

    def _get(self, key: str, required: bool) -> object:
        self.used.add(key)
        if key not in self.table:
            if required:
                self.error(f"missing `{key}`")
            return None
        return self.table[key]

    def text(self, key: str, required: bool = True) -> str:
        value = self._get(key, required)
        if value is None:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(f"`{key}` must be a non-empty string")
            return ""
        return value

    def number(self, key: str, required: bool = True) -> float | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(f"`{key}` must be a number, not {value!r}")
            return None
        return float(value)

    def positive(self, key: str, required: bool = True, zero_ok: bool = False) -> float | None:
        value = self.number(key, required)
        if value is not None and (value < 0 or (value == 0 and not zero_ok)):
            self.error(f"`{key}` must be {'zero or more' if zero_ok else 'positive'}, not {value}")
            return None
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key, required=False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.error(f"`{key}` must be true or false")
            return False
        return value

    def choice(self, key: str, enum: type[_E]) -> _E | None:
        value = self._get(key, required=True)
        if value is None:
            return None
        try:
            return enum(str(value))
        except ValueError:
            known = ", ".join(member.value for member in enum)
            self.error(f"`{key}` is {value!r}; expected one of {known}")
            return None

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._get(key, required=False)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.error(f"`{key}` must be a list of non-empty strings")
            return ()
        return tuple(value)

    def temperature_pair(self, fahrenheit: float | None, celsius: float | None, what: str) -> None:
        if fahrenheit is None or celsius is None:
            return
        if abs(fahrenheit_to_celsius(fahrenheit) - celsius) > _CELSIUS_TOLERANCE:
            self.error(f"{what}: {fahrenheit} °F is not {celsius} °C")

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            self.error(f"unknown field(s) {', '.join(unknown)} for kind `{self.table['kind']}`")


def parse_limit(table: object, where: str, errors: list[str]) -> Limit | None:
    """One `[[violations.limits]]` table → a typed limit, or None with `errors` extended."""
    if not isinstance(table, Mapping):
        errors.append(f"{where}: a limit must be a table")
        return None
    kind = table.get("kind")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        errors.append(f"{where}: `kind` is {kind!r}; expected one of {', '.join(_PARSERS)}")
        return None
    read = _Reader(table, where, errors)
    before = len(errors)
    limit = parser(read)
    read.finish()
    return limit if len(errors) == before else None


def _temperature(read: _Reader) -> Limit | None:
    subject, note = read.text("subject"), read.text("note", required=False)
    bound = read.choice("bound", Bound)
    fahrenheit, celsius = read.number("fahrenheit"), read.number("celsius")
    hold = read.positive("hold_seconds", required=False, zero_ok=True)
    foods = read.strings("foods")
    read.temperature_pair(fahrenheit, celsius, "temperature")
    if bound is None or fahrenheit is None or celsius is None:
        return None
    return TemperatureLimit(subject, bound, fahrenheit, celsius, hold, foods, note)


def _cooling(read: _Reader) -> Limit | None:
    subject, note = read.text("subject"), read.text("note", required=False)
    to_f, to_c = read.number("to_fahrenheit"), read.number("to_celsius")
    from_f = read.number("from_fahrenheit", required=False)
    from_c = read.number("from_celsius", required=False)
    hours = read.positive("within_hours")
    read.temperature_pair(to_f, to_c, "to")
    read.temperature_pair(from_f, from_c, "from")
    if (from_f is None) != (from_c is None):
        read.error("give both `from_fahrenheit` and `from_celsius`, or neither")
    if from_f is not None and to_f is not None and from_f <= to_f:
        read.error(f"cooling must go down: from {from_f} °F to {to_f} °F")
    if to_f is None or to_c is None or hours is None:
        return None
    return CoolingLimit(subject, to_f, to_c, hours, from_f, from_c, note)


def _time(read: _Reader) -> Limit | None:
    subject, note = read.text("subject"), read.text("note", required=False)
    bound, unit = read.choice("bound", Bound), read.choice("unit", TimeUnit)
    value = read.positive("value")
    if bound is None or unit is None or value is None:
        return None
    return TimeLimit(subject, bound, value, unit, note)


def _concentration(read: _Reader) -> Limit | None:
    agent = read.choice("agent", Sanitizer)
    low = read.positive("min_ppm", required=False)
    high = read.positive("max_ppm", required=False)
    water_f = read.number("min_water_fahrenheit", required=False)
    water_c = read.number("min_water_celsius", required=False)
    ph = read.positive("max_ph", required=False)
    hardness = read.positive("max_hardness_ppm", required=False)
    label, note = read.flag("label_governs"), read.text("note", required=False)
    if low is None and high is None:
        read.error("give `min_ppm`, `max_ppm` or both")
    if low is not None and high is not None and low > high:
        read.error(f"`min_ppm` {low} is above `max_ppm` {high}")
    if (water_f is None) != (water_c is None):
        read.error("give both `min_water_fahrenheit` and `min_water_celsius`, or neither")
    read.temperature_pair(water_f, water_c, "water")
    if ph is not None and ph > 14:
        read.error(f"`max_ph` {ph} is not a pH")
    if agent is None:
        return None
    return ConcentrationLimit(agent, low, high, water_f, water_c, ph, hardness, label, note)


def _distance(read: _Reader) -> Limit | None:
    subject, note = read.text("subject"), read.text("note", required=False)
    bound = read.choice("bound", Bound)
    inches, centimeters = read.positive("inches"), read.positive("centimeters")
    if (
        inches is not None
        and centimeters is not None
        and abs(inches * 2.54 - centimeters) > (0.1 * centimeters)
    ):
        read.error(f"{inches} in is not {centimeters} cm")
    if bound is None or inches is None or centimeters is None:
        return None
    return DistanceLimit(subject, bound, inches, centimeters, note)


def _light(read: _Reader) -> Limit | None:
    subject, note = read.text("subject"), read.text("note", required=False)
    foot_candles, lux = read.positive("foot_candles"), read.positive("lux")
    if (
        foot_candles is not None
        and lux is not None
        and abs(foot_candles * 10.764 - lux) > (0.05 * lux)
    ):
        read.error(f"{foot_candles} foot-candles is not {lux} lux")
    if foot_candles is None or lux is None:
        return None
    return LightLimit(subject, foot_candles, lux, note)


def _accuracy(read: _Reader) -> Limit | None:
    subject, note = read.text("subject"), read.text("note", required=False)
    fahrenheit, celsius = read.positive("fahrenheit"), read.positive("celsius")
    if (
        fahrenheit is not None
        and celsius is not None
        and abs(fahrenheit / 1.8 - celsius) > (_CELSIUS_TOLERANCE)
    ):
        read.error(f"±{fahrenheit} °F is not ±{celsius} °C")
    if fahrenheit is None or celsius is None:
        return None
    return AccuracyLimit(subject, fahrenheit, celsius, note)


_PARSERS = {
    "temperature": _temperature,
    "cooling": _cooling,
    "time": _time,
    "concentration": _concentration,
    "distance": _distance,
    "light": _light,
    "accuracy": _accuracy,
}
