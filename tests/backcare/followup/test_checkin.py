"""Check-ins: better, same or worse by the smallest change that matters, red flags refer,
worsening changes the advice, and a re-assessment is offered after four weeks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backcare.content.texts import default_texts
from backcare.followup.checkin import CheckIn, CheckinError, classify, evaluate, referral_for
from backcare.followup.settings import Followup

TEXTS = default_texts()


def week(n: int, pain: int, done: int = 5, planned: int = 5, flags=()) -> CheckIn:
    """The check-in n weeks after a program started on 2025-03-03."""
    return CheckIn(
        at=(date(2025, 3, 3) + timedelta(weeks=n)).isoformat(),
        pain=pain,
        done_days=done,
        planned_days=planned,
        red_flags=tuple(flags),
    )


START = "2025-03-03"


# --- the smallest change that matters (Ostelo 2008: 2 points or 30%) ------------------------


@pytest.mark.parametrize(
    "reference, pain, status",
    [
        (7, 5, "better"),  # -2 points
        (7, 6, "same"),  # -1 point: within the MCID
        (7, 9, "worse"),  # +2 points
        (7, 8, "same"),
        (10, 8, "better"),  # 2 points (20%): the points reach it first
        (3, 2, "better"),  # 1 point is 33% of 3: the fraction reaches it first
        (3, 4, "worse"),
        (5, 4, "same"),  # 1 point is 20% of 5 and less than 2 points
        (0, 0, "same"),
        (0, 1, "worse"),  # from no pain, one point is the least the scale can show
    ],
)
def test_classify_uses_two_points_or_thirty_percent(reference, pain, status):
    assert classify(reference, pain) == status


def test_mcid_comes_from_the_settings():
    strict = Followup(mcid_points=3.0, mcid_fraction=0.5)
    assert classify(7, 5) == "better"
    assert classify(7, 5, strict) == "same"


# --- status and advice ----------------------------------------------------------------------


def test_improvement_by_the_mcid_is_better_and_says_keep_going():
    outcome = evaluate(7, [week(1, 6)], week(2, 5), program_started=START)
    assert outcome.status == "better" and outcome.referral is None
    assert outcome.change == -2 and outcome.reference_pain == 7
    assert outcome.advice["en"] == TEXTS.get("checkin.better", "en", before=7, now=5)
    assert outcome.advice["ja"] == TEXTS.get("checkin.better", "ja", before=7, now=5)


def test_small_change_is_same():
    outcome = evaluate(6, [week(1, 6)], week(2, 5), program_started=START)
    assert outcome.status == "same"
    assert outcome.advice["en"] == TEXTS.get("checkin.same", "en", before=6, now=5)


def test_worsening_by_the_mcid_changes_the_advice():
    same = evaluate(5, [week(1, 5)], week(2, 6), program_started=START)
    worse = evaluate(5, [week(1, 5)], week(2, 7), program_started=START)
    assert (same.status, worse.status) == ("same", "worse")
    assert worse.advice["en"] == TEXTS.get("checkin.worse", "en", before=5, now=7)
    assert "easier version" in worse.advice["en"] and "easier version" not in same.advice["en"]
    assert "やさしい方法" in worse.advice["ja"]
    assert worse.referral is None


def test_flare_after_an_improvement_counts_as_worse():
    # 8 -> 3 is a big improvement; 3 -> 6 is still better than the start but a flare-up.
    outcome = evaluate(8, [week(1, 5), week(2, 3)], week(3, 6), program_started=START)
    assert outcome.status == "worse"
    assert outcome.advice["en"].startswith(TEXTS.get("checkin.worse", "en", before=8, now=6)[:20])


def test_worse_twice_in_a_row_advises_seeing_a_clinician():
    once = evaluate(4, [week(1, 4)], week(2, 6), program_started=START)
    twice = evaluate(4, [week(1, 4), week(2, 6)], week(3, 7), program_started=START)
    assert once.status == twice.status == "worse"
    assert once.advice["en"] == TEXTS.get("checkin.worse", "en", before=4, now=6)
    assert twice.advice["en"] == TEXTS.get("checkin.worse_again", "en")
    assert "see a doctor or physiotherapist" in twice.advice["en"]


def test_without_a_baseline_the_first_checkin_is_the_reference():
    outcome = evaluate(None, [week(2, 4), week(1, 7)], week(3, 5))  # history in any order
    assert outcome.reference_pain == 7 and outcome.status == "better"
    first = evaluate(None, [], week(1, 7))
    assert first.status == "same" and first.change == 0


def test_low_adherence_adds_advice_on_keeping_at_it():
    outcome = evaluate(6, [week(1, 6)], week(2, 6, done=1, planned=5), program_started=START)
    assert TEXTS.get("checkin.low_adherence", "en", done=1, planned=5) in outcome.advice["en"]
    good = evaluate(6, [week(1, 6)], week(2, 6, done=4, planned=5), program_started=START)
    assert "planned days" not in good.advice["en"]


# --- red flags --------------------------------------------------------------------------------


def test_new_red_flag_leads_to_referral_whatever_the_pain():
    outcome = evaluate(
        7, [week(1, 5)], week(2, 3, flags=["red_flag_progressive_weakness"]), program_started=START
    )
    assert outcome.referral == "urgent"
    assert outcome.advice["en"] == TEXTS.get("checkin.referral.urgent", "en")
    assert outcome.advice["ja"] == TEXTS.get("checkin.referral.urgent", "ja")
    assert outcome.invite_reassessment is False
    assert outcome.red_flags == ("red_flag_progressive_weakness",)


def test_most_urgent_red_flag_decides():
    outcome = evaluate(5, [], week(1, 5, flags=["red_flag_night_pain", "red_flag_cauda_equina"]))
    assert outcome.referral == "emergency"
    assert "emergency" in outcome.advice["en"] and "救急" in outcome.advice["ja"]
    assert referral_for(["red_flag_steroids"]) == "soon"
    assert referral_for([]) is None


def test_unknown_red_flag_is_a_clear_error():
    with pytest.raises(CheckinError) as info:
        week(1, 5, flags=["red_flag_headache"])
    assert info.value.reason == "bad_red_flag"


# --- re-assessment ----------------------------------------------------------------------------


def test_reassessment_is_offered_once_after_four_weeks():
    history: list[CheckIn] = []
    invited = []
    for n, pain in enumerate([6, 6, 5, 5, 4, 4, 4, 3, 3], start=1):
        new = week(n, pain)
        outcome = evaluate(7, history, new, program_started=START)
        invited.append((n, outcome.invite_reassessment))
        history.append(new)
    assert [n for n, yes in invited if yes] == [4, 8]
    outcome = evaluate(7, history[:3], week(4, 5), program_started=START)
    assert TEXTS.get("checkin.reassess", "en", weeks=4) in outcome.advice["en"]


def test_reassessment_period_is_configurable():
    two_weeks = Followup(reassess_after_days=14)
    outcome = evaluate(7, [week(1, 6)], week(2, 6), program_started=START, settings=two_weeks)
    assert outcome.invite_reassessment is True
    assert evaluate(7, [week(1, 6)], week(2, 6), program_started=START).invite_reassessment is False


def test_late_checkin_after_a_long_gap_still_invites():
    outcome = evaluate(7, [week(1, 6)], week(6, 6), program_started=START)
    assert outcome.invite_reassessment is True


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"pain": 11}, "bad_pain"),
        ({"pain": -1}, "bad_pain"),
        ({"pain": 5.5}, "bad_pain"),
        ({"done_days": -1}, "bad_done_days"),
        ({"planned_days": 40}, "bad_planned_days"),
        ({"at": "last tuesday"}, "bad_time"),
    ],
)
def test_bad_checkin_is_a_clear_error(kwargs, reason):
    values = {"at": "2025-03-10", "pain": 5, "done_days": 3, "planned_days": 5} | kwargs
    with pytest.raises(CheckinError) as info:
        CheckIn(**values)
    assert info.value.reason == reason


def test_adherence_is_capped_and_undefined_without_a_plan():
    assert CheckIn("2025-03-10", 5, 7, 5).adherence == 100.0
    assert CheckIn("2025-03-10", 5, 3, 4).adherence == 75.0
    assert CheckIn("2025-03-10", 5, 0, 0).adherence is None


def test_bad_baseline_is_a_clear_error():
    with pytest.raises(CheckinError):
        evaluate(12, [], week(1, 5))


def test_checkin_round_trips_through_a_stored_record():
    checkin = week(2, 6, done=3, flags=["red_flag_fever"])
    assert CheckIn.from_dict(checkin.to_dict() | {"note": "extra keys are ignored"}) == checkin
    with pytest.raises(CheckinError) as info:
        CheckIn.from_dict({"at": "2025-03-10", "pain": 5})
    assert info.value.reason == "bad_record"
