"""Names, dimensions, units and meaning of every daily output; both engines fill exactly these."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_CURRENCY = "FCFA"  # of runs stored before scenarios named their currency


@dataclass(frozen=True)
class OutputVariable:
    name: str
    dims: tuple[str, ...]  # after ("replication", "day")
    unit: str  # "{currency}" stands for the scenario's currency
    description: str
    dtype: type = np.float64

    def unit_in(self, currency: str) -> str:
        """The unit with the scenario's currency filled in (``FCFA/L``, ``GNF/L``)."""
        return self.unit.format(currency=currency)


OUTPUTS: tuple[OutputVariable, ...] = (
    OutputVariable("stock_litres", ("product",), "L", "Depot stock at the end of the day."),
    OutputVariable("cover_days", ("product",), "day",
                   "End-of-day stock divided by normal daily demand."),
    OutputVariable("stockout", ("product",), "-",
                   "More than stockout_unserved_share of the product's normal demand went "
                   "unserved today (rationed or not available).", np.bool_),
    OutputVariable("unserved_litres", ("product",), "L",
                   "Normal demand not served today, summed over sectors (each sector's "
                   "shortfall)."),
    OutputVariable("loaded_litres", ("product",), "L", "Fuel loaded onto departing tankers."),
    OutputVariable("delivered_litres", ("product",), "L", "Fuel unloaded into the city's depots."),
    OutputVariable("gate_litres", ("product",), "L",
                   "Fuel waiting at the city's gate at the end of the day (customs clearance, "
                   "unloading capacity or full depots)."),
    OutputVariable("destroyed_litres", ("product",), "L", "Fuel burned or looted in attacks."),
    OutputVariable("returned_litres", ("product",), "L",
                   "Fuel turned back at checkpoints and returned to the port."),
    OutputVariable("in_transit_litres", ("product",), "L",
                   "Fuel on loaded tankers at the end of the day."),
    OutputVariable("delivered_by_corridor_litres", ("corridor",), "L",
                   "Fuel reaching the city (its gate), by corridor."),
    OutputVariable("convoys_arrived", ("corridor",), "convoy",
                   "Escorted convoys reaching the city with fuel (as customs count "
                   "secured convoys).", np.int32),
    OutputVariable("tankers_dispatched", ("corridor",), "tanker", "Tankers leaving the port.",
                   np.int32),
    OutputVariable("tankers_lost", ("corridor",), "tanker", "Tankers destroyed.", np.int32),
    OutputVariable("attacks", ("corridor",), "attack", "Attacks on tanker groups.", np.int32),
    OutputVariable("tankers_in_transit", (), "tanker", "Tankers on the road (loaded or empty).",
                   np.int32),
    OutputVariable("drivers_kidnapped", (), "driver", "Drivers killed or kidnapped.", np.int32),
    OutputVariable("escorts_busy", (), "escort unit", "Escort units out with convoys.", np.int32),
    OutputVariable("escort_pool", (), "escort unit", "Escort units in the pool today.", np.int32),
    OutputVariable("attack_intensity", (), "-",
                   "Today's multiplier of every segment hazard (intensity, trend and the "
                   "campaign's regime)."),
    OutputVariable("stations_open", (), "station", "Stations open (any product)."),
    OutputVariable("stations_open_by_product", ("product",), "station",
                   "Stations with this product to sell."),
    OutputVariable("queue_wait_hours", (), "h", "Mean wait at an open station."),
    OutputVariable("informal_price", ("product",), "{currency}/L",
                   "Informal (street) price, in the scenario's currency per litre."),
    OutputVariable("goods_price_index", (), "-", "Goods price index (1 = before the blockade)."),
    OutputVariable("served_share", ("sector",), "share", "Share of normal demand served."),
    OutputVariable("electricity_hours", (), "h/day", "Hours of electricity supply."),
    OutputVariable("disruption", (), "-",
                   "Schools and services disrupted (transport demand served too little for "
                   "several days; clears after several days of recovery).", np.bool_),
)

OUTPUT_BY_NAME = {v.name: v for v in OUTPUTS}


def allocate_outputs(replications: int, days: int, sizes: dict[str, int]) -> dict[str, np.ndarray]:
    """Zero-filled arrays (replication, day, ...) for every output."""
    return {
        v.name: np.zeros((replications, days) + tuple(sizes[d] for d in v.dims), dtype=v.dtype)
        for v in OUTPUTS
    }
