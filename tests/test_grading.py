"""labkit.grading: checks say what is wrong and hint at the fix."""

from __future__ import annotations

import pytest

from labkit.errors import CheckFailed
from labkit.grading import attempt, check, check_equal, passed
from labkit.grading.tokens import check_decode_payload
from labkit.tokens import b64url_decode


def test_check_raises_with_message_and_hint():
    with pytest.raises(CheckFailed) as caught:
        check(False, "the role is wrong", "look at the trust policy")
    assert str(caught.value) == "the role is wrong\nHint: look at the trust policy"


def test_check_equal_shows_both_values():
    with pytest.raises(CheckFailed, match="expected 'a', got 'b'"):
        check_equal("b", "a", what="namespace")


def test_attempt_turns_a_stub_into_not_written_yet_with_its_hint():
    def answer():
        raise NotImplementedError("use base64")

    with pytest.raises(CheckFailed) as caught:
        attempt(answer)
    assert caught.value.message == "answer is not written yet." and caught.value.hint == "use base64"


def test_attempt_reports_a_crash_briefly():
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        attempt(lambda: 1 / 0, hint="h")


def test_passed_prints_one_line(capsys: pytest.CaptureFixture[str]):
    passed("all good")
    assert capsys.readouterr().out == "✔ all good\n"


def test_decode_check_rejects_the_unpadded_one_liner():
    import base64
    import json

    def naive(token: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(token.split(".")[1]))  # no padding: fails on most tokens

    with pytest.raises(CheckFailed, match="raised"):
        check_decode_payload(naive)


def test_decode_check_accepts_a_correct_answer(capsys: pytest.CaptureFixture[str]):
    import json

    check_decode_payload(lambda token: json.loads(b64url_decode(token.split(".")[1])))
    assert "✔" in capsys.readouterr().out
