"""Scoring on Spark (local[2]) gives what scoring in-process gives: numbers, words, refusals."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from declinerisk.cli.main import main
from declinerisk.data.mapping import ColumnMapping
from declinerisk.data.synthetic import demo_offers
from declinerisk.scoring.spark_session import SparkSettings, spark_session
from declinerisk.train.config import TrainConfig
from declinerisk.train.run import TrainResult, run
from tests.factories import with_tracking
from tests.test_pyfunc import loaded_pyfunc

pytest.importorskip("pyspark")

ROWS = 100_000


@pytest.fixture
def java() -> None:
    """Spark runs on a JVM: skipped without Java here, a failure in CI (.ci/run installs it)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            pytest.fail("CI must install a Java runtime (.ci/run does)")
        pytest.skip("no Java runtime (apt-get install default-jre-headless)")


def _planted(path: Path) -> Path:
    """100,000 open demo offers with invalid values and repeated ids planted, two of them
    across the in-process path's 100,000-row chunk boundary."""
    frame = demo_offers(ROWS, seed=8, open_=True)
    frame = frame.astype({"offer_id": object, "comp_delta_pct": object})
    frame.loc[10, "comp_delta_pct"] = "abc"
    frame.loc[20, "offer_id"] = None
    frame.loc[30, "days_in_process"] = -5.0
    frame.loc[40, "offer_id"] = frame.loc[35, "offer_id"]
    frame.loc[50, "competing_offers"] = 999
    frame.loc[ROWS - 10, "offer_id"] = frame.loc[5, "offer_id"]
    frame.loc[ROWS - 1, "interview_experience"] = 9
    frame["comp_delta_pct"] = frame["comp_delta_pct"].astype(str)
    frame["row"] = "an export's own column, ignored"
    frame.to_parquet(path, index=False, row_group_size=25_000)
    return path


def _as_parts(source: Path, folder: Path, parts: int = 4) -> Path:
    """The same rows as a folder of Parquet files, as a Spark job exports them."""
    frame = pd.read_parquet(source)
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[part].to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    return folder


def _score(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["score", *args, "--show", "0"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


@pytest.mark.slow
@pytest.mark.usefixtures("java")
def test_spark_and_in_process_scores_are_identical_with_the_same_refused_rows(
    tmp_path: Path, trained: TrainResult, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _planted(tmp_path / "open.parquet")
    model = ["--model", str(trained.folder)]
    local, spark = tmp_path / "local.parquet", tmp_path / "spark.parquet"
    _score([str(source), "--out", str(local), *model], capsys)
    # Spark reads the same rows as four files: row numbers run on across them.
    parts = _as_parts(source, tmp_path / "parts")
    said = _score([str(parts), "--engine", "spark", "--out", str(spark), *model], capsys)
    assert "scored 99,993 of 100,000 offers" in said

    expected = pd.read_parquet(local)
    got = pd.read_parquet(spark).sort_values("row", ignore_index=True)
    refused = (tmp_path / "local.errors.csv").read_text()
    assert (tmp_path / "spark.errors.csv").read_text() == refused
    assert len(refused.splitlines()) == 1 + 7
    rows = np.setdiff1d(np.arange(1, ROWS + 1), pd.read_csv(tmp_path / "local.errors.csv")["row"])
    np.testing.assert_array_equal(got.pop("row").to_numpy(), rows)
    assert list(got.columns) == list(expected.columns)
    for name in expected.columns:
        if expected[name].dtype.kind == "f":
            np.testing.assert_allclose(got[name], expected[name], rtol=0, atol=1e-12)
        else:
            assert got[name].equals(expected[name]), name


@pytest.mark.slow
@pytest.mark.usefixtures("java")
def test_spark_scores_one_file_without_reasons_as_in_process(
    tmp_path: Path, trained: TrainResult, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _planted_small(tmp_path)
    model = ["--model", str(trained.folder), "--no-reasons"]
    _score([str(source), "--out", str(tmp_path / "local.parquet"), *model], capsys)
    _score([str(source), "--engine", "spark", "--out", str(tmp_path / "s.parquet"), *model], capsys)
    expected = pd.read_parquet(tmp_path / "local.parquet")
    got = pd.read_parquet(tmp_path / "s.parquet").sort_values("row", ignore_index=True)
    assert got.pop("row").tolist() == list(range(1, len(expected) + 1))
    assert list(got.columns) == ["offer_id", "decline_probability", "risk_band", "model_version"]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_spark_engine_refuses_bad_input_in_one_line(
    tmp_path: Path, trained: TrainResult, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ["--model", str(trained.folder), "--engine", "spark"]
    cases = {
        "no such file or folder": [str(tmp_path / "missing.parquet"), "--out", "x.parquet"],
        "writes Parquet": [str(_planted_small(tmp_path)), "--out", str(tmp_path / "x.csv")],
        "comp_delta_pct": [
            str(_planted_small(tmp_path, drop="comp_delta_pct")),
            "--out",
            str(tmp_path / "x.parquet"),
        ],
    }
    for words, args in cases.items():
        assert main(["score", *args, *model]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and words in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err


def _planted_small(tmp_path: Path, drop: str | None = None) -> Path:
    frame = demo_offers(50, seed=3, open_=True)
    path = tmp_path / f"small-{drop}.parquet"
    (frame.drop(columns=[drop]) if drop else frame).to_parquet(path, index=False)
    return path


@pytest.mark.slow
@pytest.mark.usefixtures("java")
def test_the_logged_pyfunc_scores_a_spark_dataframe_through_spark_udf(
    tmp_path: Path, config: TrainConfig, demo_csv: Path
) -> None:
    import mlflow
    from pyspark.sql import functions as sf

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    tracked = with_tracking(config)
    result = run(tracked, demo_csv, ColumnMapping(), tracking_uri=uri)
    assert result.tracking is not None
    offers = demo_offers(2_000, seed=4, open_=True)
    offers.loc[7, "days_in_process"] = -5.0
    offers.to_parquet(tmp_path / "open.parquet", index=False)
    expected = loaded_pyfunc(result).predict(None, offers)

    model_uri = f"models:/declinerisk/{result.tracking.model_version}"
    names = mlflow.models.get_model_info(model_uri).signature.inputs.input_names()
    with spark_session(SparkSettings(), tmp_path, tmp_path / "spark.log") as spark:
        udf = mlflow.pyfunc.spark_udf(spark, model_uri, env_manager="local")
        frame = spark.read.parquet(str(tmp_path / "open.parquet"))
        scored = (
            frame.select(udf(*[sf.col(n) for n in names]).alias("score"))
            .select("score.*")
            .toArrow()
            .to_pandas()
        )
    scored = scored.set_index("offer_id").loc[expected["offer_id"].fillna("")].reset_index()
    assert scored["status"].tolist() == expected["status"].tolist()
    assert scored.loc[7, "refusal"] == "days_in_process: must be between 0 and 730"
    np.testing.assert_array_equal(scored["decline_probability"], expected["decline_probability"])
    assert scored["reason_1_sentence"].tolist() == expected["reason_1_sentence"].tolist()
    assert scored["action"].tolist() == expected["action"].tolist()
