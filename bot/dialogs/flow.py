"""The conversation's state machine: the features' steps (prompt, input, back) and the
transitions between them.

One ``transitions`` Machine is built once and serves every user: for each
event the engine adds a light model built around the user's JSON state
(``add_model(conv, initial=state["step"])``), fires triggers, and removes it.
Entering a state sends its prompt; a step's ``auto`` work (the analysis) runs
right after it is entered.
"""

from __future__ import annotations

from transitions import Machine, State

from backcare.bot.dialogs import (
    capture,
    checkin,
    interviewing,
    onboarding,
    reminders,
    resting,
    results,
)
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.feature import Feature, Step

# the features that are steps of the conversation, in its order (each declares its steps
# at the end of its module)
FEATURES: tuple[Feature, ...] = (
    onboarding.FEATURE,
    interviewing.FEATURE,
    capture.FEATURE,
    results.FEATURE,
    reminders.FEATURE,
    resting.FEATURE,
    checkin.FEATURE,
)
STEPS: tuple[Step, ...] = tuple(step for feature in FEATURES for step in feature.steps)
STEP: dict[str, Step] = {s.name: s for s in STEPS}

AFTER_CONSENT = [s.name for s in STEPS if s.name not in ("consent", "declined")]
CHECKIN = ["checkin_pain", "checkin_done", "checkin_signs", "checkin_flags"]

TRANSITIONS: list[dict] = [
    {"trigger": "agree", "source": "consent", "dest": "photo_consent"},
    {"trigger": "agree_no_photos", "source": "consent", "dest": "interview"},
    {"trigger": "decline", "source": "consent", "dest": "declined"},
    {"trigger": "reconsider", "source": "declined", "dest": "consent"},
    {"trigger": "photos_decided", "source": "photo_consent", "dest": "interview"},
    {"trigger": "answered_all", "source": "interview", "dest": "photos"},
    {"trigger": "red_flag", "source": ["interview", "checkin_flags"], "dest": "referred"},
    {"trigger": "captured_all", "source": "photos", "dest": "analysis"},
    {"trigger": "reported", "source": "analysis", "dest": "results"},
    {"trigger": "plan_reminders", "source": ["results", "active"], "dest": "reminder_days"},
    {"trigger": "days_chosen", "source": "reminder_days", "dest": "reminder_time"},
    {"trigger": "time_chosen", "source": "reminder_time", "dest": "reminder_zone"},
    {"trigger": "tz_chosen", "source": "reminder_zone", "dest": "active"},
    {
        "trigger": "skip_reminders",
        "source": ["results", "reminder_days", "reminder_time", "reminder_zone"],
        "dest": "active",
    },
    {"trigger": "check_in", "source": "active", "dest": "checkin_pain"},
    {"trigger": "reassess", "source": "active", "dest": "photos"},
    {"trigger": "reassessment_cancelled", "source": "photos", "dest": "active"},
    {"trigger": "pain_rated", "source": "checkin_pain", "dest": "checkin_done"},
    {"trigger": "exercise_reported", "source": "checkin_done", "dest": "checkin_signs"},
    {"trigger": "new_signs", "source": "checkin_signs", "dest": "checkin_flags"},
    {"trigger": "checked_in", "source": ["checkin_signs", "checkin_flags"], "dest": "active"},
    {"trigger": "restart", "source": AFTER_CONSENT, "dest": "interview"},
    # one step back, where the step itself has nothing to go back to
    {"trigger": "back", "source": "photo_consent", "dest": "consent"},
    {
        "trigger": "back",
        "source": "interview",
        "dest": "photo_consent",
        "conditions": "offers_photo_consent",
    },
    {"trigger": "back", "source": "interview", "dest": "consent"},
    {"trigger": "back", "source": "referred", "dest": "interview"},
    {"trigger": "back", "source": "photos", "dest": "interview"},
    {"trigger": "back", "source": "reminder_time", "dest": "reminder_days"},
    {"trigger": "back", "source": "reminder_zone", "dest": "reminder_time"},
    {"trigger": "back", "source": "checkin_done", "dest": "checkin_pain"},
    {"trigger": "back", "source": "checkin_signs", "dest": "checkin_done"},
    {"trigger": "back", "source": "checkin_flags", "dest": "checkin_signs"},
]


def _entered(event_data) -> None:
    conv: Conversation = event_data.model
    conv.entered.append(conv.step)
    if conv.skip_prompt:
        conv.skip_prompt = False
        return
    STEP[conv.step].prompt(conv)


def build_machine() -> Machine:
    """The one machine for every user (models are added per event, see the module doc)."""
    return Machine(
        model=None,
        states=[State(s.name, on_enter=[_entered]) for s in STEPS],
        transitions=TRANSITIONS,
        initial=None,
        auto_transitions=False,
        send_event=True,
        model_attribute="step",
    )
