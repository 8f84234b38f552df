"""The manifest: what a model folder records about itself, as typed pydantic models.

Field names are the JSON keys of ``manifest.json``, so a manifest reads the same whichever
version of this module wrote it. Every model is frozen and forbids extra keys: a manifest
that does not match is refused on load rather than half-read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from declinerisk.data.features import FeatureSet
from declinerisk.modeling.bands import RiskBands


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DataFingerprint(_Record):
    source: str
    sha256: str
    rows_read: int
    rows_invalid: int
    rows_dropped: int
    rows_training: int
    rows_test: int
    rows_shipped: int
    split: str
    fitted_through: str | None = None


class EstimatorParams(_Record):
    """The shipped EBM's settings (shown on the console and in the report)."""

    interactions: int | float | str  # as configured: a count, a fraction, or "3x" the inputs
    outer_bags: int
    learning_rate: float
    smoothing_rounds: int
    pairs: int


class SelectionRecord(_Record):
    """Which candidate setting won and every candidate's cross-fitted ROC AUC."""

    cross_fitted_roc_auc: dict[str, float]
    rows: int
    chosen: str


class CalibrationParams(_Record):
    slope: float
    intercept: float


class Estimator(_Record):
    """What was fitted, how it was calibrated, and how it was evaluated and shipped."""

    family: str
    params: EstimatorParams
    selection: SelectionRecord
    calibration: str
    calibration_params: CalibrationParams
    baseline: str
    evaluated: str
    shipped: str


class TestMetrics(_Record):
    """Classification metrics on the test offers (see ``modeling.evaluate``)."""

    __test__ = False  # not a pytest test class despite its name

    roc_auc: float
    pr_auc: float
    brier: float
    log_loss: float
    ece: float
    top_decile_capture: float
    decline_rate: float
    bayes_roc_auc: float | None = None  # known only for demo data

    @model_serializer(mode="wrap")
    def _omit_unknown_bayes(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Absent rather than null: manifests, MLflow and the model card read as before.
        data: dict[str, Any] = handler(self)
        if data.get("bayes_roc_auc") is None:
            data.pop("bayes_roc_auc", None)
        return data


class CrossFitMetrics(_Record):
    roc_auc: float


class Metrics(_Record):
    """The evaluated model and the baseline on the same test offers, and the cross-fit."""

    test: TestMetrics
    baseline_test: TestMetrics
    cross_fit: CrossFitMetrics


class FairnessGroup(_Record):
    """One group of one protected attribute (or intersection) on the test set."""

    attribute: str
    group: str
    count: int
    flagged: int
    flagged_share: float
    roc_auc: float | None
    calibration_error: float
    too_small: bool  # shown, not judged: under 2% or 30 rows, or "(not given)"
    # Fewer flags (flag = favourable): share flagged over the most-flagged group's.
    impact_ratio: float | None
    reference: str | None
    p_value: float | None  # Holm-adjusted, against ``reference``
    adverse: bool
    # More flags (flag = unfavourable): share not flagged over the least-flagged group's.
    unflagged_ratio: float | None
    unflagged_reference: str | None
    unflagged_p_value: float | None
    over_flagged: bool
    comparisons: int  # pairs tested in the whole audit (the Holm family)


class NumericBins(_Record):
    """Counts below each edge, past the last, then missing (``len(edges) + 2`` counts)."""

    edges: list[float]
    counts: list[int]


class CategoryBins(_Record):
    """Counts per seen category, then any other category, then missing."""

    categories: list[str]
    counts: list[int]


class DriftReference(_Record):
    """Binned training distributions of every input and of the score."""

    inputs: dict[str, NumericBins | CategoryBins]
    score: NumericBins


class Manifest(_Record):
    """Everything a model folder knows about itself."""

    version: str
    created_at: datetime
    git_revision: str | None
    schema_version: int
    data: DataFingerprint
    features: list[dict[str, Any]]
    feature_summary: dict[str, dict[str, Any]]
    estimator: Estimator
    metrics: Metrics
    bands: dict[str, float]
    libraries: dict[str, str]
    notes: list[str]
    model_sha256: str
    canary_sha256: str
    data_summary: dict[str, Any] = {}
    drivers: dict[str, float] = {}
    fairness: list[FairnessGroup] = []
    drift_reference: DriftReference

    @property
    def feature_set(self) -> FeatureSet:
        return FeatureSet.from_list(self.features)

    @property
    def risk_bands(self) -> RiskBands:
        return RiskBands(**self.bands)

    @property
    def typical_values(self) -> dict[str, Any]:
        """Each input's typical training value: what reasons measure effects against."""
        return {name: entry.get("typical") for name, entry in self.feature_summary.items()}
