"""Realistic demo offers, drawn from a documented process with known decline probabilities.

The generating process
----------------------
Offers are spread evenly over two years (2024-07-01 to 2026-06-30); open offers (``open_=True``)
fall in the 30 days after that and carry no outcome. Let ``t`` in [0, 1] be an offer's position
in that window. Every draw comes from one ``numpy.random.Generator`` seeded by ``seed``, so the
same seed and row count give the same file.

Signals (rounded as an export would hold them):

* ``role_level`` junior/mid/senior/lead/executive (25/35/25/10/5 %); ``department`` six values;
  ``source`` referral/agency/inbound/sourced (20/15/35/30 %).
* ``days_in_process`` ~ Gamma(3, 7) days, longer for senior roles and stretching by up to 20 %
  over the window (slow drift: hiring slows as the market tightens).
* ``contacts_per_week`` ~ Gamma(2, 0.8); ``days_since_last_contact`` ~ Exponential with mean
  7 / (contacts + 0.5), so quiet processes go stale.
* ``comp_delta_pct`` ~ Normal(-1, 8) %, lower for senior roles.
* ``competing_offers`` ~ Poisson(0.45 + 0.35 t + 0.25 senior), capped at 8 (drift: more
  competition later).
* ``counteroffer_expected`` ~ Bernoulli(0.12, 0.27 for senior and above);
  ``interview_experience`` 1-5 with probabilities 5/10/25/35/25 %;
  ``requires_relocation`` ~ Bernoulli(0.15); ``notice_period_days`` by seniority.
* Protected attributes ``gender`` and ``age_band``, drawn independently of everything else.

Decline log-odds (``DECLINE_LOGIT_BASE`` plus)::

    0.045 min(days_in_process, 90)  + 0.07 min(days_since_last_contact, 30)
  - 0.7 log(1 + contacts_per_week)
  + 0.09 max(-comp_delta_pct, 0)    - 0.03 min(max(comp_delta_pct, 0), 20)
  + 0.45 min(competing_offers, 5)   + 0.012 min(days_in_process, 90) min(competing_offers, 3)
  + 0.9 counteroffer_expected       - 0.3 (interview_experience - 3)
  + 0.45 requires_relocation        + 0.006 notice_period_days
  + source (referral -0.35, agency +0.2, sourced +0.15) + level (lead +0.15, executive +0.3)

so risk rises with time in process and silence, falls with contact, rises as pay falls below
the ask, rises with competing offers and an expected counter-offer, and a slow process hurts
more when there are competing offers. ``DECLINE_LOGIT_BASE`` puts about 20 % of offers in the
declined class. The mapping from signals to risk is fixed over time; only the mix of signals
drifts, so a model can in principle reach the Bayes ROC AUC on later offers.

The probability is written to ``true_decline_probability`` (never a model input) and each
outcome is a Bernoulli draw from it. After drawing outcomes, about 5 % of each optional
signal is blanked (missing completely at random). Before risk is computed, about 0.2 % of
rows get an outlier (a process stalled for 150-400 days, or an offer 60-150 % above the ask),
within the contract's valid ranges; the capped terms above keep their risk finite.
Declined offers get a stated ``decline_reason`` drawn in proportion to the causes that
pushed their risk up.

The harder setting (``hard=True``), for checking that a model is not tuned to the easy demo:
a quarter of each optional signal is blank instead of 5 %, three more interactions enter the
log-odds (pay below the ask hurts more for senior roles, relocation with a long notice period,
a referral with competing offers), and an unobserved trait of the candidate (Normal(0, 0.8))
is added before the outcome is drawn, so no model of the recorded signals reaches the stored
probability's AUC.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from declinerisk.data import schema

WINDOW_START = date(2024, 7, 1)
WINDOW_DAYS = 730
OPEN_DAYS = 30
DECLINE_LOGIT_BASE = -3.87
MISSING_SHARE = 0.05
HARD_MISSING_SHARE = 0.25
OUTLIER_SHARE = 0.002

LEVELS = ("junior", "mid", "senior", "lead", "executive")
LEVEL_P = (0.25, 0.35, 0.25, 0.10, 0.05)
DEPARTMENTS = ("engineering", "sales", "operations", "finance", "marketing", "product")
DEPARTMENT_P = (0.35, 0.20, 0.15, 0.10, 0.10, 0.10)
SOURCES = ("referral", "agency", "inbound", "sourced")
SOURCE_P = (0.20, 0.15, 0.35, 0.30)
SOURCE_EFFECT = {"referral": -0.35, "agency": 0.2, "inbound": 0.0, "sourced": 0.15}
LEVEL_EFFECT = {"junior": 0.0, "mid": 0.0, "senior": 0.0, "lead": 0.15, "executive": 0.3}
NOTICE_DAYS = {"junior": 14, "mid": 30, "senior": 60, "lead": 60, "executive": 90}
GENDERS = ("woman", "man", "non-binary")
GENDER_P = (0.47, 0.50, 0.03)
AGE_BANDS = ("under 30", "30-39", "40-49", "50 and over")
AGE_BAND_P = (0.30, 0.35, 0.22, 0.13)
DECLINE_REASONS = (
    "process too long",
    "competing offer",
    "compensation",
    "counter-offer or promotion",
    "role or location",
    "personal",
    "other",
)


def demo_offers(rows: int, seed: int, *, open_: bool = False, hard: bool = False) -> pd.DataFrame:
    """``rows`` demo offers: past ones with outcomes or, with ``open_``, open ones without.

    ``hard`` draws the harder setting described in the module's documentation.
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    rng = np.random.default_rng(seed)
    frame = _signals(rng, rows, open_)
    _add_outliers(rng, frame)
    causes = _causes(frame)
    if hard:
        causes = _hard_causes(rng, frame, causes)
    logit = DECLINE_LOGIT_BASE + sum(causes.values())
    probability = 1.0 / (1.0 + np.exp(-logit))
    declined = rng.random(rows) < probability
    reasons = _decline_reasons(rng, causes, declined)
    _blank_optional(rng, frame, HARD_MISSING_SHARE if hard else MISSING_SHARE)
    frame[schema.TRUE_PROBABILITY_COLUMN] = np.round(probability, 6)
    if not open_:
        frame[schema.LABEL_COLUMN] = np.where(declined, schema.DECLINED, schema.ACCEPTED)
        frame["decline_reason"] = reasons
    frame["gender"] = rng.choice(GENDERS, rows, p=GENDER_P)
    frame["age_band"] = rng.choice(AGE_BANDS, rows, p=AGE_BAND_P)
    return frame


def _signals(rng: np.random.Generator, rows: int, open_: bool) -> pd.DataFrame:
    offset = rng.integers(0, OPEN_DAYS if open_ else WINDOW_DAYS, rows)
    if open_:
        offset = offset + WINDOW_DAYS
    order = np.argsort(offset, kind="stable")
    offset = offset[order]
    t = np.clip(offset / WINDOW_DAYS, 0.0, 1.0)
    level = rng.choice(LEVELS, rows, p=LEVEL_P)
    senior = np.isin(level, ("senior", "lead", "executive"))
    contacts = np.round(rng.gamma(2.0, 0.8, rows), 1)
    prefix = "open" if open_ else "offer"
    return pd.DataFrame(
        {
            schema.ID_COLUMN: [f"{prefix}-{i:07d}" for i in range(1, rows + 1)],
            schema.DATE_COLUMN: pd.to_datetime(WINDOW_START) + pd.to_timedelta(offset, unit="D"),
            "days_in_process": np.round(rng.gamma(3.0, 7.0, rows) * (1.0 + 0.2 * t) + 6.0 * senior),
            "contacts_per_week": contacts,
            "comp_delta_pct": np.round(
                np.clip(rng.normal(-1.0, 8.0, rows) - 2.0 * senior, -60, 60), 1
            ),
            "competing_offers": np.minimum(rng.poisson(0.45 + 0.35 * t + 0.25 * senior), 8),
            "days_since_last_contact": np.round(
                np.minimum(rng.exponential(7.0 / (contacts + 0.5)), 60.0)
            ),
            "counteroffer_expected": rng.random(rows) < np.where(senior, 0.27, 0.12),
            "interview_experience": rng.choice(
                [1, 2, 3, 4, 5], rows, p=(0.05, 0.1, 0.25, 0.35, 0.25)
            ),
            "role_level": level,
            "department": rng.choice(DEPARTMENTS, rows, p=DEPARTMENT_P),
            "source": rng.choice(SOURCES, rows, p=SOURCE_P),
            "requires_relocation": rng.random(rows) < 0.15,
            "notice_period_days": np.vectorize(NOTICE_DAYS.__getitem__, otypes=[float])(level),
        }
    )


def _causes(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each cause's additive share of the decline log-odds, named by the reason it leads to."""
    days = np.minimum(frame["days_in_process"].to_numpy(), 90)
    competing = frame["competing_offers"].to_numpy()
    comp = frame["comp_delta_pct"].to_numpy()
    source = frame["source"].map(SOURCE_EFFECT).to_numpy()
    level = frame["role_level"].map(LEVEL_EFFECT).to_numpy()
    return {
        "process too long": 0.045 * days
        + 0.07 * np.minimum(frame["days_since_last_contact"].to_numpy(), 30)
        - 0.7 * np.log1p(frame["contacts_per_week"].to_numpy()),
        "competing offer": 0.45 * np.minimum(competing, 5)
        + 0.012 * days * np.minimum(competing, 3),
        "compensation": 0.09 * np.maximum(-comp, 0) - 0.03 * np.minimum(np.maximum(comp, 0), 20),
        "counter-offer or promotion": 0.9 * frame["counteroffer_expected"].to_numpy(),
        "role or location": 0.45 * frame["requires_relocation"].to_numpy()
        + 0.006 * frame["notice_period_days"].to_numpy()
        + level,
        "other": -0.3 * (frame["interview_experience"].to_numpy() - 3) + source,
    }


def _decline_reasons(
    rng: np.random.Generator, causes: dict[str, np.ndarray], declined: np.ndarray
) -> np.ndarray:
    names = list(causes)
    weights = np.column_stack([np.maximum(causes[n], 0.0) for n in names]) + 0.15
    weights = np.column_stack([weights, np.full(len(declined), 0.3)])  # personal reasons
    names.append("personal")
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    pick = (rng.random(len(declined))[:, None] > cumulative).sum(axis=1)
    reasons = np.asarray(names, dtype=object)[np.minimum(pick, len(names) - 1)]
    return np.asarray(np.where(declined, reasons, None), dtype=object)


def _add_outliers(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    rows = len(frame)
    stalled = rng.random(rows) < OUTLIER_SHARE / 2
    frame.loc[stalled, "days_in_process"] = np.round(rng.uniform(150, 400, int(stalled.sum())))
    generous = rng.random(rows) < OUTLIER_SHARE / 2
    frame.loc[generous, "comp_delta_pct"] = np.round(rng.uniform(60, 150, int(generous.sum())), 1)


def _hard_causes(
    rng: np.random.Generator, frame: pd.DataFrame, causes: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The harder setting's interactions and unobserved trait, added to the causes."""
    senior = frame["role_level"].isin(["senior", "lead", "executive"]).to_numpy()
    below_ask = np.maximum(-frame["comp_delta_pct"].to_numpy(), 0)
    relocation = frame["requires_relocation"].to_numpy().astype(float)
    long_notice = (frame["notice_period_days"].to_numpy() > 45).astype(float)
    referral = (frame["source"] == "referral").to_numpy()
    competing = frame["competing_offers"].to_numpy() > 0
    hard = dict(causes)
    hard["compensation"] = causes["compensation"] + 0.05 * below_ask * senior
    hard["role or location"] = causes["role or location"] + 0.6 * relocation * long_notice
    hard["competing offer"] = causes["competing offer"] - 0.5 * (referral & competing)
    hard["other"] = causes["other"] + rng.normal(0.0, 0.8, len(frame))
    return hard


def _blank_optional(rng: np.random.Generator, frame: pd.DataFrame, share: float) -> None:
    for name in schema.OPTIONAL_SIGNALS:
        blank = rng.random(len(frame)) < share
        frame[name] = frame[name].astype(object).where(~blank, None)
