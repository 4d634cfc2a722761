"""One way to write a measured number, shared by the pictures, the chat and the report."""

from __future__ import annotations

import math

import pytest

from backcare.kernel.units import digits, limit, number, plus_minus, rounded


@pytest.mark.parametrize(
    "value, unit, text",
    [
        (15.24, "deg", "15°"),
        (2.5, "deg", "3°"),  # half away from zero, as people round
        (-2.5, "deg", "-3°"),
        (-0.4, "deg", "0°"),  # no "-0"
        (3.46, "%", "3.5%"),
        (0.055, "ratio", "0.06"),
        (None, "deg", "-"),
        (math.nan, "%", "-"),
    ],
)
def test_a_number_is_written_with_one_rounding_per_unit(value, unit, text):
    assert number(value, unit) == text


def test_signed_numbers_and_intervals():
    assert number(64.6, "deg", signed=True) == "+65°"
    assert number(-14.4, "deg", signed=True) == "-14°"
    assert number(0.2, "deg", signed=True) == "0°"
    assert digits(3.46, "%", signed=True) == "+3.5"
    assert plus_minus(15.2, 3.0, "deg") == "15 ± 3°"
    assert plus_minus(0.38, 0.081, "ratio") == "0.38 ± 0.08"
    assert rounded(0.125, "ratio") == 0.13


def test_a_range_limit_is_written_as_its_source_gives_it():
    # issue 16 (audit): a usual range of 0-2.5 deg printed as "0° to 3°", so 2.7 read as
    # "3" and "more than usual" beside a printed limit of 3
    assert limit(2.5, "deg") == "2.5°" and limit(16, "deg") == "16°"
    assert limit(-2, "%") == "-2.0%" and limit(1.25, "%") == "1.25%"
    assert limit(0.45, "ratio") == "0.45"


def test_every_band_of_the_thresholds_prints_exactly():
    from backcare.assessment.thresholds import thresholds

    for rule in thresholds().rules.values():
        for band in rule.bands:
            for value in (band.low, band.high):
                shown = limit(value, rule.unit).rstrip("°%")
                assert float(shown) == pytest.approx(value, abs=1e-9), (rule.name, value)


def test_the_digits_follow_the_language_asked():
    from backcare.kernel.units import limit, number, plus_minus

    assert number(15.24, "deg", lang="ja") == "15°" and number(3.46, "%", lang="en") == "3.5%"
    assert plus_minus(15.2, 3, "deg", "ja") == "15 ± 3°" and limit(2.5, "deg", "ja") == "2.5°"
    assert number(-0.2, "deg", signed=True) == "0°"  # no "+0" or "-0"
