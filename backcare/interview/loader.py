"""Load and validate interview.yaml into an :class:`Interview`.

Every problem names the file, the line and the field (backcare.kernel.yamlfile's
Checker), and all problems are reported at once so an admin fixes the file in
one go. Refused: YAML syntax errors, unknown fields and question types, a
condition or branch that names a missing question, a branch back to an earlier
question (a cycle) or a condition on a question asked later, a missing
translation, a bad red-flag rule, a fact the vocabulary does not know, and a
vocabulary fact the interview neither derives nor marks ``not_asked``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeGuard

from backcare.interview.conditions import (
    OPS,
    AllOf,
    AnyOf,
    AtLeast,
    Compare,
    Condition,
    Not,
    both,
    questions_in,
)
from backcare.interview.model import (
    CHOICE_TYPES,
    END,
    QUESTION_TYPES,
    Branch,
    FactRule,
    Interview,
    Option,
    Question,
    RedFlagRule,
    Score,
    Section,
    Text,
)
from backcare.kernel.catalogue import check_text
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.translations import INTERVIEW, translate
from backcare.kernel.vocabulary import ADVICE, STOPS, URGENCIES, Vocabulary, vocabulary
from backcare.kernel.yamlfile import Checker, line_of, loads, read_text

# Ids travel in button data (Telegram allows 64 bytes: "a:<question>:<option>").
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,23}$")
MAX_TEXT_LENGTH = 4000
MAX_SCALE_STEPS = 21

_QUESTION_FIELDS = {
    "common": {"id", "type", "text", "help", "optional", "when", "next", "recheck"},
    "single": {"options"},
    "multiple": {"options"},
    "body_map": {"regions"},
    "number": {"min", "max", "integer", "unit"},
    "scale": {"min", "max", "labels"},
    "yes_no": set(),
    "text": {"max_length"},
}


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_interview(path: str | Path, vocab: Vocabulary | None = None) -> Interview:
    """Read and validate an interview file. Raises DataFileError listing every problem."""
    return loads_interview(read_text(path), str(path), vocab)


def loads_interview(
    text: str, filename: str = "<string>", vocab: Vocabulary | None = None
) -> Interview:
    data = translate(loads(text, filename), INTERVIEW)  # a later language's own file
    return parse_interview(data, filename, digest_of(text), vocab)


def parse_interview(
    data: Any, filename: str, digest: str, vocab: Vocabulary | None = None
) -> Interview:
    return _Parser(filename, vocab or vocabulary()).parse(data, digest)


class _Parser:
    def __init__(self, filename: str, vocab: Vocabulary):
        self.check = Checker(filename)
        self.filename = filename
        self.vocab = vocab
        self.questions: dict[str, Question] = {}
        self.index: dict[str, int] = {}
        self.scores: dict[str, Score] = {}

    # -- helpers ------------------------------------------------------------
    def known_fields(self, node: dict, allowed: set[str], field: str) -> None:
        for key in node:
            if key not in allowed:
                self.check.problem(
                    node,
                    key,
                    f"{field}.{key}" if field else str(key),
                    f"unknown field (expected one of {', '.join(sorted(allowed))})",
                )

    def ident(self, node: Any, key: str, field: str) -> str | None:
        value = self.check.need(node, key, field, str)
        if value is not None and not ID_RE.match(value):
            self.check.problem(
                node,
                key,
                f"{field}.{key}",
                f"{value!r}: ids are lowercase letters, digits and _ (at most 24)",
            )
            return None
        return value

    def text(
        self, node: Any, key: str, field: str, required: bool = True, script: bool = True
    ) -> Text | None:
        value = self.check.need(node, key, field, dict, required=required)
        if value is None:
            return None
        return self.languages(value, f"{field}.{key}", script=script)

    def languages(
        self, value: dict, field: str, others: tuple[str, ...] = (), script: bool = True
    ) -> Text | None:
        """The {language: text} entries of ``value`` (the one check of every text,
        backcare.kernel.catalogue.check_text); ``others`` are its non-language keys."""
        text = check_text(self.check, value, field, others=others, script=script)
        return None if text is None else {lang: words.strip() for lang, words in text.items()}

    def number(
        self, node: dict, key: str, field: str, required: bool, default: float | None = None
    ):
        value = self.check.need(node, key, field, float, required=required)
        return default if value is None else value

    # -- the file -----------------------------------------------------------
    def parse(self, data: Any, digest: str) -> Interview:
        check = self.check
        if not isinstance(data, dict):
            check.problem(
                data,
                None,
                "",
                "expected a mapping with version, title, sections, scores, red_flags, facts",
            )
            check.raise_if_any()
        self.known_fields(
            data, {"version", "title", "profile", "sections", "scores", "red_flags", "facts"}, ""
        )
        version = check.need(data, "version", "", (str, int, float))
        title = self.text(data, "title", "")
        raw_sections = check.need(data, "sections", "", list) or []

        # Pass 1: questions without conditions (conditions need every question's type).
        sections, raw = self.sections(raw_sections)
        self.scores = self.parse_scores(data)
        # Pass 2: conditions and branches.
        section_when = {
            s_id: self.condition(node, f"sections.{s_id}.when", before=first)
            for s_id, (node, first) in raw["section_when"].items()
        }
        for qid, node in raw["questions"].items():
            q = self.questions[qid]
            field = f"questions.{qid}"
            when = (
                self.condition(node["when"], f"{field}.when", before=qid)
                if "when" in node
                else None
            )
            branches = self.branches(node, qid, field)
            self.questions[qid] = replace(
                q, when=both(section_when.get(q.section), when), next=branches
            )

        red_flags = self.red_flags(data)
        facts, not_asked = self.facts(data, red_flags)
        age_q, sex_q = self.profile(data)
        check.raise_if_any()
        return Interview(
            version=str(version),
            digest=digest,
            source=self.filename,
            title=title or {},
            sections=tuple(sections),
            questions=dict(self.questions),
            scores=self.scores,
            red_flags=tuple(red_flags),
            facts=facts,
            not_asked=not_asked,
            profile_age=age_q,
            profile_sex=sex_q,
        )

    def sections(self, raw_sections: list) -> tuple[list[Section], dict]:
        check = self.check
        sections: list[Section] = []
        raw: dict[str, dict] = {"questions": {}, "section_when": {}}
        seen_sections: set[str] = set()
        for i, node in enumerate(raw_sections):
            if not isinstance(node, dict):
                check.problem(raw_sections, i, f"sections[{i}]", "expected a mapping")
                continue
            sid = self.ident(node, "id", f"sections[{i}]") or f"#{i}"
            field = f"sections.{sid}"
            if sid in seen_sections:
                check.problem(node, "id", f"{field}.id", "duplicate section id")
            seen_sections.add(sid)
            self.known_fields(node, {"id", "title", "intro", "when", "questions"}, field)
            title = self.text(node, "title", field)
            intro = self.text(node, "intro", field, required=False)
            items = check.need(node, "questions", field, list) or []
            if not items:
                check.problem(
                    node, "questions", f"{field}.questions", "a section needs at least one question"
                )
            ids: list[str] = []
            for j, qnode in enumerate(items):
                q = self.question(qnode, sid, f"{field}.questions[{j}]", items, j)
                if q is not None:
                    ids.append(q.id)
                    raw["questions"][q.id] = qnode
            if "when" in node and ids:
                raw["section_when"][sid] = (node["when"], ids[0])
            sections.append(Section(id=sid, title=title or {}, intro=intro, questions=tuple(ids)))
        if not raw["questions"]:
            check.problem(
                raw_sections, None, "sections", "the interview needs at least one question"
            )
        return sections, raw

    def question(self, node: Any, section: str, where: str, items: list, j: int) -> Question | None:
        check = self.check
        if not isinstance(node, dict):
            check.problem(items, j, where, "expected a mapping")
            return None
        qid = self.ident(node, "id", where)
        if qid is None:
            return None
        field = f"questions.{qid}"
        if qid in self.questions:
            check.problem(node, "id", f"{field}.id", "duplicate question id")
            return None
        qtype = check.need(node, "type", field, str)
        if qtype is not None and qtype not in QUESTION_TYPES:
            check.problem(
                node,
                "type",
                f"{field}.type",
                f"unknown question type {qtype!r} (expected one of {', '.join(QUESTION_TYPES)})",
            )
            qtype = None
        allowed = _QUESTION_FIELDS["common"] | (
            _QUESTION_FIELDS[qtype] if qtype else set().union(*_QUESTION_FIELDS.values())
        )
        self.known_fields(node, allowed, field)
        text = self.text(node, "text", field)
        help_text = self.text(node, "help", field, required=False)
        optional = check.need(node, "optional", field, bool, required=False) or False
        recheck = check.need(node, "recheck", field, bool, required=False) or False
        q = Question(
            id=qid,
            type=qtype or "text",
            section=section,
            text=text or {},
            help=help_text,
            required=not optional,
            recheck=recheck,
            line=line_of(node),
        )
        if qtype in ("single", "multiple"):
            q = replace(q, options=self.options(node, "options", field, multi=qtype == "multiple"))
        elif qtype == "body_map":
            q = replace(q, options=self.options(node, "regions", field, multi=True))
        elif qtype == "number":
            low = self.number(node, "min", field, True)
            high = self.number(node, "max", field, True)
            if low is not None and high is not None and low >= high:
                check.problem(node, "max", f"{field}.max", "max must be greater than min")
            integer = check.need(node, "integer", field, bool, required=False) or False
            q = replace(
                q,
                min=low,
                max=high,
                integer=integer,
                unit=self.text(node, "unit", field, required=False, script=False),
            )
        elif qtype == "scale":
            low = self.number(node, "min", field, False, 0.0)
            high = self.number(node, "max", field, False, 10.0)
            if low != int(low) or high != int(high) or not 0 < high - low < MAX_SCALE_STEPS:
                check.problem(
                    node,
                    "max",
                    f"{field}.max",
                    f"a scale runs between whole numbers with at most {MAX_SCALE_STEPS} steps",
                )
            labels: dict[str, Text] = {}
            raw_labels = check.need(node, "labels", field, dict, required=False)
            if raw_labels is not None:
                self.known_fields(raw_labels, {"min", "max"}, f"{field}.labels")
                for end in ("min", "max"):
                    label = self.text(raw_labels, end, f"{field}.labels", required=False)
                    if label:
                        labels[end] = label
            q = replace(q, min=low, max=high, integer=True, labels=labels)
        elif qtype == "text":
            length = check.need(node, "max_length", field, int)
            if length is not None and not 1 <= length <= MAX_TEXT_LENGTH:
                check.problem(
                    node,
                    "max_length",
                    f"{field}.max_length",
                    f"must be between 1 and {MAX_TEXT_LENGTH}",
                )
            q = replace(q, max_length=length)
        self.questions[qid] = q
        self.index[qid] = len(self.index)
        return q

    def options(self, node: dict, key: str, field: str, multi: bool) -> tuple[Option, ...]:
        check = self.check
        items = check.need(node, key, field, list) or []
        if len(items) < 2:
            check.problem(node, key, f"{field}.{key}", "needs at least two choices")
        out: list[Option] = []
        seen: set[str] = set()
        for k, item in enumerate(items):
            where = f"{field}.{key}[{k}]"
            if not isinstance(item, dict):
                check.problem(items, k, where, "expected a mapping {id, en, ja}")
                continue
            oid = self.ident(item, "id", where)
            if oid is None:
                continue
            where = f"{field}.{key}.{oid}"
            if oid in seen:
                check.problem(item, "id", where, "duplicate choice id")
            seen.add(oid)
            self.known_fields(item, {"id", "points", "exclusive", *LANGUAGES}, where)
            text = self.languages(item, where, others=("id", "points", "exclusive")) or {}
            points = check.need(item, "points", where, float, required=False)
            exclusive = check.need(item, "exclusive", where, bool, required=False) or False
            if exclusive and not multi:
                check.problem(
                    item,
                    "exclusive",
                    f"{where}.exclusive",
                    "only a multiple choice can have an exclusive choice",
                )
            out.append(Option(id=oid, text=text, points=points, exclusive=exclusive))
        return tuple(out)

    # -- conditions ---------------------------------------------------------
    def condition(self, node: Any, field: str, before: str | None = None) -> Condition | None:
        """Parse a condition. ``before``: it may only name questions asked before this one."""
        check = self.check
        if not isinstance(node, dict):
            check.problem(
                node,
                None,
                field,
                "a condition is a mapping: {q, op, value}, {score, op, value}, all, any, not"
                " or {at_least, of}",
            )
            return None
        keys = set(node)
        if "at_least" in keys or "of" in keys:
            return self.at_least(node, field, before)
        if keys & {"all", "any"}:
            self.known_fields(node, {"all", "any"}, field)
            if len(keys & {"all", "any"}) > 1:
                check.problem(node, None, field, "use one of all / any per mapping")
            key = "all" if "all" in node else "any"
            parts_raw = node[key]
            if not isinstance(parts_raw, list) or not parts_raw:
                check.problem(
                    node, key, f"{field}.{key}", "expected a non-empty list of conditions"
                )
                return None
            parsed = [
                self.condition(p, f"{field}.{key}[{i}]", before) for i, p in enumerate(parts_raw)
            ]
            parts = tuple(p for p in parsed if p is not None)
            if len(parts) < len(parsed):
                return None
            return AllOf(parts) if key == "all" else AnyOf(parts)
        if "not" in keys:
            self.known_fields(node, {"not"}, field)
            part = self.condition(node["not"], f"{field}.not", before)
            return None if part is None else Not(part)
        if "q" in keys or "score" in keys:
            return self.compare(node, field, before)
        check.problem(node, None, field, "a condition needs q, score, all, any, not or at_least")
        return None

    def at_least(self, node: dict, field: str, before: str | None) -> Condition | None:
        """{at_least: n, of: [conditions]}: criteria counted, e.g. 4 of 5 (ASAS)."""
        check = self.check
        self.known_fields(node, {"at_least", "of"}, field)
        count = check.need(node, "at_least", field, int)
        parts_raw = check.need(node, "of", field, list)
        if count is None or parts_raw is None:
            return None
        if isinstance(count, bool) or not 1 <= count <= len(parts_raw):
            check.problem(
                node,
                "at_least",
                f"{field}.at_least",
                f"expected a whole number from 1 to {len(parts_raw)} (the conditions listed)",
            )
            return None
        parsed = [self.condition(p, f"{field}.of[{i}]", before) for i, p in enumerate(parts_raw)]
        parts = tuple(p for p in parsed if p is not None)
        if len(parts) < len(parsed):
            return None
        return AtLeast(count, parts)

    def compare(self, node: dict, field: str, before: str | None) -> Compare | None:
        check = self.check
        kind = "q" if "q" in node else "score"
        self.known_fields(node, {kind, "op", "value"}, field)
        ref = check.need(node, kind, field, str)
        op = check.need(node, "op", field, str)
        if ref is None or op is None:
            return None
        if op not in OPS:
            check.problem(
                node,
                "op",
                f"{field}.op",
                f"unknown operator {op!r} (expected one of {', '.join(OPS)})",
            )
            return None
        value = node.get("value")
        if op != "answered" and "value" not in node:
            check.problem(node, None, f"{field}.value", "missing")
            return None
        line = line_of(node, kind)
        if kind == "score":
            score = self.scores.get(ref)
            if score is None:
                check.problem(node, "score", f"{field}.score", f"unknown score {ref!r}")
                return None
            if op not in ("==", "!=", *("<", "<=", ">", ">="), "answered"):
                check.problem(
                    node, "op", f"{field}.op", f"operator {op!r} does not apply to a score"
                )
                return None
            number: float | None = None
            if op != "answered":
                if not _is_number(value):
                    check.problem(
                        node, "value", f"{field}.value", "a score is compared with a number"
                    )
                    return None
                number = float(value)
            if before is not None:
                for item in _score_questions(score):
                    self.asked_before(node, "score", field, item, before)
            return Compare("score", ref, op, number, line)
        q = self.questions.get(ref)
        if q is None:
            check.problem(node, "q", f"{field}.q", f"unknown question {ref!r}")
            return None
        if before is not None and not self.asked_before(node, "q", field, ref, before):
            return None
        if q.type not in OPS[op]:
            check.problem(
                node,
                "op",
                f"{field}.op",
                f"operator {op!r} does not apply to a {q.type} question ({ref})",
            )
            return None
        value = self.compare_value(node, field, q, op, value)
        if value is _BAD:
            return None
        return Compare("q", ref, op, value, line)

    def asked_before(self, node: dict, key: str, field: str, ref: str, before: str) -> bool:
        if ref in self.index and before in self.index and self.index[ref] >= self.index[before]:
            what = (
                "itself" if ref == before else f"question {ref!r}, which is asked after {before!r}"
            )
            self.check.problem(
                node,
                key,
                f"{field}.{key}",
                f"a condition on {what}: it can only use earlier answers",
            )
            return False
        return True

    def compare_value(self, node: dict, field: str, q: Question, op: str, value: Any) -> Any:
        check = self.check
        if op == "answered":
            return None
        many = op in ("in", "contains_any")
        values = value if many else [value]
        if many and (not isinstance(value, list) or not value):
            check.problem(
                node, "value", f"{field}.value", f"operator {op!r} needs a non-empty list"
            )
            return _BAD
        for v in values:
            if q.type in CHOICE_TYPES:
                if v not in q.option_ids:
                    check.problem(
                        node,
                        "value",
                        f"{field}.value",
                        f"{v!r} is not a choice of {q.id} ({', '.join(q.option_ids)})",
                    )
                    return _BAD
            elif q.type == "yes_no":
                if not isinstance(v, bool):
                    check.problem(
                        node,
                        "value",
                        f"{field}.value",
                        "a yes/no question is compared with true or false",
                    )
                    return _BAD
            elif not _is_number(v):
                check.problem(node, "value", f"{field}.value", f"{q.id} is compared with a number")
                return _BAD
        if q.type in ("number", "scale"):
            values = [float(v) for v in values]
        return list(values) if many else values[0]

    def branches(self, node: dict, qid: str, field: str) -> tuple[Branch, ...]:
        check = self.check
        raw = check.need(node, "next", field, list, required=False)
        if raw is None:
            return ()
        out: list[Branch] = []
        for i, item in enumerate(raw):
            where = f"{field}.next[{i}]"
            if not isinstance(item, dict):
                check.problem(raw, i, where, "expected a mapping {when, goto}")
                continue
            self.known_fields(item, {"when", "goto"}, where)
            goto = check.need(item, "goto", where, str)
            # A branch may test the question's own answer, hence before=None plus a check below.
            when = self.condition(item["when"], f"{where}.when") if "when" in item else None
            for ref in questions_in(when):
                if ref in self.index and self.index[ref] > self.index[qid]:
                    check.problem(
                        item,
                        "when",
                        f"{where}.when",
                        f"a condition on question {ref!r}, which is asked later",
                    )
            if goto is None:
                continue
            if goto != END and goto not in self.questions:
                check.problem(item, "goto", f"{where}.goto", f"branch to unknown question {goto!r}")
                continue
            if goto != END and self.index[goto] <= self.index[qid]:
                path = [
                    q
                    for q in self.questions
                    if self.index[goto] <= self.index[q] <= self.index[qid]
                ]
                check.problem(
                    item,
                    "goto",
                    f"{where}.goto",
                    f"branch back to {goto!r} makes a cycle: {' -> '.join(path + [goto])}",
                )
                continue
            out.append(Branch(when=when, goto=goto, line=line_of(item, "goto")))
        return tuple(out)

    # -- scores, red flags, facts ----------------------------------------------
    def parse_scores(self, data: dict) -> dict[str, Score]:
        check = self.check
        raw = check.need(data, "scores", "", dict, required=False) or {}
        out: dict[str, Score] = {}
        for name, node in raw.items():
            field = f"scores.{name}"
            if not isinstance(name, str) or not ID_RE.match(name):
                check.problem(raw, name, field, "score names are lowercase letters, digits and _")
                continue
            if not isinstance(node, dict):
                check.problem(raw, name, field, "expected a mapping with sum, bmi or value")
                continue
            self.known_fields(node, {"sum", "bmi", "value", "source"}, field)
            source = check.need(node, "source", field, str, required=False) or ""
            kinds = [k for k in ("sum", "bmi", "value") if k in node]
            if len(kinds) != 1:
                check.problem(raw, name, field, "a score has exactly one of sum, bmi, value")
                continue
            kind = kinds[0]
            if kind == "sum":
                items = check.need(node, "sum", field, list) or []
                ok = bool(items)
                if not items:
                    check.problem(node, "sum", f"{field}.sum", "needs at least one question")
                for i, item in enumerate(items):
                    q = self.questions.get(item) if isinstance(item, str) else None
                    if q is None:
                        check.problem(items, i, f"{field}.sum[{i}]", f"unknown question {item!r}")
                        ok = False
                    elif not _scorable(q):
                        check.problem(
                            items,
                            i,
                            f"{field}.sum[{i}]",
                            f"{item}: only yes/no, scale, number questions and choices with points add up",
                        )
                        ok = False
                if ok:
                    out[name] = Score(name, "sum", items=tuple(items), source=source)
            elif kind == "bmi":
                parts = check.need(node, "bmi", field, dict) or {}
                self.known_fields(parts, {"weight", "height"}, f"{field}.bmi")
                refs = {}
                for part in ("weight", "height"):
                    ref = check.need(parts, part, f"{field}.bmi", str)
                    q = self.questions.get(ref) if ref else None
                    if ref is not None and (q is None or q.type != "number"):
                        check.problem(
                            parts, part, f"{field}.bmi.{part}", f"{ref!r} is not a number question"
                        )
                    refs[part] = ref
                if all(refs.values()):
                    out[name] = Score(
                        name, "bmi", weight=refs["weight"], height=refs["height"], source=source
                    )
            else:
                ref = check.need(node, "value", field, str)
                q = self.questions.get(ref) if ref else None
                if ref is not None and (q is None or q.type not in ("number", "scale")):
                    check.problem(
                        node,
                        "value",
                        f"{field}.value",
                        f"{ref!r} is not a number or scale question",
                    )
                elif ref is not None:
                    out[name] = Score(name, "value", items=(ref,), source=source)
        return out

    def red_flags(self, data: dict) -> list[RedFlagRule]:
        """Triage rules (backcare/interview/triage.py combines them): each names its level,
        its source and, for a red-flag fact, the vocabulary fact it establishes."""
        check = self.check
        raw = check.need(data, "red_flags", "", list) or []
        vocab_flags = self.vocab.red_flags()
        out: list[RedFlagRule] = []
        seen: set[str] = set()
        for i, node in enumerate(raw):
            if not isinstance(node, dict):
                check.problem(
                    raw,
                    i,
                    f"red_flags[{i}]",
                    "expected a mapping {id, fact, urgency, when, message, source}",
                )
                continue
            rid = self.ident(node, "id", f"red_flags[{i}]") or f"#{i}"
            field = f"red_flags.{rid}"
            if rid in seen:
                check.problem(node, "id", f"{field}.id", "duplicate red-flag rule id")
            seen.add(rid)
            self.known_fields(
                node, {"id", "fact", "urgency", "advice", "when", "message", "source"}, field
            )
            fact = node.get("fact")
            urgency = check.need(node, "urgency", field, str)
            advice = node.get("advice")
            source = check.need(node, "source", field, str)
            ok = urgency is not None and source is not None
            if source is not None and not source.strip():
                check.problem(node, "source", f"{field}.source", "name the source: author, year")
                ok = False
            if fact is not None and fact not in vocab_flags:
                why = (
                    f"{fact!r} is not a red-flag fact (it has no red_flag urgency in backcare/kernel/vocabulary.yaml)"
                    if fact in self.vocab.facts
                    else f"unknown fact {fact!r}: not in backcare/kernel/vocabulary.yaml"
                )
                check.problem(node, "fact", f"{field}.fact", why)
                ok = False
            if urgency is not None and urgency not in URGENCIES:
                check.problem(
                    node,
                    "urgency",
                    f"{field}.urgency",
                    f"unknown urgency {urgency!r} (expected one of {', '.join(URGENCIES)})",
                )
                ok = False
            elif (
                ok
                and fact is not None
                and URGENCIES.index(urgency) > URGENCIES.index(vocab_flags[fact])
            ):
                check.problem(
                    node,
                    "urgency",
                    f"{field}.urgency",
                    f"{fact} is {vocab_flags[fact]!r} on its own in backcare/kernel/vocabulary.yaml; "
                    f"a rule may make it more urgent, not {urgency!r}",
                )
                ok = False
            if advice is not None and advice not in ADVICE:
                check.problem(
                    node,
                    "advice",
                    f"{field}.advice",
                    f"unknown advice {advice!r} (expected one of {', '.join(ADVICE)})",
                )
                ok = False
            elif urgency == "routine" and advice is None:
                check.problem(
                    node,
                    "urgency",
                    f"{field}.advice",
                    "a routine rule keeps self-care: say which advice it adds "
                    f"({', '.join(ADVICE)})",
                )
                ok = False
            elif urgency not in (None, "routine") and advice is not None:
                check.problem(
                    node,
                    "advice",
                    f"{field}.advice",
                    f"advice goes with urgency routine; {urgency} already stops self-care",
                )
                ok = False
            if fact is None and urgency in STOPS:
                check.problem(
                    node,
                    None,
                    f"{field}.fact",
                    "missing: a rule that stops self-care names its fact",
                )
                ok = False
            if "when" not in node:
                check.problem(
                    node, None, f"{field}.when", "missing: a red-flag rule needs a condition"
                )
                ok = False
            when = self.condition(node["when"], f"{field}.when") if "when" in node else None
            message = self.text(node, "message", field)
            if ok and when is not None and message is not None:
                out.append(
                    RedFlagRule(
                        id=rid,
                        fact=fact,
                        urgency=urgency,
                        when=when,
                        message=message,
                        source=source.strip(),
                        advice=advice,
                    )
                )
        return out

    def facts(
        self, data: dict, red_flags: list[RedFlagRule]
    ) -> tuple[dict[str, FactRule], dict[str, str]]:
        check = self.check
        raw = check.need(data, "facts", "", dict)
        if raw is None:
            return {}, {}
        rules: dict[str, FactRule] = {}
        not_asked: dict[str, str] = {}
        flagged = {r.fact for r in red_flags}
        for name, node in raw.items():
            field = f"facts.{name}"
            if name not in self.vocab.facts:
                check.problem(
                    raw,
                    name,
                    field,
                    f"unknown fact {name!r}: not in backcare/kernel/vocabulary.yaml",
                )
                continue
            if not isinstance(node, dict):
                check.problem(raw, name, field, "expected {when: condition} or {not_asked: reason}")
                continue
            self.known_fields(node, {"when", "not_asked"}, field)
            if ("when" in node) == ("not_asked" in node):
                check.problem(raw, name, field, "give exactly one of when or not_asked")
                continue
            if "not_asked" in node:
                reason = check.need(node, "not_asked", field, str)
                if reason is not None:
                    not_asked[name] = reason
                continue
            if name in self.vocab.red_flags():
                check.problem(
                    raw, name, field, "a red-flag fact is derived by red_flags rules, not here"
                )
                continue
            when = self.condition(node["when"], f"{field}.when")
            if when is not None:
                rules[name] = FactRule(name, when)
        for name in self.vocab.facts:
            if name not in raw and name not in flagged:
                check.problem(
                    raw,
                    None,
                    f"facts.{name}",
                    "vocabulary fact not derived: add a rule (or red_flags rule) or mark it not_asked",
                )
        return rules, not_asked

    def profile(self, data: dict) -> tuple[str | None, str | None]:
        check = self.check
        node = check.need(data, "profile", "", dict, required=False)
        if node is None:
            return None, None
        self.known_fields(node, {"age", "sex"}, "profile")
        out = []
        for key, qtype in (("age", "number"), ("sex", "single")):
            ref = check.need(node, key, "profile", str, required=False)
            if ref is not None and (ref not in self.questions or self.questions[ref].type != qtype):
                check.problem(node, key, f"profile.{key}", f"{ref!r} is not a {qtype} question")
                ref = None
            out.append(ref)
        return out[0], out[1]


_BAD = object()


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scorable(q: Question) -> bool:
    if q.type in ("yes_no", "scale", "number"):
        return True
    return q.type == "single" and all(o.points is not None for o in q.options)


def _score_questions(score: Score) -> tuple[str, ...]:
    return score.items + tuple(x for x in (score.weight, score.height) if x)
