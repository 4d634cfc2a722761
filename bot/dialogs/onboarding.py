"""Onboarding: what is collected and why, consent, the optional consent to keep photos."""

from __future__ import annotations

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Choice, Event
from backcare.bot.dialogs.feature import Feature, Step, no_back
from backcare.bot.dialogs.interviewing import start_interview
from backcare.bot.dialogs.state import Consent
from backcare.kernel.languages import DEFAULT, LANGUAGES, from_client, language


def language_from(client_language: str | None) -> str:
    """The language the client's setting names, if backcare speaks it, else the default."""
    return from_client(client_language) or DEFAULT


def language_buttons(current: str | None = None) -> list[Choice]:
    return [
        Choice(language(lang).name, buttons.language(lang).data)
        for lang in LANGUAGES
        if lang != current
    ]


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
            conv.button("consent.agree", buttons.CONSENT_YES),
            conv.button("consent.decline", buttons.CONSENT_NO),
            *language_buttons(conv.lang),
        ],
        expects="choice",
    )


async def on_consent(conv: Conversation, event: Event) -> None:
    pressed = buttons.pressed(event)
    if pressed == buttons.CONSENT_YES:
        conv.data.consent = Consent(
            data=True, keep_photos=False, at=conv.now.isoformat(timespec="seconds")
        )
        if conv.dialogs.policy.keep_photos:
            conv.go("agree")
        else:  # photos are never kept here: nothing to ask
            start_interview(conv)
            conv.go("agree_no_photos")
    elif pressed == buttons.CONSENT_NO:
        conv.go("decline")
    else:
        conv.say(
            conv.t("consent.please_choose"),
            choices=[
                conv.button("consent.agree", buttons.CONSENT_YES),
                conv.button("consent.decline", buttons.CONSENT_NO),
            ],
            expects="choice",
        )


def prompt_photo_consent(conv: Conversation) -> None:
    conv.say(
        conv.t("consent.photos", photo_days=conv.dialogs.policy.photo_days),
        choices=[
            conv.button("consent.photos_keep", buttons.KEEP_PHOTOS),
            conv.button("consent.photos_delete", buttons.DELETE_PHOTOS),
            conv.button("common.back", buttons.command("back")),
        ],
        expects="choice",
    )


async def on_photo_consent(conv: Conversation, event: Event) -> None:
    pressed = buttons.pressed(event)
    if pressed in (buttons.KEEP_PHOTOS, buttons.DELETE_PHOTOS):
        if conv.data.consent is None:  # pragma: no cover - the consent step comes first
            conv.data.consent = Consent(data=True, at=conv.now.isoformat(timespec="seconds"))
        conv.data.consent.keep_photos = pressed == buttons.KEEP_PHOTOS
        start_interview(conv)
        conv.go("photos_decided")
    else:
        prompt_photo_consent(conv)


def prompt_declined(conv: Conversation) -> None:
    conv.say(
        conv.t("consent.declined"),
        choices=[conv.button("consent.changed_mind", buttons.CONSENT_AGAIN)],
        expects="choice",
    )


async def on_declined(conv: Conversation, event: Event) -> None:
    if buttons.pressed(event) == buttons.CONSENT_AGAIN:
        conv.go("reconsider")
    else:
        prompt_declined(conv)


FEATURE = Feature(
    "onboarding",
    steps=(
        Step("consent", prompt_consent, on_consent, back=no_back),
        Step("declined", prompt_declined, on_declined, back=no_back),
        Step("photo_consent", prompt_photo_consent, on_photo_consent),
    ),
    texts=("consent",),
)
