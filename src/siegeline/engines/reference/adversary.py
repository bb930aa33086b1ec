"""The adversary: its campaign's regimes, attacks on tanker groups as events on road segments, and
its daily adaptation.

A group crossing a segment is attacked at rate ``hazard/km x speed x attack intensity(day) x
adaptation x size^gamma x exp(-deterrence x escorts)`` (free-running tankers are groups of one
without escorts; empty tankers are a lesser target). The day's attack intensity is the campaign's
(``campaign``). The group draws an exponential threshold when it enters a segment and is attacked
where the integrated hazard first exceeds it (``Group.attacks``), so a crossing is attacked with
probability 1 - exp(-integrated hazard), at most once. Every number comes from the timeline phase
of the day.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from siegeline.engines.reference.routes import Leg

if TYPE_CHECKING:
    from siegeline.engines.reference.engine import ReferenceModel
    from siegeline.engines.reference.fleet import Group


class Adversary:
    def __init__(self, model: ReferenceModel, rng: np.random.Generator,
                 campaign_rng: np.random.Generator) -> None:
        self.model = model
        self.rng = rng
        self.campaign_rng = campaign_rng  # the campaign's own stream: one pair of draws a day
        self.regime = int(model.params.initial_regime)
        self.intensity_today = 0.0  # set each morning by `campaign`
        self.focus = np.ones(len(model.routes))  # adaptive weight per corridor (mean 1)
        # Segments some phase may attack on (a crossing elsewhere is a plain timeout).
        striking = any(float(v["intensity"]) > 0 for v in model.phase_values)
        self.exposed = {leg.segment for routes in model.phase_routes for route in routes
                        for leg in route.stages if isinstance(leg, Leg) and leg.hazard_per_km > 0
                        } if striking else set()

    def may_strike(self, leg: Leg) -> bool:
        return leg.segment in self.exposed

    def campaign(self, day: int) -> None:
        """Today's regime (held by the phase, or switching at its daily rate to one drawn from
        the transition weights) and the day's attack intensity."""
        p = self.model.p
        if p["regime_hold"] >= 0:
            self.regime = int(p["regime_hold"])
        elif len(p["regime_names"]) > 1:
            leave, to = self.campaign_rng.random(2)
            if leave < p["regime_switch_prob"][self.regime]:
                cumulative = np.cumsum(p["regime_transition"][self.regime])
                self.regime = min(int((to >= cumulative).sum()), len(p["regime_names"]) - 1)
        self.intensity_today = float(p["intensity"] * p["growth_per_year"] ** (day / 365.0)
                                     * p["regime_multiplier"][self.regime])
        self.model.out["attack_intensity"][day] = self.intensity_today

    def rate(self, group: Group, leg: Leg, loaded: bool) -> float:
        """Attacks per day on ``group`` while it drives along ``leg`` today."""
        size = group.size
        hazard = self.model.hazard[leg.segment]
        if size == 0 or hazard <= 0:
            return 0.0
        p = self.model.p
        a = p["adaptation"]
        effort = self.intensity_today * (1.0 - a + a * self.focus[group.corridor])
        target = size ** p["size_exponent"] * math.exp(-p["deterrence"] * group.escorts)
        return (hazard * leg.speed_km_per_day * effort * target
                * (1.0 if loaded else p["empty_leg_factor"]))

    def strike(self, group: Group, leg: Leg, loaded: bool) -> None:
        """Strike ``group`` now: each tanker burns with a share that escorts reduce; the crew of a
        burned tanker is kidnapped or killed, or walks back to the port."""
        model, p = self.model, self.model.p
        share = p["destroy_share"] * math.exp(-p["protection"] * group.escorts)
        size_before = group.size
        destroyed = [tk for tk in group.tankers if self.rng.random() < share]
        kidnapped = 0
        for tanker in destroyed:
            taken = self.rng.random() < p["kidnap_probability"]
            kidnapped += taken
            group.lose(tanker, loaded, driver_taken=taken)
        litres = sum(model.litres[tk.product] for tk in destroyed) if loaded else 0.0
        model.record_attack(group, len(destroyed), kidnapped)
        model.traces_attack(group=group, leg=leg, loaded=loaded, size=size_before,
                            destroyed=len(destroyed), kidnapped=kidnapped, litres=litres)

    def adversary_adaptation(self, traffic: np.ndarray, escorts_out: np.ndarray) -> None:
        """End of day: shift effort towards busy, weakly escorted corridors, total fixed."""
        p = self.model.p
        hazard_km = np.array([route.hazard_km for route in self.model.routes])
        escort_ratio = escorts_out / np.maximum(traffic / 10.0, 1.0)
        attract = (traffic + 1.0) * np.exp(-p["escort_aversion"] * escort_ratio)
        norm = (attract * hazard_km).sum() / max(hazard_km.sum(), 1e-300)
        target = attract / max(norm, 1e-300)
        rate = p["adaptation_rate"]
        self.focus = (1.0 - rate) * self.focus + rate * target
