"""A model's inputs: the contract's columns one training run used, in the order it used them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from declinerisk.data.schema import Column, Kind


@dataclass(frozen=True)
class FeatureSet:
    """The model inputs of one training run, in the order the pipeline receives them."""

    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"feature names repeat: {names}")
        if not all(c.is_feature for c in self.columns):
            raise ValueError("a FeatureSet holds only core, optional or extra columns")

    @cached_property
    def names(self) -> list[str]:
        """The input names, in order (built once: the scoring path asks for them often).
        Treat the list as read-only."""
        return [c.name for c in self.columns]

    @property
    def numeric(self) -> list[str]:
        return [c.name for c in self.columns if c.is_numeric]

    @property
    def categorical(self) -> list[str]:
        return [c.name for c in self.columns if c.kind is Kind.CATEGORY]

    def __getitem__(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_list(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.columns]

    @classmethod
    def from_list(cls, data: Iterable[Mapping[str, Any]]) -> FeatureSet:
        return cls(tuple(Column.from_dict(d) for d in data))
