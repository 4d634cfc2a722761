"""Issue 16, item 3, in the chat: results that hold together, and consent questions only
for what the bot will do."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from backcare.bot.dialogs import buttons, results
from backcare.bot.dialogs.capture import labels_in_language
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.engine import Dialogs, Policy
from backcare.bot.dialogs.state import DialogState
from backcare.reasoning.types import CauseSupport, Diagnosis, Explanation
from tests.backcare.application.test_results_read_well import LUMBAR_NORMAL, report
from tests.bot.dialogs.conftest import Chat, FakeServices


def conversation(dialogs: Dialogs, summary: dict, language: str = "en") -> Conversation:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    data = DialogState.new(language, now)
    data.step, data.session, data.report = "results", "s1", summary
    return Conversation(dialogs, data, now)


def said(conv: Conversation) -> str:
    return "\n".join(r.text for r in conv.replies)


def with_causes(*causes: CauseSupport, referral=None, unexplained=()):
    r = report(
        [Explanation(tuple(c.cause for c in causes), 1.0, 1.0, (), (), ())], referral=referral
    )
    dx = Diagnosis(
        explanations=r.diagnosis.explanations,
        referral=referral,
        causes=causes,
        unexplained=unexplained,
    )
    return type(r)(**{**r.__dict__, "diagnosis": dx})


def test_nothing_standing_out_is_said_and_the_program_follows(dialogs):
    # issue 16: "What most likely keeps your back pain going:" with nothing under it
    summary = results.summarise(with_causes())
    conv = conversation(dialogs, summary)
    results.prompt_results(conv)
    text = said(conv)
    assert "Nothing in your answers and photos stands out" in text
    assert "most likely keeps" not in text
    assert "Your exercise program" in text


def test_each_cause_once_with_what_points_to_it_and_what_the_photos_did_not_show(dialogs):
    # issue 16: "also possible" repeating the headline's causes with small percentages, and
    # the top cause beside the photo finding that contradicts it without a word
    top = CauseSupport(
        "flexion_impairment",
        0.9,
        supports=("forward_bend.hip_flexion=insufficient", "worse_bending"),
        photo_against=("forward_bend.lumbar_flexion=normal",),
    )
    other = CauseSupport("sitting_posture", 0.3, supports=("sitting_long",))
    conv = conversation(dialogs, results.summarise(with_causes(top, other)))
    results.render_causes(conv, conv.data.report)
    text = said(conv)
    assert text.count("flexion-related movement pattern") == 1
    assert "What most likely keeps" in text
    assert (
        "What points to it: bending at the hips: less than usual, pain worse when bending forward"
        in text
    )
    assert f"The photos did not show this: {LUMBAR_NORMAL.explanation['en']}" in text
    assert "Also possible: Long hours of sitting" in text
    assert "%" not in text


def test_unexplained_findings_are_no_dead_end_and_show_no_internal_code(dialogs):
    # issue 16: "your results don't fit the patterns I know ... ask a physiotherapist" with no
    # program, and forward_bend.trunk_inclination=insufficient shown to the patient
    r = with_causes(
        CauseSupport("hamstring_shortness", 0.8, supports=("worse_bending",)),
        referral="unexplained",
        unexplained=("forward_bend.trunk_inclination=insufficient",),
    )
    conv = conversation(dialogs, results.summarise(r))
    results.prompt_results(conv)
    text = said(conv)
    assert "how far you bend forward: less than usual" in text
    assert "physiotherapist" in text
    assert "Your exercise program" in text
    assert not re.search(r"[a-z_]+\.[a-z_]+=[a-z_]+", text)
    assert any(
        c.value == buttons.REMINDERS_SET.data for reply in conv.replies for c in reply.choices
    )


def test_a_finding_in_plain_words_whatever_its_name(dialogs):
    # issue 16: internal codes like forward_bend.trunk_inclination=insufficient in the chat
    conv_words = {
        "forward_bend.reach=insufficient": "how close your hands get to the floor: less than usual",
        "not:worse_sitting": "not the case: pain worse when sitting",
    }
    conv = conversation(dialogs, {})
    for atom, words in conv_words.items():
        assert results.reason_words(conv, atom) == words


@pytest.mark.parametrize("keep", [True, False])
async def test_the_photo_question_is_asked_only_when_photos_are_kept(
    services, registry, clock, keep
):
    # issue 16: "may I keep your photos for 30 days?" asked when keeping photos is switched off
    chat = Chat(Dialogs(services, registry, clock, policy=Policy(keep_photos=keep)))
    await chat.start()
    assert ("next question" in chat.text) is keep
    await chat.press(buttons.CONSENT_YES)
    offered = chat.offered()
    if keep:
        assert chat.step == "photo_consent" and buttons.KEEP_PHOTOS in offered
    else:
        assert chat.step == "interview" and not any(b.kind == "keep" for b in offered)
        assert chat.state.consent.keep_photos is False
        await chat.command("back")  # back from the first question: to the consent itself
        assert chat.step == "consent"


class LabellingServices(FakeServices):
    """A service that labels pictures in a language it is given (as the pipeline does)."""

    def __init__(self) -> None:
        super().__init__()
        self.languages: list[str] = []

    async def analyse_photo(self, data, step, filename=None, language="en"):
        self.languages.append(language)
        return await super().analyse_photo(data, step, filename)


async def test_the_pictures_are_labelled_in_the_patients_language(
    registry, clock, interview, healthy
):
    # issue 16: the annotated pictures were English only
    services = LabellingServices()
    chat = Chat(Dialogs(services, registry, clock), language="ja")
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.photo()
    assert services.languages == ["ja"]
    # a service without the option still works (labels in English)
    assert not labels_in_language(FakeServices())
    assert labels_in_language(services)


def test_a_summary_saved_before_uncertainties_keeps_its_tolerance_as_the_uncertainty():
    from backcare.bot.dialogs.reassessment import observations_of

    old = {
        "observations": [
            {
                "name": "forward_bend.hip_flexion",
                "rating": "normal",
                "value": 70.0,
                "unit": "deg",
                "normal_range": [50, 90],
                "confidence": 0.8,
                "tolerance": 8.0,
            }
        ]
    }
    (obs,) = observations_of(old) or []
    assert obs.uncertainty == 8.0 and obs.normal_range == (50, 90)
