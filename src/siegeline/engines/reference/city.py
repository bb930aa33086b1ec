"""The city: depots as containers, daily rationing with priority withdrawals, and the day's
indicators (stations, queues, prices, electricity, disruption).

Tankers unload into one :class:`simpy.Container` per product. Each evening the sectors draw the
day's fuel: the rationing level set by the days of cover caps each sector, panic raises retail
demand when cover is low, and sectors withdraw in priority order (equal priorities share what is
left pro rata). Rationing caps and the price laws are the model's formulas, shared with the
vectorized engine; withdrawals and the station queue are simulated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from siegeline.city.prices import goods_price_index, informal_price
from siegeline.city.rationing import rationing_caps
from siegeline.engines.reference.stations import station_day_wait
from siegeline.model.parameters import ModelParameters

if TYPE_CHECKING:
    from siegeline.engines.reference.engine import ReferenceModel
    from siegeline.engines.reference.fleet import Group


class City:
    def __init__(self, model: ReferenceModel, params: ModelParameters,
                 values: dict[str, Any], rng: np.random.Generator) -> None:
        self.model = model
        self.m = params
        self.rng = rng
        self.depots = [simpy.Container(model.env, capacity=float("inf"), init=float(level))
                       for level in values["initial_stock"]]
        self.base_demand = np.asarray(values["base_demand"], dtype=float)  # (S, P)
        self.normal = self.base_demand.sum(axis=0)
        self.panic = np.asarray(values["panic_multiplier"], dtype=float)
        self.panic_cover = float(values["panic_cover_days"])
        self.elasticity = float(values["elasticity"])
        self.cap_multiple = float(values["price_cap_multiple"])
        self.pass_through = float(values["goods_pass_through"])
        self.thermal_share = float(values["thermal_share"])
        self.low_cover_days = 0

    def stock(self) -> np.ndarray:
        return np.array([d.level for d in self.depots])

    def receive(self, group: Group) -> None:
        """Unload the group's loaded tankers into the depots."""
        for tanker in group.tankers:
            if tanker.loaded:
                tanker.loaded = False
                litres = self.model.litres[tanker.product]
                self.depots[tanker.product].put(litres)
                self.model.unloaded(tanker, group.corridor)

    def withdraw(self, requests: np.ndarray) -> np.ndarray:
        """Sectors draw ``requests`` (S, P) litres, highest priority first."""
        served = np.zeros_like(requests)
        priority = self.m.sector_priority
        for level in np.unique(priority):
            members = np.flatnonzero(priority == level)
            for p, depot in enumerate(self.depots):
                asked = requests[members, p].sum()
                if asked <= 0 or depot.level <= 0:
                    continue
                share = min(1.0, depot.level / asked)
                for s in members:
                    amount = min(requests[s, p] * share, depot.level)
                    if amount > 0:
                        depot.get(amount)
                        served[s, p] = amount
        return served

    def evening(self, day: int, out: dict[str, np.ndarray]) -> None:
        m = self.m
        normal = self.normal
        cover = self.stock() / np.maximum(normal, 1e-300)
        caps = rationing_caps(cover, m.rationing_thresholds, m.rationing_caps)  # (S, P)
        scarcity = np.clip(1.0 - cover / max(self.panic_cover, 1e-300), 0.0, 1.0)
        demand = self.base_demand * (1.0 + self.panic[:, None] * scarcity[None, :])
        served = self.withdraw(demand * caps)

        cover = self.stock() / np.maximum(normal, 1e-300)
        out["cover_days"][day] = cover
        out["stockout"][day] = (cover < m.stockout_cover_days) & (normal > 0)
        base = self.base_demand.sum(axis=1)
        out["served_share"][day] = np.where(base > 0, served.sum(axis=1)
                                            / np.maximum(base, 1e-300), 1.0)
        retail_supply = served[m.retail].sum(axis=0)
        retail_demand = demand[m.retail].sum(axis=0)
        open_by_product = np.minimum(m.station_count,
                                     np.floor(retail_supply / m.min_daily_litres_to_open))
        open_any = float(open_by_product.max()) if len(open_by_product) else 0.0
        out["stations_open_by_product"][day] = open_by_product
        out["stations_open"][day] = open_any
        if open_any > 0:
            vehicles_per_hour = retail_demand.sum() / m.litres_per_fill / m.opening_hours
            out["queue_wait_hours"][day] = min(m.max_wait_hours, station_day_wait(
                self.rng, vehicles_per_hour / open_any, m.pumps_per_station, m.service_rate,
                m.opening_hours, m.max_wait_hours))
        else:
            out["queue_wait_hours"][day] = m.max_wait_hours
        price = informal_price(m.official_price, retail_demand, retail_supply,
                               self.elasticity, self.cap_multiple)
        price = np.where(retail_demand > 0, price, m.official_price)
        out["informal_price"][day] = price
        weight = retail_demand.sum()
        multiple = ((retail_demand * price / m.official_price).sum() / weight
                    if weight > 0 else 1.0)
        out["goods_price_index"][day] = goods_price_index(multiple, self.pass_through)
        if m.power_sector >= 0:
            power = out["served_share"][day][m.power_sector]
            out["electricity_hours"][day] = m.power_hours_normal * (
                1.0 - self.thermal_share + self.thermal_share * power)
        else:
            out["electricity_hours"][day] = m.power_hours_normal
        low = bool(np.any((cover < m.disruption_cover_days) & (normal > 0)))
        self.low_cover_days = self.low_cover_days + 1 if low else 0
        out["disruption"][day] = self.low_cover_days >= m.disruption_min_days
