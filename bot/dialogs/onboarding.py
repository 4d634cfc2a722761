"""Onboarding: what is collected and why, consent, the optional consent to keep photos."""

from __future__ import annotations

from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Choice, Event
from backcare.bot.dialogs.interviewing import start_interview
from backcare.kernel.languages import DEFAULT, LANGUAGES, from_client, language


def language_from(client_language: str | None) -> str:
    """The language the client's setting names, if backcare speaks it, else the default."""
    return from_client(client_language) or DEFAULT


def language_buttons(current: str | None = None) -> list[Choice]:
    return [Choice(language(lang).name, f"lang:{lang}") for lang in LANGUAGES if lang != current]


def prompt_consent(conv: Conversation) -> None:
    policy = conv.dialogs.policy
    conv.say(conv.t("consent.welcome"))
    conv.say(
        conv.t(
            "consent.text" if policy.keep_photos else "consent.text_no_photos",
            data_days=policy.data_days,
            photo_days=policy.photo_days,
        ),
        choices=[
            conv.button("consent.agree", "consent:yes"),
            conv.button("consent.decline", "consent:no"),
            *language_buttons(conv.lang),
        ],
        expects="choice",
    )


async def on_consent(conv: Conversation, event: Event) -> None:
    if event.kind == "choice" and event.data == "consent:yes":
        conv.data["consent"] = {
            "data": True,
            "keep_photos": False,
            "at": conv.now.isoformat(timespec="seconds"),
        }
        if conv.dialogs.policy.keep_photos:
            conv.go("agree")
        else:  # photos are never kept here: nothing to ask
            start_interview(conv)
            conv.go("agree_no_photos")
    elif event.kind == "choice" and event.data == "consent:no":
        conv.go("decline")
    else:
        conv.say(
            conv.t("consent.please_choose"),
            choices=[
                conv.button("consent.agree", "consent:yes"),
                conv.button("consent.decline", "consent:no"),
            ],
            expects="choice",
        )


def prompt_photo_consent(conv: Conversation) -> None:
    conv.say(
        conv.t("consent.photos", photo_days=conv.dialogs.policy.photo_days),
        choices=[
            conv.button("consent.photos_keep", "keep:yes"),
            conv.button("consent.photos_delete", "keep:no"),
            conv.button("common.back", "cmd:back"),
        ],
        expects="choice",
    )


async def on_photo_consent(conv: Conversation, event: Event) -> None:
    if event.kind == "choice" and event.data in ("keep:yes", "keep:no"):
        conv.data["consent"]["keep_photos"] = event.data == "keep:yes"
        start_interview(conv)
        conv.go("photos_decided")
    else:
        prompt_photo_consent(conv)


def prompt_declined(conv: Conversation) -> None:
    conv.say(
        conv.t("consent.declined"),
        choices=[conv.button("consent.changed_mind", "consent:again")],
        expects="choice",
    )


async def on_declined(conv: Conversation, event: Event) -> None:
    if event.kind == "choice" and event.data == "consent:again":
        conv.go("reconsider")
    else:
        prompt_declined(conv)
