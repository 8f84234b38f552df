"""Splitting past offers into a training part and a test part.

With ``offer_date``, the split is time-ordered: the latest offers are the test set, so
evaluation looks like using the model on offers that come after the ones it learned from.
Without a date the fallback is a stratified random split, and :attr:`Split.method` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.model_selection import train_test_split

from declinerisk.data import schema
from declinerisk.errors import SchemaError

MIN_ROWS_PER_CLASS = 20


class SplitConfig(BaseModel):
    """The ``[split]`` section of a training config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    test_fraction: float = Field(0.2, gt=0.0, lt=0.5)


@dataclass(frozen=True)
class Split:
    training: pd.DataFrame
    test: pd.DataFrame
    method: str


def declined(frame: pd.DataFrame) -> np.ndarray:
    """1 for declined offers, 0 for accepted ones."""
    labels: np.ndarray = (frame[schema.LABEL_COLUMN] == schema.DECLINED).to_numpy(dtype=np.int64)
    return labels


def split_offers(offers: pd.DataFrame, config: SplitConfig, seed: int) -> Split:
    if schema.DATE_COLUMN in offers.columns:
        split = _time_ordered(offers, config)
    else:
        split = _stratified(offers, config, seed)
    for name, part in (("training", split.training), ("test", split.test)):
        counts = np.bincount(declined(part), minlength=2)
        if counts.min() < MIN_ROWS_PER_CLASS:
            raise SchemaError(
                f"too few offers to train: the {name} part has {counts[0]} accepted and "
                f"{counts[1]} declined; each part needs at least {MIN_ROWS_PER_CLASS} of each"
            )
    return split


def _time_ordered(offers: pd.DataFrame, config: SplitConfig) -> Split:
    ordered = offers.sort_values(schema.DATE_COLUMN, kind="stable")
    n = len(ordered)
    test_start = n - round(n * config.test_fraction)
    test = ordered.iloc[test_start:]
    dates = test[schema.DATE_COLUMN]
    method = (
        f"time-ordered: the latest {config.test_fraction:.0%} of offers by offer_date "
        f"({dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}) are the test set"
    )
    return Split(ordered.iloc[:test_start], test, method)


def _stratified(offers: pd.DataFrame, config: SplitConfig, seed: int) -> Split:
    training, test = train_test_split(
        offers, test_size=config.test_fraction, stratify=declined(offers), random_state=seed
    )
    method = (
        "stratified random split (fallback: the data has no offer_date, so evaluation "
        "cannot follow time order)"
    )
    return Split(training, test, method)
