"""Progress on demand (/progress, or the button after a check-in): the chart of pain and
exercise days at each check-in of this program, the summary a patient can show a clinician
(backcare.followup.progress), and before and after of the latest re-assessment when there was one.
"""

from __future__ import annotations

from dataclasses import asdict

from backcare.bot.dialogs import history
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Image
from backcare.bot.dialogs.feature import Command, Feature
from backcare.bot.dialogs.reassessment import render_changes
from backcare.followup.progress import chart_png, progress_data, summary_text


def show_progress(conv: Conversation) -> None:
    data = conv.data
    if not data.report:
        conv.say(conv.t("progress.no_program"))
        return
    checkins = history.checkins(data)
    if checkins:
        chart = progress_data(history.baseline_pain(data), checkins)
        png = chart_png(chart, conv.lang)
        # the chart's data goes along in meta: what was drawn, for tests and for drivers that want it
        conv.say("", images=[Image(png, conv.t("progress.caption"))], chart=asdict(chart))
        conv.say(summary_text(chart, conv.lang))
    else:
        conv.say(conv.t("progress.none"))
    render_changes(conv)


FEATURE = Feature(
    "progress",
    commands=(Command("progress", show_progress, resume=True),),
    texts=("progress",),
)
