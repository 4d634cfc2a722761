"""The words on the annotated pictures (``labels.yaml``), a catalogue like every other
(backcare/kernel/catalogue.py): every entry in every language of the table, the same
placeholders in each, the header's templates and the view, side and movement words the
pictures need."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.kernel.catalogue import Catalogue, parse_catalogue
from backcare.kernel.translations import load_translated
from backcare.vision.types import Movement, ViewKind

PATH = Path(__file__).with_name("labels.yaml")
HEADER = ("view", "facing", "pose")


@dataclass(frozen=True)
class Labels:
    texts: Catalogue  # names.<measurement>, header.<view|facing|pose>, words.<word>

    def name(self, measurement: str, lang: str) -> str:
        key = f"names.{measurement}"
        return self.texts.get(key, lang) if self.texts.has(key) else measurement

    def template(self, key: str, lang: str) -> str:
        return self.texts.table[f"header.{key}"].get(lang) or self.texts.get(f"header.{key}", lang)

    def word(self, key: str, lang: str) -> str:
        return self.texts.get(f"words.{key}", lang) if self.texts.has(f"words.{key}") else key


def parse(data: Any, filename: str, words: Iterable[str] = ()) -> Labels:
    required = [f"header.{k}" for k in HEADER] + [f"words.{w}" for w in words]
    return Labels(parse_catalogue(data, filename, required=required))


@lru_cache(maxsize=1)
def labels() -> Labels:
    needed = [*(v.value for v in ViewKind), *(m.value for m in Movement), "left", "right"]
    return parse(load_translated(PATH), str(PATH), needed)
