"""Progress: the chart's data holds every check-in, the PNG decodes, the summary tells a clinician
where things stand."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from backcare.followup import progress
from backcare.followup.checkin import CheckIn, CheckinError
from backcare.followup.progress import chart_png, label_language, progress_data, summary_text

CHECKINS = [  # given out of order on purpose
    CheckIn("2025-03-24", 4, 3, 5),
    CheckIn("2025-03-10", 6, 5, 5),
    CheckIn("2025-03-17T19:30:00+09:00", 5, 4, 5),
    CheckIn("2025-03-31", 3, 5, 5),
]


def test_chart_data_has_every_checkin_in_time_order():
    data = progress_data(7, CHECKINS)
    assert data.dates == ("2025-03-10", "2025-03-17", "2025-03-24", "2025-03-31")
    assert data.pain == (6, 5, 4, 3)
    assert data.adherence == (100.0, 80.0, 60.0, 100.0)
    assert data.done_days == (5, 4, 3, 5) and data.planned_days == (5, 5, 5, 5)


def test_chart_data_marks_the_smallest_change_that_matters_around_the_start():
    data = progress_data(7, CHECKINS)
    assert data.baseline == 7 and data.mcid == 2.0
    assert data.mcid_band == (5.0, 9.0)
    assert data.status == ("same", "better", "better", "better")


def test_mcid_band_follows_thirty_percent_for_low_baselines_and_stays_on_the_scale():
    low = progress_data(3, [CheckIn("2025-03-10", 2, 1, 1)])
    assert low.mcid == 1.0 and low.mcid_band == (2.0, 4.0)
    top = progress_data(10, [])
    assert top.mcid_band == (8.0, 10.0)


def test_without_a_baseline_the_first_checkin_is_the_reference():
    data = progress_data(None, CHECKINS)
    assert data.baseline is None and data.reference == 6
    assert data.mcid_band == pytest.approx((4.2, 7.8))  # 30% of 6 is less than 2 points
    assert data.status[-1] == "better"


def test_no_checkins_give_empty_data():
    data = progress_data(None, [])
    assert data.dates == data.pain == data.adherence == ()
    assert data.mcid_band is None and data.reference is None


def test_checkin_without_planned_days_has_no_adherence():
    data = progress_data(5, [CheckIn("2025-03-10", 5, 0, 0)])
    assert data.adherence == (None,)


def test_bad_baseline_is_a_clear_error():
    with pytest.raises(CheckinError):
        progress_data(11, CHECKINS)


@pytest.mark.parametrize("language", ["en", "ja", "fr"])
@pytest.mark.parametrize("checkins", [CHECKINS, CHECKINS[:1], []], ids=["four", "one", "none"])
def test_chart_png_decodes_and_is_phone_sized(language, checkins):
    png = chart_png(progress_data(7, checkins), language)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    assert image.size == (900, 1200)
    # Not blank: the plot draws coloured lines and bars on white.
    assert len(set(image.convert("RGB").getdata())) > 50


def test_japanese_labels_need_a_cjk_font(monkeypatch):
    monkeypatch.setattr(progress, "cjk_font", lambda: None)
    assert label_language("ja") == "en"
    monkeypatch.setattr(progress, "cjk_font", lambda: "Noto Sans CJK JP")
    assert label_language("ja") == "ja"
    assert label_language("en") == "en"
    assert label_language("xx") == "en"


def test_summary_for_a_clinician_in_english():
    text = summary_text(progress_data(7, CHECKINS), "en")
    assert text.splitlines() == [
        "Back pain self-care: progress summary",
        "Pain at the start of the program: 7/10.",
        "Latest check-in (Mar 31, 2025): pain 3/10, -4 points since the start: a clinically meaningful improvement.",
        "Over 4 check-ins from Mar 10, 2025 to Mar 31, 2025, pain ranged from 3 to 6.",
        "Exercises done on 85% of planned days (17 of 20).",
        "A change of at least 2 points or 30% is taken as clinically meaningful (Ostelo et al., Spine 2008).",
    ]


def test_summary_in_japanese_has_the_same_numbers():
    text = summary_text(progress_data(7, CHECKINS), "ja")
    for fragment in (
        "開始時の痛み：7/10",
        "痛み 3/10",
        "-4ポイント",
        "臨床的に意味のある改善",
        "85%",
        "20日中17日",
    ):
        assert fragment in text


def test_summary_reports_worsening_and_missing_start():
    worse = summary_text(
        progress_data(None, [CheckIn("2025-03-10", 3, 2, 5), CheckIn("2025-03-17", 6, 2, 5)]), "en"
    )
    assert "Pain at the start of the program: not recorded." in worse
    assert "+3 points since the start: a clinically meaningful worsening" in worse
    assert summary_text(progress_data(5, []), "en").endswith("No check-ins recorded yet.")
