"""Form checks for the video links admins put in content/videos.yaml.

Links are never fetched (no network at run time): they are checked for form only.
Tracking parameters are refused because they tell a platform which patient shared
what, and they make the same video look like different links.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

# Query keys that only track (utm_* is matched as a prefix).
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "si",
        "feature",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "spm",
        "trk",
    }
)


def url_problem(url: str) -> str | None:
    """Why ``url`` is not an acceptable public video link, or None when it is."""
    if any(ch.isspace() for ch in url):
        return "contains spaces"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme != "https":
        return f"must use https, not {parts.scheme or 'no scheme'!r}"
    if not host or "." not in host or host.startswith(".") or host.endswith("."):
        return "needs a host name, e.g. https://www.nhs.uk/..."
    if parts.username or parts.password:
        return "must not contain a user name or password"
    for key, _ in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower().startswith("utm_") or key.lower() in TRACKING_PARAMETERS:
            return f"tracking parameter {key!r}: remove it from the link"
    return None
