"""Scoring open offers: probability, band, reasons, action and what-ifs, for records or files.

One :class:`Scorer` serves batch files and the service alike, through one kernel. Files are
streamed in chunks so memory stays bounded whatever their size; every refused row goes to an
errors file with its row number and reason, and ``scored + rejected == rows read`` always holds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from declinerisk.artifacts.folder import LoadedModel, Manifest
from declinerisk.data import schema
from declinerisk.data.duplicates import SeenIds
from declinerisk.data.features import FeatureSet
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.sources import iter_table
from declinerisk.data.validation import ValidatedOffers, validate_offers
from declinerisk.errors import RowProblem
from declinerisk.explain.actions import Playbook, load_playbook
from declinerisk.explain.reasons import ReasonWriter
from declinerisk.scoring.kernel import BANDS, Kernel
from declinerisk.scoring.offers import OfferWriter
from declinerisk.scoring.predictor import ModelInfo, ScoredOffer
from declinerisk.scoring.sinks import open_sink

__all__ = ["ScoreReport", "ScoredOffer", "Scorer", "score_file"]

CHUNK_ROWS = 100_000
ERROR_COLUMNS = ["row", "offer_id", "column", "value", "reason"]


class Scorer:
    """A loaded model's kernel and playbook, ready to score contract-typed offers (the
    :class:`~declinerisk.scoring.predictor.Predictor` the service serves).

    ``score`` takes a validated frame (files); ``score_records`` takes plain records whose
    values already passed the contract (the service). Both hand one array per input to the
    same :class:`~declinerisk.scoring.kernel.Kernel`, so they give the same numbers and words.
    """

    def __init__(self, model: LoadedModel, playbook: Playbook | None = None) -> None:
        self.model = model
        self.features = model.manifest.feature_set
        playbook = playbook or load_playbook()
        typical = model.manifest.typical_values
        self.kernel = Kernel(
            model.model, self.features, typical, model.manifest.risk_bands, playbook
        )
        self.writer = ReasonWriter(self.features, typical, playbook)
        self.offers = OfferWriter(self.features, self.writer, self.kernel.levers, model.version)
        manifest = model.manifest
        report = model.path / "report.html"
        self.info = ModelInfo(
            version=manifest.version,
            trained_at=manifest.created_at,
            features=self.features,
            bands=manifest.bands,
            metrics=manifest.metrics.model_dump(),
            estimator=manifest.estimator.model_dump(mode="json"),
            drift_reference=manifest.drift_reference,
            report=report if report.is_file() else None,
        )

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def manifest(self) -> Manifest:
        return self.model.manifest

    def score_records(self, records: Sequence[Mapping[str, Any]]) -> list[ScoredOffer]:
        return self.offers.offers(self.kernel.score_records(records), records)

    def validate(
        self,
        raw: pd.DataFrame,
        mapping: ColumnMapping,
        source: str,
        seen: SeenIds | None = None,
        *,
        duplicates: bool = True,
    ) -> ValidatedOffers:
        return validate_offers(
            raw,
            mapping,
            source=source,
            purpose="score",
            features=self.features,
            seen=seen,
            duplicates=duplicates,
        )

    def score(self, offers: pd.DataFrame, *, reasons: bool = True) -> pd.DataFrame:
        """One row per offer: id, probability, band, (reasons, action, what-ifs,) version."""
        result = self.kernel.score(
            columns_of_frame(offers, self.features), len(offers), explain=reasons
        )
        # Text as categoricals and columns side by side (pd.concat, never one stacked block):
        # a million rows of words cost integer codes, not a million Python strings per column.
        parts = [
            offers[schema.ID_COLUMN],
            # copy=False: the kernel's arrays are this call's own (pandas 3 copies by default).
            pd.Series(
                result.probability, index=offers.index, name="decline_probability", copy=False
            ),
            pd.Series(
                pd.Categorical.from_codes(result.band_code, BANDS),
                index=offers.index,
                name="risk_band",
            ),
        ]
        if reasons:
            parts.append(self.writer.table(result, offers, self.kernel.levers))
        version = pd.Categorical.from_codes(np.zeros(len(offers), dtype=np.int8), [self.version])
        parts.append(pd.Series(version, index=offers.index, name="model_version"))
        return pd.concat(parts, axis=1)


def columns_of_frame(offers: pd.DataFrame, features: FeatureSet) -> dict[str, np.ndarray]:
    """One array per input of a validated frame, as the kernel takes them."""
    return {name: offers[name].to_numpy() for name in features.names}


@dataclass(frozen=True)
class ScoreReport:
    rows_read: int
    rows_scored: int
    rows_rejected: int
    output: Path
    errors: Path
    riskiest: pd.DataFrame


def errors_path(output: Path) -> Path:
    """Where the refused rows of ``output`` are written: beside it, ``<name>.errors.csv``."""
    return output.with_name(f"{output.stem}.errors.csv")


def score_file(
    scorer: Scorer,
    source: Path,
    output: Path,
    mapping: ColumnMapping,
    *,
    reasons: bool = True,
    chunk_rows: int = CHUNK_ROWS,
    keep_riskiest: int = 10,
    progress: Callable[[int], None] | None = None,
) -> ScoreReport:
    """Score every row of ``source`` into ``output`` (CSV or Parquet); refused rows go to the
    errors file (CSV)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    errors = errors_path(output)
    seen = SeenIds()
    read = scored_rows = rejected = 0
    riskiest = pd.DataFrame()
    sink = open_sink(output)
    with errors.open("w", newline="") as err, contextlib.closing(sink):
        err.write(",".join(ERROR_COLUMNS) + "\n")
        for chunk in iter_table(source, chunk_rows):
            # One ledger of ids for the whole file: a repeat is refused whichever chunk
            # holds the first (duplicates.SeenIds, the request's too).
            validated = scorer.validate(chunk, mapping, str(source), seen)
            problems = validated.problems
            bad = {p.row for p in problems}
            valid = validated.frame.drop(index=sorted(bad))
            scored = scorer.score(valid, reasons=reasons)
            sink.write(scored)
            _write_problems(err, problems, validated.frame)
            read += len(chunk)
            scored_rows += len(scored)
            rejected += len(bad)
            riskiest = pd.concat([riskiest, scored.nlargest(keep_riskiest, "decline_probability")])
            riskiest = riskiest.nlargest(keep_riskiest, "decline_probability")
            if progress:
                progress(len(chunk))
    return ScoreReport(read, scored_rows, rejected, output, errors, riskiest)


def _write_problems(handle: object, problems: list[RowProblem], offers: pd.DataFrame) -> None:
    """Each problem with its row, the row's offer id (blank when the id itself is missing),
    column, value and reason."""
    if problems:
        frame = pd.DataFrame([p.__dict__ for p in problems])
        ids = offers[schema.ID_COLUMN]
        frame[schema.ID_COLUMN] = frame["row"].map(ids.where(ids.notna(), None))
        frame = frame[ERROR_COLUMNS].sort_values(["row", "column"])
        frame.to_csv(handle, index=False, header=False)
