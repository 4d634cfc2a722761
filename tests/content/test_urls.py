"""Video links are checked for form: https, a host, no tracking parameters."""

import pytest

from backcare.content.urls import url_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://www.nhs.uk/live-well/exercise/walking-for-health/",
        "https://www.youtube.com/watch?v=iZ611vwxI4I",
        "https://www.youtube.com/watch?v=iZ611vwxI4I&t=30",
        "https://youtu.be/iZ611vwxI4I",
    ],
)
def test_plain_public_links_pass(url):
    assert url_problem(url) is None


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://www.nhs.uk/back", "https"),
        ("www.nhs.uk/back", "https"),
        ("https:///back", "host"),
        ("https://localhost/video", "host"),
        ("https://user:pw@www.nhs.uk/", "password"),
        ("https://youtu.be/iZ611vwxI4I?si=Xy12", "'si'"),
        ("https://www.youtube.com/watch?v=abc&feature=share", "'feature'"),
        ("https://www.nhs.uk/back?utm_source=tg&utm_medium=x", "'utm_source'"),
        ("https://www.nhs.uk/back?UTM_Campaign=x", "'UTM_Campaign'"),
        ("https://www.nhs.uk/back?fbclid=IwAR0", "'fbclid'"),
        ("https://www.nhs.uk/back?gclid=abc", "'gclid'"),
        ("https://www.nhs.uk/back page", "spaces"),
        ("https://www.nhs.uk:99999/", "valid URL"),
    ],
)
def test_bad_links_are_refused_with_the_reason(url, reason):
    problem = url_problem(url)
    assert problem is not None and reason in problem
