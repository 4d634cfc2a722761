"""How a measured number is written, everywhere: the report, the chat and the pictures.

One rounding per unit, so the annotated picture, the patient's sentence and the
clinician's table show the same number for the same value; the digits are written as
the language writes numbers (its decimal sign: backcare.kernel.languages).

    number(15.24, "deg") -> "15°"      number(3.46, "%") -> "3.5%"
    number(0.055, "ratio") -> "0.06"   plus_minus(15.2, 3, "deg") -> "15 ± 3°"
    limit(2.5, "deg") -> "2.5°" (a range's limit, exactly as its source gives it)
"""

from __future__ import annotations

import math

from backcare.kernel.languages import DEFAULT, language

DECIMALS = {"deg": 0, "%": 1, "ratio": 2}
SUFFIX = {"deg": "°", "%": "%", "ratio": ""}


def rounded(value: float, unit: str) -> float:
    """The value as it is shown (round half away from zero, like people do)."""
    step = 10.0 ** DECIMALS.get(unit, 1)
    return math.copysign(math.floor(abs(value) * step + 0.5), value) / step + 0.0


def digits(value: float | None, unit: str, signed: bool = False, lang: str | None = DEFAULT) -> str:
    """The number without its unit sign: "-" when there is none."""
    if value is None or not math.isfinite(value):
        return "-"
    shown = rounded(value, unit)
    return language(lang).decimal(shown, DECIMALS.get(unit, 1), signed and bool(shown))


def number(value: float | None, unit: str, signed: bool = False, lang: str | None = DEFAULT) -> str:
    """The number with its unit sign, e.g. "15°", "3.5%", "0.06"."""
    text = digits(value, unit, signed, lang)
    return text if text == "-" else text + SUFFIX.get(unit, "")


def limit(value: float, unit: str, lang: str | None = DEFAULT) -> str:
    """A range's limit as its source gives it: the unit's rounding, or as many decimals
    (up to 2) as the limit has, so a usual range of 0-2.5° never prints as "0° to 3°"."""
    places = DECIMALS.get(unit, 1)
    while places < 2 and abs(round(value, places) - value) > 1e-9:
        places += 1
    return language(lang).decimal(round(value, places) + 0.0, places) + SUFFIX.get(unit, "")


def plus_minus(
    value: float | None, uncertainty: float, unit: str, lang: str | None = DEFAULT
) -> str:
    """value ± uncertainty, e.g. "15 ± 3°"."""
    if value is None or not math.isfinite(value):
        return "-"
    return (
        f"{digits(value, unit, lang=lang)} ± {digits(uncertainty, unit, lang=lang)}"
        f"{SUFFIX.get(unit, '')}"
    )
