"""Who a reference range holds for, as data; each language writes it from its own words.

A :class:`Population` has one canonical form, the one ``Observation.population`` stores and
report.json shows ("women, age 40-59", "under 40", "other adults", "adults (age not
given)"); :meth:`Population.words` writes it from a language's templates (the
``population`` table of backcare/application/report_texts.yaml) and :meth:`Population.parse` reads the
canonical form back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# the templates every language gives ({start}, {end}: ages; {what}: what was not given)
TEMPLATES = {
    "women": set(),
    "men": set(),
    "age_range": {"start", "end"},
    "age_from": {"start"},
    "under": {"end"},
    "adults": set(),
    "other": set(),
    "not_given": {"what"},
    "age": set(),
    "sex": set(),
    "and": set(),
    "joiner": set(),
}
# the canonical form: the storage format, not a patient's text
CANONICAL = {
    "women": "women",
    "men": "men",
    "age_range": "age {start}-{end}",
    "age_from": "age {start}+",
    "under": "under {end}",
    "adults": "adults",
    "other": "other adults",
    "not_given": "adults ({what} not given)",
    "age": "age",
    "sex": "sex",
    "and": " and ",
    "joiner": ", ",
}
_SEX_WORDS = {"female": "women", "male": "men"}


@dataclass(frozen=True)
class Population:
    sex: str | None = None  # "female" | "male"
    age: tuple[int | None, int | None] | None = None  # [from, to) in years
    other: bool = False  # the adults a rule's specific bands leave
    unknown: tuple[str, ...] = ()  # what the profile lacked to choose a band: "age", "sex"

    def words(self, t: Mapping[str, str]) -> str:
        """The population in the language whose templates ``t`` are."""
        if self.unknown:
            return t["not_given"].format(what=t["and"].join(t[u] for u in self.unknown))
        if self.other:
            return t["other"]
        parts = [t[_SEX_WORDS[self.sex]]] if self.sex else []
        if self.age:
            start, end = self.age
            if end is None:
                parts.append(t["age_from"].format(start=start))
            elif start is None:
                parts.append(t["under"].format(end=end))
            else:
                parts.append(t["age_range"].format(start=start, end=end - 1))
        return t["joiner"].join(parts) or t["adults"]

    def __str__(self) -> str:
        return self.words(CANONICAL)

    @classmethod
    def parse(cls, text: str) -> Population | None:
        """The population a canonical text names, or None for any other text."""
        m = re.fullmatch(r"adults \(((?:age|sex)(?: and (?:age|sex))*) not given\)", text)
        if m:
            return cls(unknown=tuple(m.group(1).split(" and ")))
        if text == "other adults":
            return cls(other=True)
        if text == "adults":
            return cls()
        sex: str | None = None
        age: tuple[int | None, int | None] | None = None
        for part in text.split(", "):
            if part in ("women", "men"):
                sex = "female" if part == "women" else "male"
            elif m := re.fullmatch(r"age (\d+)-(\d+)", part):
                age = (int(m.group(1)), int(m.group(2)) + 1)
            elif m := re.fullmatch(r"age (\d+)\+", part):
                age = (int(m.group(1)), None)
            elif m := re.fullmatch(r"under (\d+)", part):
                age = (None, int(m.group(1)))
            else:
                return None
        return cls(sex=sex, age=age)
