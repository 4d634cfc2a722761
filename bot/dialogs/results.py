"""Results: probable causes in plain words, the annotated pictures, the program, safety notes.

The Report is summarised into the state (``data.report``, a JSON document), texts in every
language, so results can be shown again after a restart or a language change. After a
re-assessment the results open with before and after (bot/dialogs/reassessment.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Event, Image
from backcare.bot.dialogs.feature import Feature, Step, no_back
from backcare.bot.dialogs.reassessment import observation_dicts, render_changes
from backcare.kernel.vocabulary import vocabulary
from backcare.report.causes import LIKELY, POSSIBLE, causes_of, is_headline
from backcare.report.types import Report

MAX_FINDINGS = 6
MAX_EXPLANATIONS = 3
MAX_CAUSES = 8
REFER = "refer_clinician"  # the knowledge base's "see a clinician" conclusion, not a cause to name


def _sentences(report: Report, atoms: tuple[str, ...]) -> list[dict[str, str]]:
    """The patient's sentences (every language) of the photo findings ``atoms``."""
    by_atom = {o.atom: dict(o.explanation) for o in report.observations if o.atom}
    return [by_atom[a] for a in atoms if a in by_atom]


def cause_summaries(report: Report) -> list[dict]:
    """Each cause once (plausibility summed over the explanations), what supports it, and
    the photo findings that did not, as the patient reads them."""
    return [
        {
            "cause": c.cause,
            "plausibility": round(float(c.plausibility), 3),
            "likely": is_headline(c),
            "supports": list(c.supports),
            "photo_against": _sentences(report, c.photo_against),
        }
        for c in causes_of(report)
        if c.cause != REFER and c.cause in vocabulary().causes
    ][:MAX_CAUSES]


def summarise(report: Report) -> dict:
    """What the dialogs keep of a Report (JSON-safe; no pictures, no raw measurements)."""
    findings = sorted(
        (o for o in report.observations if o.rating in ("insufficient", "excessive")),
        key=lambda o: -o.confidence,
    )[:MAX_FINDINGS]
    program = None
    if report.program is not None:
        program = {
            "exercises": [
                {
                    "id": p.exercise_id,
                    "name": dict(p.name),
                    "instructions": dict(p.instructions),
                    "dose": asdict(p.dose),
                    "why": dict(p.why),
                    "video_url": p.video_url,
                    "progression": dict(p.progression),
                    "regression": dict(p.regression),
                    "stop_if": dict(p.stop_if),
                }
                for p in report.program.exercises
            ],
            "advice": {lang: list(items) for lang, items in report.program.advice.items()},
            "if_worse": dict(report.program.if_worse),
            "causes": list(report.program.causes),
        }
    return {
        "created": report.created,
        "referral": report.referral,
        "referral_reasons": list(report.diagnosis.referral_reasons),
        "explanations": [
            {"causes": list(e.causes), "plausibility": round(float(e.plausibility), 3)}
            for e in report.diagnosis.explanations[:MAX_EXPLANATIONS]
        ],
        "causes": cause_summaries(report),
        "unexplained": list(report.diagnosis.unexplained),
        "findings": [
            {"name": o.name, "rating": o.rating, "text": dict(o.explanation)} for o in findings
        ],
        "borderline": [o.name for o in report.observations if o.rating == "borderline"],
        "photos": {p.step: {"accepted": p.accepted, "reason": p.reason} for p in report.photos},
        "scores": {k: float(v) for k, v in report.scores.items()},
        "program": program,
        "observations": observation_dicts(report.observations),  # to compare with a re-assessment
    }


def cause_words(conv: Conversation, cause: str) -> str:
    term = vocabulary().causes.get(cause)
    return conv.text_of(term.text) if term else cause


def reason_words(conv: Conversation, reason: str) -> str:
    """Plain words for a fact, a cause or a photo finding ("<observation>=<rating>");
    never the internal name itself."""
    vocab = vocabulary()
    if "=" in reason:
        name, rating = reason.split("=", 1)
        obs = vocab.observations.get(name)
        what = conv.text_of(obs.text) if obs else name.replace("_", " ").replace(".", ": ")
        return conv.t("results.finding_words", what=what, rating=conv.t(f"results.rating_{rating}"))
    if reason.startswith("not:"):
        return conv.t("results.denied", text=reason_words(conv, reason[4:]))
    term = vocab.facts.get(reason) or vocab.causes.get(reason)
    return conv.text_of(term.text) if term else reason.replace("_", " ")


def dose_words(conv: Conversation, dose: dict) -> str:
    if dose.get("reps"):
        return conv.t(
            "results.dose_reps", sets=dose["sets"], reps=dose["reps"], days=dose["days_per_week"]
        )
    if dose.get("hold_s"):
        return conv.t(
            "results.dose_hold", sets=dose["sets"], hold=dose["hold_s"], days=dose["days_per_week"]
        )
    return conv.t(
        "results.dose_days", days=dose["days_per_week"]
    )  # e.g. walking: the instructions say how long


def sentences(texts: Iterable[str]) -> str:
    """Sentences run together: a space after a Latin full stop, none after "。"."""
    out = ""
    for text in texts:
        out += text if not out or out.endswith("。") else " " + text
    return out


def render_causes(conv: Conversation, report: dict) -> None:
    """Each cause once; a headline only with something under it; when nothing stands out,
    the patient is told so (the program is then a general one)."""
    causes = report.get("causes")
    if causes is None:  # a summary saved before causes were summed
        causes = [
            {"cause": c, "plausibility": e["plausibility"], "supports": [], "photo_against": []}
            for e in report["explanations"][:1]
            for c in e["causes"]
        ]
    likely = [c for c in causes if c.get("likely", c["plausibility"] >= LIKELY)]
    # every cause the program works on is named, however long a shot it is
    addressed = set((report.get("program") or {}).get("causes", []))
    possible = [
        c
        for c in causes
        if c not in likely and (c["plausibility"] >= POSSIBLE or c["cause"] in addressed)
    ]
    main = likely or possible
    if not main:
        conv.say(conv.t("results.nothing_stands_out"))
        return
    separator = conv.t("reminders.list_separator")
    lines = [conv.t("results.causes_likely" if likely else "results.causes_possible")]
    for c in main:
        lines.append(f"• {cause_words(conv, c['cause'])}")
        if c["supports"]:
            items = separator.join(reason_words(conv, a) for a in c["supports"])
            lines.append("   " + conv.t("results.supported_by", items=items))
        if c["photo_against"]:
            items = sentences(conv.text_of(t) for t in c["photo_against"])
            lines.append("   " + conv.t("results.not_in_photos", items=items))
    if likely and possible:
        items = separator.join(cause_words(conv, c["cause"]) for c in possible)
        lines.append(conv.t("results.also_possible", items=items))
    lines.append(conv.t("results.not_a_diagnosis"))
    conv.say("\n".join(lines))


def render_unexplained(conv: Conversation, report: dict) -> None:
    """Findings no known pattern explains: said plainly, with a physiotherapist to see;
    the program still follows (never a dead end)."""
    items = report.get("unexplained") or [r for r in report.get("referral_reasons", []) if "=" in r]
    separator = conv.t("reminders.list_separator")
    conv.say(
        conv.t("results.unexplained", items=separator.join(reason_words(conv, a) for a in items))
    )


def render_findings(conv: Conversation, report: dict) -> None:
    if report["findings"]:
        conv.say(
            "\n".join(
                [conv.t("results.findings")]
                + [f"• {conv.text_of(f['text'])}" for f in report["findings"]]
            )
        )
    borderline = [o for o in report.get("borderline", []) if o in vocabulary().observations]
    if borderline:
        separator = conv.t("reminders.list_separator")
        names = separator.join(conv.text_of(vocabulary().observations[o].text) for o in borderline)
        conv.say(conv.t("results.borderline", items=names))
    movements = vocabulary().movements
    missing = [s for s in movements if not (report["photos"].get(s) or {}).get("accepted")]
    if len(missing) == len(movements):
        conv.say(conv.t("results.no_photos"))
    elif missing:
        separator = conv.t("reminders.list_separator")
        conv.say(
            conv.t(
                "results.some_photos_missing",
                steps=separator.join(conv.text_of(movements[s].text) for s in missing),
            )
        )


def render_pictures(conv: Conversation) -> None:
    pictures = conv.dialogs.pictures.get(conv.data.session)
    if not pictures:
        return
    movements = vocabulary().movements
    images = [
        Image(jpeg, conv.text_of(movements[step].text))
        for step, jpeg in pictures.items()
        if step in movements
    ]
    conv.say(conv.t("results.pictures"), images=images)
    if not conv.data.keeps_photos():
        conv.dialogs.pictures.drop(conv.data.session)  # shown once: keep the least


def render_program(conv: Conversation, report: dict) -> None:
    program = report.get("program")
    if not program:
        return
    conv.say(conv.t("results.program", n=len(program["exercises"])))
    for n, ex in enumerate(program["exercises"], start=1):
        lines = [
            f"{n}. {conv.text_of(ex['name'])}",
            dose_words(conv, ex["dose"]),
            conv.text_of(ex["instructions"]),
        ]
        for key, field in (
            ("results.why", "why"),
            ("results.easier", "regression"),
            ("results.harder", "progression"),
            ("results.stop_if", "stop_if"),
        ):
            if ex.get(field):
                lines.append(conv.t(key, text=conv.text_of(ex[field])))
        links = [(conv.t("results.video"), ex["video_url"])] if ex.get("video_url") else []
        conv.say("\n".join(lines), links=links, exercise=ex["id"])
    advice: list[str] = program["advice"].get(conv.lang) or next(
        iter(program["advice"].values()), []
    )
    lines = [conv.t("results.advice")] + [f"• {a}" for a in advice]
    if program.get("if_worse"):
        lines.append(conv.t("results.if_worse", text=conv.text_of(program["if_worse"])))
    lines.append(conv.t("results.safety"))
    conv.say("\n".join(lines))


def render_referral(conv: Conversation, report: dict) -> None:
    kind = (
        report["referral"]
        if report["referral"] in ("emergency", "urgent", "routine")
        else "unexplained"
    )
    lines = [conv.t(f"referral.{kind}")]
    lines += [f"• {reason_words(conv, r)}" for r in report["referral_reasons"]]
    lines.append(conv.t("referral.stop_exercises"))
    conv.say("\n\n".join(lines), urgency=kind)


def offer_reminders(conv: Conversation) -> None:
    reminders = conv.data.reminders
    if reminders is not None and reminders.active:  # after a re-assessment: the plan kept
        conv.say(
            conv.t(
                "results.reminders_kept",
                days=len(reminders.days),
                time=reminders.time,
                tz=reminders.tz,
            ),
            choices=[
                conv.button("results.reminders_keep", buttons.REMINDERS_NO),
                conv.button("results.reminders_change", buttons.REMINDERS_SET),
            ],
            expects="choice",
        )
        return
    conv.say(
        conv.t("results.reminders_offer"),
        choices=[
            conv.button("results.reminders_yes", buttons.REMINDERS_SET),
            conv.button("results.reminders_no", buttons.REMINDERS_NO),
        ],
        expects="choice",
    )


def stops(report: dict) -> bool:
    """Whether the results are a referral instead of self-care ("unexplained" is not)."""
    return bool(report["referral"]) and report["referral"] != "unexplained"


def report_of(conv: Conversation) -> dict:
    report = conv.data.report
    assert report is not None, "the results follow the analysis"
    return report


def prompt_results(conv: Conversation) -> None:
    report = report_of(conv)
    render_changes(conv)  # only after a re-assessment
    if stops(report):
        render_referral(conv, report)
        render_pictures(conv)
        conv.say(
            conv.t("results.after_referral"),
            choices=[conv.button("common.restart", buttons.command("restart"))],
            expects="choice",
        )
        return
    render_causes(conv, report)
    if report["referral"] == "unexplained":
        render_unexplained(conv, report)
    render_findings(conv, report)
    render_pictures(conv)
    if conv.data.previous_report:
        conv.say(conv.t("reassess.new_program"))
    render_program(conv, report)
    offer_reminders(conv)


def resume_results(conv: Conversation) -> None:
    report = report_of(conv)
    if stops(report):
        render_referral(conv, report)
        return
    offer_reminders(conv)


async def on_results(conv: Conversation, event: Event) -> None:
    report = report_of(conv)
    pressed = buttons.pressed(event)
    if stops(report):
        resume_results(conv)
    elif pressed == buttons.REMINDERS_SET:
        conv.go("plan_reminders")
    elif pressed == buttons.REMINDERS_NO:
        conv.go("skip_reminders")
    else:
        offer_reminders(conv)


FEATURE = Feature(
    "results",
    steps=(Step("results", prompt_results, on_results, back=no_back, resume=resume_results),),
    texts=("results",),
)
