"""Follow-up settings: the MCID for pain and the check-in rhythm come from backcare/followup/settings.yaml."""

import pytest

from backcare.followup.settings import PATH, Followup, load_followup
from backcare.kernel.yamlfile import DataFileError


def test_shipped_settings_follow_ostelo_2008_and_weekly_checkins():
    settings = load_followup()
    assert (settings.mcid_points, settings.mcid_fraction) == (2, 0.3)
    assert "Ostelo" in settings.mcid_source
    assert (settings.checkin_every_days, settings.reassess_after_days) == (7, 28)


@pytest.mark.parametrize(
    "baseline, mcid", [(10, 2.0), (7, 2.0), (6, 1.8), (3, 1.0), (1, 1.0), (None, 2.0)]
)
def test_mcid_is_two_points_or_thirty_percent_never_below_one_point(baseline, mcid):
    assert Followup().mcid(baseline) == pytest.approx(mcid)


def test_out_of_range_setting_names_line_and_field(tmp_path):
    text = PATH.read_text(encoding="utf-8").replace(
        "reassess_after_days: 28", "reassess_after_days: 2"
    )
    path = tmp_path / "followup.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_followup(path)
    [p] = info.value.problems
    assert p.field == "checkin.reassess_after_days"
    assert p.line == text[: text.index("reassess_after_days: 2")].count("\n") + 1
