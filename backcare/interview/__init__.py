"""The medical interview: interview.yaml as validated data, answers, scores, facts, red flags.

load_interview(path) -> Interview          validated; DataFileError names file, line, field
InterviewRegistry(path)                    current / reload() / get(digest)
validate_answer(question, raw) -> value    or AnswerError(key, **params)
load_answers(path, interview) -> answers   or AnswersError (by question id)
derive(interview, answers) -> InterviewResult(facts, false_facts, scores, red_flags, profile, triage)
judge(interview, answers) -> Triage        the combined red-flag judgement (triage.py)
"""

from backcare.interview.answers import (
    ANSWER_ERRORS,
    AnswerError,
    AnswersError,
    fmt_number,
    load_answers,
    validate_answer,
    validate_answers,
)
from backcare.interview.conditions import evaluate
from backcare.interview.derive import InterviewResult, Profile, derive, most_urgent, red_flags_now
from backcare.interview.flow import is_shown, next_question, remaining, walk
from backcare.interview.loader import load_interview, loads_interview, parse_interview
from backcare.interview.model import (
    MULTI_TYPES,
    Interview,
    Option,
    Question,
    RedFlagRule,
    Section,
)
from backcare.interview.registry import InterviewRegistry
from backcare.interview.scoring import compute_scores
from backcare.interview.triage import Triage, judge, rank, red_flag_questions, rules_of

__all__ = [
    "ANSWER_ERRORS",
    "MULTI_TYPES",
    "AnswerError",
    "AnswersError",
    "Interview",
    "InterviewRegistry",
    "InterviewResult",
    "Option",
    "Profile",
    "Question",
    "RedFlagRule",
    "Section",
    "Triage",
    "compute_scores",
    "derive",
    "evaluate",
    "fmt_number",
    "is_shown",
    "judge",
    "load_answers",
    "load_interview",
    "loads_interview",
    "most_urgent",
    "next_question",
    "parse_interview",
    "rank",
    "red_flag_questions",
    "red_flags_now",
    "remaining",
    "rules_of",
    "validate_answer",
    "validate_answers",
    "walk",
]
