"""The city: its gate, depots as containers, daily rationing with priority withdrawals, and the
day's indicators (stations, queues, prices, electricity, disruption).

Loaded tankers reaching the city hand their fuel to the gate queue (``reach_gate``). Each morning
(``arrivals``) the depots take from the gate as many tankers as customs and the unloading bays
clear and their tanks hold, products in dispatch priority order; the rest waits. Depots are one
:class:`simpy.Container` per product, as large as the biggest depot capacity of any phase (today's
capacity bounds what is unloaded). Each evening (``city_day``) the sectors draw the day's fuel: the
rationing level set by the days of cover caps each sector, panic raises retail demand when cover is
low, and sectors withdraw in priority order (equal priorities share what is left pro rata).
Rationing caps and the price laws are the model's formulas, shared with the vectorized engine;
withdrawals and the station queue are simulated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simpy

from siegeline.city.prices import goods_price_index, informal_price
from siegeline.city.rationing import rationing_caps
from siegeline.engines.reference.stations import station_day_wait

if TYPE_CHECKING:
    from siegeline.engines.reference.engine import ReferenceModel
    from siegeline.engines.reference.fleet import Group


class City:
    def __init__(self, model: ReferenceModel, rng: np.random.Generator) -> None:
        self.model = model
        self.m = model.params
        self.rng = rng
        tanks = np.max([v["depot_capacity"] for v in model.phase_values], axis=0)
        self.depots = [simpy.Container(model.env, capacity=float(cap) if cap > 0 else 1.0,
                                       init=float(level))
                       for cap, level in zip(tanks, model.p["initial_stock"], strict=True)]
        self.gate = np.zeros(len(self.depots), dtype=np.int64)  # loaded tankers waiting
        self.disrupted = False
        self.low_run = 0  # consecutive low-supply days (while not disrupted)
        self.ok_run = 0  # consecutive recovered days (while disrupted)
        # The power sector's accounts, in normal daily fuel bills: credit left, yesterday's
        # sales (electricity as a share of normal), days it could not pay for its full need.
        self.power_credit = float(model.p["power_credit_days"])
        self.power_sales = 1.0
        self.power_short_run = 0

    def stock(self) -> np.ndarray:
        return np.array([d.level for d in self.depots])

    def reach_gate(self, group: Group) -> None:
        """The group's loaded tankers hand their fuel to the gate queue (the tankers keep their
        round-trip timing: the fuel waits, not the vehicle)."""
        arrived = False
        for tanker in group.tankers:
            if tanker.loaded:
                tanker.loaded = False
                self.gate[tanker.product] += 1
                self.model.reached_gate(tanker, group.corridor)
                arrived = True
        if arrived and group.port.convoy and group.escorts > 0:  # an escorted convoy
            self.model.convoy_arrived(group.corridor)

    def arrivals(self, day: int, out: dict[str, np.ndarray]) -> None:
        """Morning unloading: at most the unloading capacity of tankers, products in dispatch
        priority order, each as far as its depot has room today; the rest waits at the gate."""
        p = self.model.p
        litres = self.m.tanker_litres
        budget = int(min(np.floor(p["unloading_capacity"]), 2**62))
        for q in self.m.product_order:
            depot = self.depots[q]
            room = max(0.0, min(p["depot_capacity"][q], depot.capacity) - depot.level)
            fits = int(room // litres[q])
            if fits * litres[q] > room:  # never let rounding overfill (the put would block)
                fits -= 1
            unload = min(int(self.gate[q]), fits, budget)
            if unload > 0:
                depot.put(float(unload * litres[q]))
                self.gate[q] -= unload
                budget -= unload
                out["delivered_litres"][day, q] = unload * litres[q]

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

    def city_day(self, day: int, out: dict[str, np.ndarray]) -> None:
        """Rationing by cover, panic buying, what the power sector can pay for and priority
        withdrawals; records the day's indicators and keeps the power sector's accounts."""
        m, p = self.m, self.model.p
        base_demand = p["base_demand"]  # (S, P)
        normal = base_demand.sum(axis=0)
        cover = self.stock() / np.maximum(normal, 1e-300)
        caps = rationing_caps(cover, p["rationing_thresholds"], p["rationing_caps"])  # (S, P)
        scarcity = np.clip(1.0 - cover / max(p["panic_cover_days"], 1e-300), 0.0, 1.0)
        demand = base_demand * (1.0 + p["panic_multiplier"][:, None] * scarcity[None, :])
        if m.power_finance:
            budget = self.power_budget()
            caps[m.power_sector] *= self.power_purchase_share(budget)
        served = self.withdraw(demand * caps)

        out["cover_days"][day] = self.stock() / np.maximum(normal, 1e-300)
        unserved = np.maximum(base_demand - served, 0.0).sum(axis=0)  # each sector's shortfall
        out["unserved_litres"][day] = unserved
        out["stockout"][day] = (unserved > p["stockout_unserved_share"] * normal) & (normal > 0)
        base = base_demand.sum(axis=1)
        out["served_share"][day] = np.where(base > 0, served.sum(axis=1)
                                            / np.maximum(base, 1e-300), 1.0)
        retail_supply = served[m.retail].sum(axis=0)
        retail_demand = demand[m.retail].sum(axis=0)
        retail_normal = base_demand[m.retail].sum(axis=0)
        self.stations(day, out, retail_supply, retail_demand, retail_normal)
        self.prices(day, out, retail_supply, retail_demand)
        if m.power_sector >= 0:
            power = out["served_share"][day][m.power_sector]
            out["electricity_hours"][day] = p["power_hours_normal"] * (
                1.0 - p["thermal_share"] + p["thermal_share"] * min(power, 1.0))
        else:
            out["electricity_hours"][day] = p["power_hours_normal"]
        normal_retail = retail_normal.sum()
        share = retail_supply.sum() / normal_retail if normal_retail > 0 else 1.0
        out["disruption"][day] = self.disruption(share)
        if m.power_finance:
            self.power_accounts(budget, float(out["served_share"][day][m.power_sector]),
                                float(out["electricity_hours"][day]))

    def power_budget(self) -> float:
        """Today's cash for fuel (normal daily fuel bills): a normal day's, less the sales lost
        with yesterday's lost hours."""
        p = self.model.p
        return 1.0 + p["power_margin"] - p["power_sales_cover"] * (1.0 - self.power_sales)

    def power_purchase_share(self, budget: float) -> float:
        """Share of its normal fuel the power sector can pay for today: today's cash and its
        unused credit, at most its need."""
        return min(max(budget + self.power_credit, 0.0), 1.0)

    def power_accounts(self, budget: float, bought: float, hours: float) -> None:
        """Pay for the fuel bought from today's cash, then credit; repay credit up to its limit;
        the state restores the credit after ``power_bailout_days`` days short."""
        p = self.model.p
        short = budget + self.power_credit < 1.0
        self.power_short_run = self.power_short_run + 1 if short else 0
        self.power_credit = min(max(self.power_credit + budget - bought, 0.0),
                                p["power_credit_days"])
        if self.power_short_run >= p["power_bailout_days"]:
            self.power_credit, self.power_short_run = float(p["power_credit_days"]), 0
        self.power_sales = hours / p["power_hours_normal"]

    def stations(self, day: int, out: dict[str, np.ndarray], supply: np.ndarray,
                 demand: np.ndarray, normal: np.ndarray) -> None:
        """Stations with each product: all when retail supply meets normal retail demand, fewer
        as (supply / normal) ** exponent when short; motorists queue at the stations open."""
        m, p = self.m, self.model.p
        supplied = np.where(normal > 0, np.minimum(supply / np.maximum(normal, 1e-300), 1.0),
                            0.0)
        by_product = p["station_count"] * supplied ** p["station_exponent"]
        open_any = float(by_product.max()) if len(by_product) else 0.0
        out["stations_open_by_product"][day] = by_product
        out["stations_open"][day] = open_any
        if open_any >= 1.0:
            vehicles_per_hour = demand.sum() / p["litres_per_fill"] / m.opening_hours
            out["queue_wait_hours"][day] = min(m.max_wait_hours, station_day_wait(
                self.rng, vehicles_per_hour / open_any, m.pumps_per_station, m.service_rate,
                m.opening_hours, m.max_wait_hours))
        else:
            out["queue_wait_hours"][day] = m.max_wait_hours

    def prices(self, day: int, out: dict[str, np.ndarray], supply: np.ndarray,
               demand: np.ndarray) -> None:
        p = self.model.p
        official = p["official_price"]
        price = informal_price(official, demand, supply, p["elasticity"], p["price_cap_multiple"])
        price = np.where(demand > 0, price, official)
        out["informal_price"][day] = price
        weight = demand.sum()
        multiple = (demand * price / official).sum() / weight if weight > 0 else 1.0
        out["goods_price_index"][day] = goods_price_index(multiple, p["goods_pass_through"])

    def disruption(self, share: float) -> bool:
        """Schools and services close after disruption_min_days days with retail demand served
        below disruption_served_share, and reopen after recovery_min_days days at or above
        recovery_served_share (hysteresis)."""
        p = self.model.p
        if not self.disrupted:
            self.low_run = self.low_run + 1 if share < p["disruption_served_share"] else 0
            if self.low_run >= p["disruption_min_days"]:
                self.disrupted, self.ok_run = True, 0
        else:
            self.ok_run = self.ok_run + 1 if share >= p["recovery_served_share"] else 0
            if self.ok_run >= p["recovery_min_days"]:
                self.disrupted, self.low_run = False, 0
        return self.disrupted
