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
from declinerisk.data.features import FeatureSet
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.sources import iter_table
from declinerisk.data.validation import ValidatedOffers, validate_offers
from declinerisk.errors import RowProblem
from declinerisk.explain.actions import Playbook, load_playbook
from declinerisk.explain.reasons import ReasonWriter
from declinerisk.scoring.kernel import Kernel, KernelResult
from declinerisk.scoring.predictor import ModelInfo, ScoredOffer

__all__ = ["ScoreReport", "ScoredOffer", "Scorer", "score_file"]
from declinerisk.data.validation import duplicate_id
from declinerisk.scoring.sinks import open_sink

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
        columns = columns_of_records(records, self.features)
        result = self.kernel.score(columns, len(records))
        return [
            ScoredOffer(
                offer_id=str(record[schema.ID_COLUMN]),
                decline_probability=float(result.probability[i]),
                risk_band=str(result.band[i]),
                reasons=self.writer.reasons_of(result, i, columns),
                action=self.writer.action(int(result.lead[i]), str(result.band[i])),
                what_ifs=self.writer.what_ifs_of(result, i, self.kernel.levers),
                model_version=self.version,
                warnings=self._warnings(result, i, columns),
            )
            for i, record in enumerate(records)
        ]

    def _warnings(
        self, result: KernelResult, i: int, columns: Mapping[str, np.ndarray]
    ) -> list[str]:
        warnings = [
            f"{name}: value not seen in training, scored as an unknown category"
            for j, name in enumerate(self.features.names)
            if result.unseen[j, i]
        ]
        warnings += [
            f"{c.name}: not given, scored as not recorded"
            for c in self.features.columns
            if c.role is not schema.Role.OPTIONAL and _missing(columns[c.name][i])
        ]
        return warnings

    def validate(
        self, raw: pd.DataFrame, mapping: ColumnMapping, source: str, *, duplicates: bool = True
    ) -> ValidatedOffers:
        return validate_offers(
            raw,
            mapping,
            source=source,
            purpose="score",
            features=self.features,
            duplicates=duplicates,
        )

    def score(self, offers: pd.DataFrame, *, reasons: bool = True) -> pd.DataFrame:
        """One row per offer: id, probability, band, (reasons, action, what-ifs,) version."""
        result = self.kernel.score(
            columns_of_frame(offers, self.features), len(offers), explain=reasons
        )
        scored = pd.DataFrame(
            {
                schema.ID_COLUMN: offers[schema.ID_COLUMN].to_numpy(),
                "decline_probability": result.probability,
                "risk_band": result.band,
            },
            index=offers.index,
        )
        if reasons:
            table = self.writer.table(result, offers, self.kernel.levers)
            scored = pd.concat([scored, table], axis=1)
        scored["model_version"] = self.version
        return scored


def columns_of_frame(offers: pd.DataFrame, features: FeatureSet) -> dict[str, np.ndarray]:
    """One array per input of a validated frame, as the kernel takes them."""
    return {name: offers[name].to_numpy() for name in features.names}


def columns_of_records(
    records: Sequence[Mapping[str, Any]], features: FeatureSet
) -> dict[str, np.ndarray]:
    """One array per input of plain records, typed as validation types a frame.

    Numbers (booleans as 0/1) become floats with NaN for missing; categories stripped text
    with None for missing or blank, so a record scores exactly as the same row of a file.
    """
    columns: dict[str, np.ndarray] = {}
    for column in features.columns:
        values = [record.get(column.name) for record in records]
        if column.is_numeric:
            columns[column.name] = np.asarray(
                [np.nan if v is None else float(v) for v in values], dtype=np.float64
            )
        else:
            text = [None if v is None else str(v).strip() or None for v in values]
            columns[column.name] = np.asarray(text, dtype=object)
    return columns


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


class _FirstRows:
    """The row where each offer id was first seen, over the chunks read so far.

    Ids are kept as sorted 64-bit hashes with their first rows (16 bytes per distinct id). A
    hash collision (odds about 1 in 10^12 at 5 million rows) would report a row as a
    duplicate, never drop it silently.
    """

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.uint64)
        self._rows = np.empty(0, dtype=np.int64)

    def first_rows(self, ids: pd.Series) -> np.ndarray:
        """For each id (indexed by row number, in file order), the row it was first seen at:
        its own row when it is new."""
        hashes = pd.util.hash_array(ids.astype(str).to_numpy())
        rows = ids.index.to_numpy(dtype=np.int64)
        first = rows.copy()
        known = np.zeros(len(hashes), dtype=bool)
        if len(self._hashes):
            at = np.minimum(np.searchsorted(self._hashes, hashes), len(self._hashes) - 1)
            known = self._hashes[at] == hashes
            first[known] = self._rows[at[known]]
        # np.unique's indices point at each new id's first occurrence in this chunk.
        new, where, back = np.unique(hashes[~known], return_index=True, return_inverse=True)
        first[~known] = rows[~known][where][back]
        hashes_all = np.concatenate([self._hashes, new])
        order = np.argsort(hashes_all, kind="stable")
        self._hashes = hashes_all[order]
        self._rows = np.concatenate([self._rows, rows[~known][where]])[order]
        return np.asarray(first)


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
    seen = _FirstRows()
    read = scored_rows = rejected = 0
    riskiest = pd.DataFrame()
    sink = open_sink(output)
    with errors.open("w", newline="") as err, contextlib.closing(sink):
        err.write(",".join(ERROR_COLUMNS) + "\n")
        for chunk in iter_table(source, chunk_rows):
            # Repeats are found over the whole file, so each names the id's first row.
            validated = scorer.validate(chunk, mapping, str(source), duplicates=False)
            problems = validated.problems + _repeated_ids(validated, seen)
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


def _repeated_ids(validated: ValidatedOffers, seen: _FirstRows) -> list[RowProblem]:
    ids = validated.frame[schema.ID_COLUMN]
    present = ids[ids.notna()]
    first = seen.first_rows(present)
    repeated = first != present.index.to_numpy()
    return [
        RowProblem(int(row), schema.ID_COLUMN, str(value), duplicate_id(int(earlier)))
        for (row, value), earlier in zip(present[repeated].items(), first[repeated], strict=True)
    ]


def _write_problems(handle: object, problems: list[RowProblem], offers: pd.DataFrame) -> None:
    """Each problem with its row, the row's offer id (blank when the id itself is missing),
    column, value and reason."""
    if problems:
        frame = pd.DataFrame([p.__dict__ for p in problems])
        ids = offers[schema.ID_COLUMN]
        frame[schema.ID_COLUMN] = frame["row"].map(ids.where(ids.notna(), None))
        frame = frame[ERROR_COLUMNS].sort_values(["row", "column"])
        frame.to_csv(handle, index=False, header=False)


def _missing(value: Any) -> bool:
    """None (a blank category) or NaN (a missing number), as the kernel scores them."""
    return value is None or (isinstance(value, float) and value != value)
