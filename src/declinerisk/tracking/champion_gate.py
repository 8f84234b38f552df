"""The champion gate: does a new model take the registry's ``champion`` alias, or stay challenger?

It is compared with the current champion on the test offers the champion never saw (later
than its training data), by a paired bootstrap interval of the PR AUC difference.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from declinerisk.artifacts.folder import Manifest, load_model
from declinerisk.artifacts.registry import download_model_folder
from declinerisk.data import schema
from declinerisk.errors import DeclineRiskError

CHAMPION = "champion"
CHALLENGER = "challenger"
RESAMPLES = 300
CONFIDENCE = 0.95
MIN_PR_AUC_DROP = 0.005  # the stated rule when no paired predictions are at hand


@dataclass(frozen=True)
class AliasDecision:
    alias: str
    reason: str


def decide_alias(
    new_pr_auc: float,
    champion_pr_auc: float | None,
    *,
    promote: bool,
    interval: tuple[float, float] | None = None,
) -> AliasDecision:
    """Champion unless the new model is worse than the current champion beyond noise.

    With ``interval`` (the paired bootstrap interval of new minus champion PR AUC on the same
    test rows, :func:`pr_auc_difference`) the new model stays challenger only when the whole
    interval is below zero. Without one, the stated rule: it stays challenger when its PR AUC
    is more than :data:`MIN_PR_AUC_DROP` below the champion's.
    """
    if promote:
        return AliasDecision(CHAMPION, "promoted by --promote")
    if champion_pr_auc is None:
        return AliasDecision(CHAMPION, "no champion yet")
    difference = new_pr_auc - champion_pr_auc
    numbers = (
        f"PR AUC {new_pr_auc:.4f} vs champion's {champion_pr_auc:.4f} on this test set "
        f"(difference {difference:+.4f}"
    )
    if interval is not None:
        low, high = interval
        rule = (
            f"{numbers}, {CONFIDENCE:.0%} paired bootstrap interval [{low:+.4f}, {high:+.4f}] "
            f"over {RESAMPLES} resamples)"
        )
        worse = high < 0
    else:
        rule = f"{numbers}; rule: no more than {MIN_PR_AUC_DROP} below)"
        worse = difference < -MIN_PR_AUC_DROP
    if worse:
        return AliasDecision(
            CHALLENGER,
            f"worse than the champion beyond noise: {rule}; the champion stays "
            "(use --promote to override)",
        )
    return AliasDecision(CHAMPION, f"not worse than the champion beyond noise: {rule}")


def pr_auc_difference(
    y: np.ndarray, new: np.ndarray, champion: np.ndarray, *, seed: int = 0
) -> tuple[float, float]:
    """Paired bootstrap interval of PR AUC(new) - PR AUC(champion) on the same rows.

    Each resample draws the test rows with replacement (as multiplicity weights) and scores
    both models on the same draw, so the interval reflects the noise of the difference, which
    is much smaller than the noise of either PR AUC alone.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    differences = np.empty(RESAMPLES)
    for i in range(RESAMPLES):
        weight = np.bincount(rng.integers(0, n, n), minlength=n)
        differences[i] = average_precision_score(
            y, new, sample_weight=weight
        ) - average_precision_score(y, champion, sample_weight=weight)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    return float(low), float(high)


def choose_alias(
    name: str,
    new_version: str,
    test: pd.DataFrame,
    test_probability: np.ndarray,
    promote: bool,
    tracking_uri: str,
) -> AliasDecision:
    if promote:
        return decide_alias(0.0, None, promote=True)
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    y = (test[schema.LABEL_COLUMN] == schema.DECLINED).to_numpy(dtype=int)
    try:
        champion = MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return decide_alias(_pr_auc(y, test_probability), None, promote=False)
    if str(champion.version) == new_version:
        return decide_alias(_pr_auc(y, test_probability), None, promote=False)
    try:
        with tempfile.TemporaryDirectory(prefix="declinerisk-champion-") as tmp:
            loaded = load_model(
                download_model_folder(f"models:/{name}/{champion.version}", Path(tmp), tracking_uri)
            )
        unseen = _unseen_by(loaded.manifest, test)
        if unseen.sum() < MIN_GATE_ROWS or len(np.unique(y[unseen])) < 2:
            return AliasDecision(
                CHALLENGER,
                f"only {int(unseen.sum())} test offers are later than the champion's training "
                f"data (at least {MIN_GATE_ROWS} with both outcomes are needed to compare "
                "fairly); the champion stays (use --promote to override)",
            )
        champion_p = loaded.decline_probability(test[unseen])
    except (DeclineRiskError, KeyError) as exc:
        return AliasDecision(
            CHALLENGER,
            f"champion v{champion.version} cannot be scored on this test set ({exc}); "
            "the champion stays (use --promote to override)",
        )
    return decide_alias(
        _pr_auc(y[unseen], test_probability[unseen]),
        _pr_auc(y[unseen], champion_p),
        promote=False,
        interval=pr_auc_difference(y[unseen], test_probability[unseen], champion_p),
    )


# Fewest test offers unseen by the champion that the gate compares on.
MIN_GATE_ROWS = 200


def _unseen_by(champion: Manifest, test: pd.DataFrame) -> np.ndarray:
    """Test rows the champion was not fitted on: offers after its training data ended.

    A shipped model is refitted on every row it had, so only later offers are fair ground.
    Without dates nothing can be shown unseen.
    """
    through = champion.data.fitted_through
    if through is None or schema.DATE_COLUMN not in test.columns:
        return np.zeros(len(test), dtype=bool)
    return np.asarray(test[schema.DATE_COLUMN] > pd.Timestamp(through))


def _pr_auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(average_precision_score(y, p))
