"""A prerequisite that fails is reported once; the session's other tests that need it are skipped."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.prerequisites import PrerequisiteFailed, once

pytest_plugins = ["pytester"]


def test_a_failed_prerequisite_is_not_built_again() -> None:
    calls = []

    def build() -> str:
        calls.append(1)
        raise HarnessError("pip failed; see /tmp/build.log\nmore detail")

    with pytest.raises(HarnessError, match="pip failed"):
        once("unit-test-broken", build)
    first_line = r"prerequisite unit-test-broken failed .*pip failed; see /tmp/build.log\)"
    with pytest.raises(PrerequisiteFailed, match=first_line):
        once("unit-test-broken", build)
    assert calls == [1]
    assert once("unit-test-fine", lambda: 42) == 42


def test_a_session_reports_the_first_failure_and_skips_the_rest(pytester: pytest.Pytester) -> None:
    """Three tests share a base image whose build fails (through a fixture and in the test body)."""
    pytester.makepyfile(
        """
        import pytest
        from harness.errors import HarnessError
        from harness.prerequisites import once

        attempts = []

        def broken_base():
            attempts.append(1)
            raise HarnessError("base image build failed; log: /tmp/base.log")

        @pytest.fixture(scope="session")
        def base():
            return once("the spark base image", broken_base)

        def test_one(base):
            pass

        def test_two(base):
            pass

        def test_three():
            once("the spark base image", broken_base)

        def test_attempted_once():
            assert attempts == [1]
        """
    )
    result = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1, skipped=2)
    result.stdout.fnmatch_lines(["*base image build failed; log: /tmp/base.log*",
                                 "SKIPPED*prerequisite the spark base image failed (see the first error*"])
