"""The playbook file is checked up front, and its wording reaches the recruiter."""

from __future__ import annotations

from pathlib import Path

import pytest

from declinerisk.data import schema
from declinerisk.errors import ConfigError
from declinerisk.explain.actions import load_playbook
from declinerisk.explain.reasons import render_value
from declinerisk.modeling.bands import HIGH, LOW

VALID = """
[default]
sentence = "{label} is {value}; typical is {typical}."
action = "Check in."
[no_risk]
action = "Keep going."
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "playbook.toml"
    path.write_text(text)
    return path


def test_the_shipped_playbook_covers_every_signal() -> None:
    playbook = load_playbook()
    assert set(playbook.reasons) == set(schema.CORE_SIGNALS + schema.OPTIONAL_SIGNALS)


def test_unknown_reason_key_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID + '[reasons.days_in_proces]\nsentence = "x"\naction = "y"\n')
    with pytest.raises(ConfigError) as caught:
        load_playbook(path)
    assert "days_in_proces" in str(caught.value)
    assert str(path) in str(caught.value)


def test_unknown_placeholder_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID.replace("{typical}", "{median}"))
    with pytest.raises(ConfigError, match="median"):
        load_playbook(path)


def test_a_missing_action_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID.replace('action = "Keep going."', ""))
    with pytest.raises(ConfigError, match="no_risk"):
        load_playbook(path)


def test_a_company_can_reword_an_action(tmp_path: Path) -> None:
    text = VALID + '[reasons.competing_offers]\nsentence = "{value}"\naction = "Ring them."\n'
    playbook = load_playbook(_write(tmp_path, text))
    assert playbook.action_for("competing_offers", HIGH) == "Ring them."
    assert playbook.action_for("department", HIGH) == "Check in."


def test_low_risk_offers_and_offers_without_a_reason_get_the_no_risk_action() -> None:
    playbook = load_playbook()
    assert playbook.action_for("days_in_process", LOW) == playbook.no_risk.action
    assert playbook.action_for(None, HIGH) == playbook.no_risk.action
    assert playbook.action_for("days_in_process", HIGH) != playbook.no_risk.action


def test_no_shipped_action_uses_pressure_tactics() -> None:
    playbook = load_playbook()
    actions = [w.action.lower() for w in playbook.reasons.values()] + [
        playbook.default.action.lower(),
        playbook.no_risk.action.lower(),
    ]
    for word in ("expire", "deadline", "exploding", "only today", "last chance"):
        assert not any(word in action for action in actions), word


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("days_in_process", 34.0, "34 days"),
        ("days_in_process", 1.0, "1 day"),
        ("comp_delta_pct", -8.25, "-8.2%"),
        ("comp_delta_pct", 5.0, "+5%"),
        ("competing_offers", 2.0, "2 offers"),
        ("counteroffer_expected", 1.0, "yes"),
        ("interview_experience", 2.0, "2 out of 5"),
        ("department", "sales", "sales"),
        ("days_since_last_contact", float("nan"), "not recorded"),
    ],
)
def test_values_are_rendered_as_a_recruiter_would_say_them(
    column: str, value: object, text: str
) -> None:
    assert render_value(schema.column(column), value) == text
