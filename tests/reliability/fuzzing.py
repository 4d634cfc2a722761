"""Hypothesis settings and strategies shared by the fuzz tests.

The suite runs a fixed, small number of examples with a fixed seed (fast, never
flaky). For a longer hunt:

    BACKCARE_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/reliability -k fuzz

(a random seed then, and many more examples; a failure prints the input to replay).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

HUNT = int(os.environ.get("BACKCARE_FUZZ_EXAMPLES", "0"))
FAST_SHARE = 10  # the "fast" profile (tests/conftest.py) runs one example in ten


def fuzz_settings(examples: int) -> settings:
    if settings.get_current_profile_name() == "fast":
        examples = max(3, examples // FAST_SHARE)
    return settings(
        max_examples=HUNT or examples,
        deadline=None,
        derandomize=not HUNT,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# pieces of YAML that break files in interesting ways
YAML_SNIPPETS = [
    "&a x",
    "*a",
    "*undefined",
    "!tag x",
    "!!python/object/apply:os.system ['true']",
    "<<: *a",
    "? [a, b]\n: c",
    "{",
    "]",
    "'unclosed",
    '"\\x"',
    "- - -",
    "null",
    "~",
    "1e999",
    ".nan",
    "-.inf",
    "0x1F",
    "0o17",
    "2024-01-01",
    "12:30",
    "yes",
    "no",
    "on",
    "\t",
    "\ufeff",
    "\u202e",
    "%YAML 1.1",
    "---",
    "...",
    "|",
    ">-",
    "&a [*a]",
    "[]",
    "{}",
    "''",
    "-1",
    "999999999999999999999",
    "é",
    "日本語",
    "<b>x</b>",
    "a: b: c",
    ": x",
    "- x",
    "x:",
    "  x: 1",
]


def yaml_printable(ch: str) -> bool:
    """Characters YAML allows in a file; the others (C0/C1 controls, DEL, surrogates,
    U+FFFE/FFFF) have a test of their own, test_fuzz_loaders.test_a_control_character..."""
    c = ord(ch)
    return (
        c in (0x9, 0xA, 0xD, 0x85)
        or 0x20 <= c <= 0x7E
        or 0xA0 <= c <= 0xD7FF
        or 0xE000 <= c <= 0xFFFD
        or c >= 0x10000
    )


PRINTABLE = st.characters().filter(yaml_printable)
SCALARS = st.one_of(
    st.sampled_from(YAML_SNIPPETS),
    st.text(PRINTABLE, max_size=12),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def mutated(draw, text: str) -> str:
    """``text`` with one to four edits a careless or hostile hand might make."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(
                ["delete", "duplicate", "swap", "value", "insert", "indent", "truncate", "key"]
            )
        )
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "value" and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {draw(SCALARS)}"
        elif op == "key" and ":" in lines[i]:
            indent = len(lines[i]) - len(lines[i].lstrip())
            lines[i] = " " * indent + f"{draw(SCALARS)}:{lines[i].split(':', 1)[1]}"
        elif op == "insert":
            lines.insert(i, " " * draw(st.integers(0, 10)) + draw(SCALARS))
        elif op == "indent":
            lines[i] = " " * draw(st.integers(0, 3)) + lines[i]
        elif op == "truncate":
            cut = draw(st.integers(0, len(lines[i])))
            lines = lines[:i] + [lines[i][:cut]]
    return "\n".join(lines)


# JSON-like values of any shape (what a YAML file can become)
JSONISH = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=10)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
