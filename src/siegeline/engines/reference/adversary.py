"""The adversary: attacks on tanker groups as events on road segments, and its daily adaptation.

A group crossing a segment is attacked at rate ``hazard/km x speed x intensity(day) x adaptation
x size^gamma x exp(-deterrence x escorts)`` (free-running tankers are groups of one without
escorts; empty tankers are a lesser target). The group draws an exponential threshold when it
enters a segment and is attacked where the integrated hazard first exceeds it, so a crossing is
attacked with probability 1 - exp(-integrated hazard), at most once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from siegeline.engines.reference.routes import Leg

if TYPE_CHECKING:
    from siegeline.engines.reference.engine import ReferenceModel
    from siegeline.engines.reference.fleet import Group


class Adversary:
    def __init__(self, model: ReferenceModel, values: dict[str, Any],
                 rng: np.random.Generator) -> None:
        self.model = model
        self.rng = rng
        self.intensity = float(values["intensity"])
        self.growth = float(values["growth_per_year"])
        self.adaptation = float(values["adaptation"])
        self.adaptation_rate = float(values["adaptation_rate"])
        self.escort_aversion = float(values["escort_aversion"])
        self.gamma = float(values["size_exponent"])
        self.deterrence = float(values["deterrence"])
        self.protection = float(values["protection"])
        self.destroy_share = float(values["destroy_share"])
        self.empty_factor = float(values["empty_leg_factor"])
        self.kidnap_probability = float(values["kidnap_probability"])
        self.hazard_km = np.array([route.hazard_km for route in model.routes])
        self.focus = np.ones(len(model.routes))  # adaptive weight per corridor (mean 1)

    @property
    def active(self) -> bool:
        return self.intensity > 0

    def rate(self, group: Group, leg: Leg, loaded: bool, day: int) -> float:
        """Attacks per day on ``group`` while it drives along ``leg`` on ``day``."""
        size = group.size
        if size == 0 or leg.hazard_per_km <= 0:
            return 0.0
        effort = self.intensity * self.growth ** (day / 365.0) * (
            1.0 - self.adaptation + self.adaptation * self.focus[group.corridor])
        target = size ** self.gamma * math.exp(-self.deterrence * group.escorts)
        return (leg.hazard_per_km * leg.speed_km_per_day * effort * target
                * (1.0 if loaded else self.empty_factor))

    def attack(self, group: Group, leg: Leg, loaded: bool) -> None:
        """Strike ``group`` now: each tanker burns with a share that escorts reduce; the crew of a
        burned tanker is kidnapped or killed, or walks back to the port."""
        model = self.model
        share = self.destroy_share * math.exp(-self.protection * group.escorts)
        size_before = group.size
        destroyed = [tk for tk in group.tankers if self.rng.random() < share]
        kidnapped = 0
        for tanker in destroyed:
            taken = self.rng.random() < self.kidnap_probability
            kidnapped += taken
            group.lose(tanker, loaded, driver_taken=taken)
        litres = sum(model.litres[tk.product] for tk in destroyed) if loaded else 0.0
        model.record_attack(group, len(destroyed), kidnapped)
        model.traces_attack(group=group, leg=leg, loaded=loaded, size=size_before,
                            destroyed=len(destroyed), kidnapped=kidnapped, litres=litres)

    def adapt(self, traffic: np.ndarray, escorts_out: np.ndarray) -> None:
        """End of day: shift effort towards busy, weakly escorted corridors, total fixed."""
        escort_ratio = escorts_out / np.maximum(traffic / 10.0, 1.0)
        attract = (traffic + 1.0) * np.exp(-self.escort_aversion * escort_ratio)
        norm = (attract * self.hazard_km).sum() / max(self.hazard_km.sum(), 1e-300)
        target = attract / max(norm, 1e-300)
        self.focus = (1.0 - self.adaptation_rate) * self.focus + self.adaptation_rate * target
