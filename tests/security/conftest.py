"""Fixtures of the security tests: the same interview and data file as the reliability tests."""

from tests.reliability.conftest import answers, data_file, registry  # noqa: F401  (fixtures shared)
