"""The uniform result of a simulation, whichever engine produced it."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from siegeline.model.metrics import METRICS, reduce_daily
from siegeline.model.outputs import DEFAULT_CURRENCY, OUTPUT_BY_NAME, OUTPUTS

DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
NEVER = -1  # first-stockout day of a replication that never runs out


def samples_json(samples: pd.DataFrame) -> str:
    """Parameter samples as split-oriented JSON with every float written exactly (pandas'
    ``to_json`` keeps 15 digits at most, so a rerun from stored samples would drift)."""
    return json.dumps(samples.to_dict(orient="split"))


@dataclass
class SimulationResult:
    """Daily outputs of every replication as an :class:`xarray.Dataset`, with run metadata.

    Dimensions: ``replication``, ``day`` and, per variable, ``product``, ``corridor`` or
    ``sector``. ``samples`` holds the per-replication values of sampled or overridden parameters.
    """

    dataset: xr.Dataset
    metadata: dict[str, Any]
    samples: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def from_arrays(
        cls,
        arrays: dict[str, np.ndarray],
        *,
        products: Sequence[str],
        corridors: Sequence[str],
        sectors: Sequence[str],
        start_date: dt.date,
        metadata: dict[str, Any],
        samples: dict[str, np.ndarray] | None = None,
    ) -> SimulationResult:
        reps, days = next(iter(arrays.values())).shape[:2]
        coords = {
            "replication": np.arange(reps),
            "day": np.arange(days),
            "date": ("day", pd.date_range(start_date, periods=days, freq="D")),
            "product": list(products),
            "corridor": list(corridors),
            "sector": list(sectors),
        }
        data_vars = {}
        currency = str(metadata.get("currency") or DEFAULT_CURRENCY)
        for name, arr in arrays.items():
            spec = OUTPUT_BY_NAME[name]
            data_vars[name] = xr.Variable(("replication", "day") + spec.dims, arr,
                                          attrs={"unit": spec.unit_in(currency),
                                                 "description": spec.description})
        ds = xr.Dataset(data_vars, coords=coords, attrs={k: str(v) for k, v in metadata.items()})
        frame = pd.DataFrame(samples or {}, index=pd.RangeIndex(reps, name="replication"))
        return cls(ds, dict(metadata), frame)

    # ----------------------------------------------------------------- shape
    @property
    def replications(self) -> int:
        return int(self.dataset.sizes["replication"])

    @property
    def days(self) -> int:
        return int(self.dataset.sizes["day"])

    @property
    def run_id(self) -> str | None:
        return self.metadata.get("run_id")

    def __getitem__(self, name: str) -> xr.DataArray:
        return self.dataset[name]

    @property
    def currency(self) -> str:
        """The scenario's currency (runs stored before scenarios named one: FCFA)."""
        return str(self.metadata.get("currency") or DEFAULT_CURRENCY)

    @property
    def price_unit(self) -> str:
        return OUTPUT_BY_NAME["informal_price"].unit_in(self.currency)

    def set_currency(self, currency: str) -> None:
        """Record the scenario's currency in the metadata and the outputs' units."""
        self.metadata["currency"] = currency
        self.dataset.attrs["currency"] = currency
        for spec in OUTPUTS:
            self.dataset[spec.name].attrs["unit"] = spec.unit_in(currency)

    # ------------------------------------------------------------- summaries
    def quantiles(self, name: str, q: Sequence[float] = DEFAULT_QUANTILES) -> xr.DataArray:
        """Quantiles over replications of a daily variable (dims ``quantile, day, ...``)."""
        return self.dataset[name].astype(float).quantile(list(q), dim="replication")

    def first_stockout_day(self, product: str | None = None) -> np.ndarray:
        """Per replication, the first day a product (any product if None) is in stockout;
        ``NEVER`` (-1) if it never is."""
        flags = self.dataset["stockout"]
        flags = flags.sel(product=product) if product else flags.any("product")
        values = flags.values
        first = np.argmax(values, axis=1)
        return np.where(values.any(axis=1), first, NEVER)

    def stockout_probability(self, product: str | None = None) -> pd.Series:
        """P(first stockout on or before day t), indexed by date."""
        first = self.first_stockout_day(product)
        days = np.arange(self.days)
        prob = ((first[:, None] != NEVER) & (first[:, None] <= days[None, :])).mean(axis=0)
        return pd.Series(prob, index=self.dataset["date"].values, name="p_stockout")

    def first_stockout_distribution(self, product: str | None = None) -> pd.Series:
        """Share of replications whose first stockout falls on each day (NEVER included)."""
        first = self.first_stockout_day(product)
        return pd.Series(first).value_counts(normalize=True).sort_index()

    def totals(self) -> pd.DataFrame:
        """Per replication totals over the horizon (litres, tankers, attacks; the metrics of
        ``siegeline.model.metrics`` except the first stockout day)."""
        ds = self.dataset
        return pd.DataFrame({
            m.name: reduce_daily(m.reduction, ds[m.output].values)
            for m in METRICS if m.reduction != "first_any"
        }, index=pd.RangeIndex(self.replications, name="replication"))

    def summary(self, checkpoints: Sequence[int] | None = None) -> pd.DataFrame:
        """Key indicators at a few days: median and 90% band over replications."""
        days = self.days
        if checkpoints is None:
            checkpoints = sorted({d for d in (30, 60, 90, days) if d <= days})
        ds = self.dataset
        rows = []

        def band(values: np.ndarray) -> tuple[float, float, float]:
            lo, med, hi = np.quantile(values, [0.05, 0.5, 0.95])
            return float(med), float(lo), float(hi)

        p_any = self.stockout_probability()
        for d in checkpoints:
            i = d - 1
            for prod in ds["product"].values:
                rows.append(("cover_days", f"{prod}", d,
                             *band(ds["cover_days"].sel(product=prod).values[:, i])))
            rows.append(("p_stockout_by_day", "any product", d, float(p_any.iloc[i]),
                         float("nan"), float("nan")))
            rows.append(("stations_open", "", d, *band(ds["stations_open"].values[:, i])))
            rows.append(("queue_wait_hours", "", d, *band(ds["queue_wait_hours"].values[:, i])))
            for prod in ds["product"].values:  # every product, in self.price_unit
                price = ds["informal_price"].sel(product=prod).values[:, i]
                rows.append(("informal_price", f"{prod}", d, *band(price)))
            rows.append(("electricity_hours", "", d, *band(ds["electricity_hours"].values[:, i])))
            cum_lost = ds["tankers_lost"].sum("corridor").values[:, :d].sum(axis=1)
            rows.append(("tankers_lost_to_date", "", d, *band(cum_lost)))
            cum_del = ds["delivered_litres"].sum("product").values[:, :d].sum(axis=1)
            rows.append(("delivered_litres_to_date", "", d, *band(cum_del)))
        return pd.DataFrame(rows, columns=["indicator", "item", "day", "median", "p05", "p95"])

    # -------------------------------------------------------------- export
    def to_frame(self, name: str) -> pd.DataFrame:
        """One variable as a tidy frame (replication, day, [coord], value)."""
        return self.dataset[name].to_dataframe().reset_index()

    def to_wide_frame(self) -> pd.DataFrame:
        """All variables as one row per (replication, day); extra dims become columns
        ``<variable>__<coordinate>``."""
        ds = self.dataset
        reps, days = self.replications, self.days
        cols: dict[str, np.ndarray] = {
            "replication": np.repeat(np.arange(reps, dtype=np.int32), days),
            "day": np.tile(np.arange(days, dtype=np.int32), reps),
        }
        for spec in OUTPUTS:
            arr = ds[spec.name].values
            if not spec.dims:
                cols[spec.name] = arr.reshape(-1)
            else:
                for j, coord in enumerate(ds[spec.dims[0]].values):
                    cols[f"{spec.name}__{coord}"] = arr[..., j].reshape(-1)
        return pd.DataFrame(cols)

    @classmethod
    def from_wide_frame(cls, frame: pd.DataFrame, metadata: dict[str, Any],
                        samples: pd.DataFrame | None = None) -> SimulationResult:
        frame = frame.sort_values(["replication", "day"])
        reps = int(frame["replication"].max()) + 1
        days = int(frame["day"].max()) + 1
        dims = {k: json.loads(metadata[k]) if isinstance(metadata[k], str) else metadata[k]
                for k in ("products", "corridors", "sectors")}
        coord_of = {"product": dims["products"], "corridor": dims["corridors"],
                    "sector": dims["sectors"]}
        arrays = {}
        for spec in OUTPUTS:
            if not spec.dims:
                arrays[spec.name] = frame[spec.name].to_numpy().reshape(reps, days).astype(
                    spec.dtype)
            else:
                parts = [frame[f"{spec.name}__{c}"].to_numpy().reshape(reps, days)
                         for c in coord_of[spec.dims[0]]]
                arrays[spec.name] = np.stack(parts, axis=-1).astype(spec.dtype)
        start = dt.date.fromisoformat(str(metadata["start_date"]))
        result = cls.from_arrays(arrays, products=dims["products"], corridors=dims["corridors"],
                                 sectors=dims["sectors"], start_date=start, metadata=metadata)
        if samples is not None:
            result.samples = samples
        return result

    def save_parquet(self, path: str | os.PathLike[str]) -> Path:
        """Write all daily outputs to one Parquet file (atomically: temp file, then rename);
        metadata go in the file's key-value metadata."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(self.to_wide_frame(), preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"siegeline"] = json.dumps(self.metadata, default=str).encode()
        if not self.samples.empty:
            meta[b"siegeline_samples"] = samples_json(self.samples).encode()
        table = table.replace_schema_metadata(meta)
        # A hidden temporary name with the usual permissions (mkstemp would make it 0600).
        tmp = path.parent / f".tmp-{secrets.token_hex(8)}-{path.name}"
        try:
            pq.write_table(table, tmp)
            with open(tmp, "rb") as fh:  # on disk before it takes the final name
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    @classmethod
    def load_parquet(cls, path: str | os.PathLike[str]) -> SimulationResult:
        import io

        import pyarrow.parquet as pq

        table = pq.read_table(path)
        meta = json.loads(table.schema.metadata[b"siegeline"])
        samples = None
        if b"siegeline_samples" in table.schema.metadata:
            samples = pd.read_json(io.StringIO(table.schema.metadata[b"siegeline_samples"]
                                               .decode()), orient="split", precise_float=True)
        return cls.from_wide_frame(table.to_pandas(), meta, samples)
