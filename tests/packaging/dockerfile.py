"""The Dockerfile read as data, so tests can check it and replay its steps without Docker."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str
    line: int


@dataclass(frozen=True)
class Dockerfile:
    instructions: tuple[Instruction, ...]

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        found: list[Instruction] = []
        pending, start = "", 0
        for number, raw in enumerate(path.read_text().splitlines(), start=1):
            line = raw.strip()
            if not pending and (not line or line.startswith("#")):
                continue
            if not pending:
                start = number
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            whole = (pending + line).strip()
            pending = ""
            keyword, _, argument = whole.partition(" ")
            found.append(Instruction(keyword.upper(), argument.strip(), start))
        return cls(tuple(found))

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def index(self, instruction: Instruction) -> int:
        return self.instructions.index(instruction)

    def copies(self) -> list[tuple[str, str]]:
        """(source, destination) for every source of every COPY."""
        pairs = []
        for copy in self.all("COPY"):
            *sources, target = shlex.split(copy.argument)
            pairs += [(source, target) for source in sources]
        return pairs

    def pip_steps(self) -> list[tuple[Instruction, list[str]]]:
        """Every `pip ...` command of every RUN, as arguments after `python -m`."""
        steps = []
        for run in self.all("RUN"):
            for command in run.argument.split("&&"):
                words = shlex.split(command)
                if words and words[0] == "pip":
                    steps.append((run, ["pip", *words[1:]]))
        return steps

    def dependency_steps(self) -> list[list[str]]:
        return [step for _, step in self.pip_steps() if "-r" in step]

    def project_steps(self) -> list[list[str]]:
        return [step for _, step in self.pip_steps() if "-r" not in step]
