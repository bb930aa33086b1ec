"""Generate the SYNTHETIC ACLED-format sample shipped for tests and demos.

A fixture builder, not part of the monitor. Run ``python tools/make_acled_sample.py [OUT.csv]``
to rebuild ``src/siegeline/events/samples/acled_mali_synthetic_2024_2025.csv`` (or write OUT);
the output is byte-for-byte reproducible (one seeded numpy Generator). Nothing in it is a real
event: every row says SYNTHETIC in ``notes`` and ``source``. The process is designed to show
the patterns analysts report for Mali in 2024-2025: JNIM activity doubling year on year, a
rising share of it in the south-west (Kayes, Koulikoro, Sikasso), self-exciting clusters of
attacks on fuel convoys along the supply corridors, and a surge after the blockade declared on
2025-09-03.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np

from siegeline.events.schema import ACLED_COLUMNS
from siegeline.scenario import load_scenario
from siegeline.scenario.schema import central_value

SEED = 20250903
START = dt.date(2024, 1, 1)
END = dt.date(2025, 11, 30)
BLOCKADE = dt.date(2025, 9, 3)
SAMPLE_PATH = (Path(__file__).resolve().parents[1] / "src" / "siegeline" / "events" / "samples"
               / "acled_mali_synthetic_2024_2025.csv")

JNIM = "JNIM: Group for Support of Islam and Muslims"
ISSP = "Islamic State Sahel Province"
JNIM_OR_ISSP = f"{JNIM} and/or {ISSP}"
ARMY = "Military Forces of Mali (2021-)"
AFRICA_CORPS = "Africa Corps"
DOZO = "Dozo Communal Militia (Mali)"
CIVILIANS = "Civilians (Mali)"
PROTESTERS = "Protesters (Mali)"
INTER = {
    JNIM: "Rebel group",
    ISSP: "Rebel group",
    JNIM_OR_ISSP: "Rebel group",
    ARMY: "State forces",
    AFRICA_CORPS: "External/Other forces",
    DOZO: "Identity militia",
    CIVILIANS: "Civilians",
    PROTESTERS: "Protesters",
}
_INTER_ORDER = [
    "State forces",
    "Rebel group",
    "Political militia",
    "Identity militia",
    "Rioters",
    "Protesters",
    "Civilians",
    "External/Other forces",
]

# (location, admin1, admin2, lat, lon): towns in Mali, ACLED admin1 spellings.
PLACES = [
    ("Mopti", "Mopti", "Mopti", 14.4843, -4.1827),
    ("Djenne", "Mopti", "Djenne", 13.9061, -4.5530),
    ("Bandiagara", "Mopti", "Bandiagara", 14.3500, -3.6100),
    ("Douentza", "Mopti", "Douentza", 15.0019, -2.9498),
    ("Bankass", "Mopti", "Bankass", 14.0780, -3.5170),
    ("Koro", "Mopti", "Koro", 14.0707, -3.0809),
    ("Tenenkou", "Mopti", "Tenenkou", 14.4572, -4.9169),
    ("Youwarou", "Mopti", "Youwarou", 15.3667, -4.2667),
    ("Segou", "Segou", "Segou", 13.4317, -6.2157),
    ("Niono", "Segou", "Niono", 14.2526, -5.9930),
    ("Macina", "Segou", "Macina", 13.9631, -5.3572),
    ("San", "Segou", "San", 13.3034, -4.8956),
    ("Tominian", "Segou", "Tominian", 13.2867, -4.3897),
    ("Bla", "Segou", "Bla", 12.9500, -5.7600),
    ("Tombouctou", "Tombouctou", "Tombouctou", 16.7735, -3.0074),
    ("Goundam", "Tombouctou", "Goundam", 16.4145, -3.6708),
    ("Niafunke", "Tombouctou", "Niafunke", 15.9322, -3.9906),
    ("Dire", "Tombouctou", "Dire", 16.2797, -3.3836),
    ("Gourma-Rharous", "Tombouctou", "Gourma-Rharous", 16.8800, -1.9300),
    ("Gao", "Gao", "Gao", 16.2666, -0.0400),
    ("Ansongo", "Gao", "Ansongo", 15.6597, 0.5022),
    ("Bourem", "Gao", "Bourem", 16.9675, -0.3496),
    ("Menaka", "Menaka", "Menaka", 15.9182, 2.4022),
    ("Anderamboukane", "Menaka", "Menaka", 15.4212, 3.0322),
    ("Kidal", "Kidal", "Kidal", 18.4411, 1.4078),
    ("Tessalit", "Kidal", "Tessalit", 20.2015, 1.0124),
    ("Kolokani", "Koulikoro", "Kolokani", 13.5729, -8.0339),
    ("Banamba", "Koulikoro", "Banamba", 13.5493, -7.4480),
    ("Nara", "Koulikoro", "Nara", 15.1681, -7.2859),
    ("Koulikoro", "Koulikoro", "Koulikoro", 12.8627, -7.5598),
    ("Kati", "Koulikoro", "Kati", 12.7441, -8.0726),
    ("Didieni", "Koulikoro", "Kolokani", 13.8800, -8.0800),
    ("Siby", "Koulikoro", "Kati", 12.3800, -8.3300),
    ("Dioila", "Koulikoro", "Dioila", 12.4950, -6.7890),
    ("Kangaba", "Koulikoro", "Kangaba", 11.9333, -8.4167),
    ("Kayes", "Kayes", "Kayes", 14.4469, -11.4445),
    ("Diema", "Kayes", "Diema", 14.5400, -9.1900),
    ("Nioro du Sahel", "Kayes", "Nioro", 15.2307, -9.5936),
    ("Kita", "Kayes", "Kita", 13.0350, -9.4895),
    ("Bafoulabe", "Kayes", "Bafoulabe", 13.8065, -10.8321),
    ("Yelimane", "Kayes", "Yelimane", 15.1200, -10.5700),
    ("Diboli", "Kayes", "Kayes", 14.4700, -12.1900),
    ("Sikasso", "Sikasso", "Sikasso", 11.3176, -5.6665),
    ("Bougouni", "Sikasso", "Bougouni", 11.4177, -7.4832),
    ("Kolondieba", "Sikasso", "Kolondieba", 11.0883, -6.8928),
    ("Koutiala", "Sikasso", "Koutiala", 12.3917, -5.4642),
    ("Yanfolila", "Sikasso", "Yanfolila", 11.1730, -8.1500),
    ("Kadiolo", "Sikasso", "Kadiolo", 10.5500, -5.7600),
    ("Bamako", "Bamako", "Bamako", 12.6392, -8.0029),
]
SOUTH_WEST = ("Kayes", "Koulikoro", "Sikasso")
CENTRE_NORTH = ("Mopti", "Segou", "Tombouctou", "Gao")

CONVOY_NOTES = [
    "JNIM militants attacked a convoy of fuel tankers near {loc} and set {n} tankers on fire.",
    "Suspected JNIM fighters ambushed citernes (fuel tankers) on the road near {loc}; "
    "{n} trucks burned.",
    "JNIM militants stopped a fuel convoy near {loc}, abducted drivers and burned {n} vehicles.",
    "An IED hit an escorted convoy transporting fuel near {loc}.",
]


def _ids(n: int) -> list[str]:
    return [f"MLI{30000 + i}" for i in range(n)]


def _interaction(a1: str, a2: str) -> str:
    t1, t2 = INTER[a1], INTER.get(a2, "")
    if not t2:
        return f"{t1} only"
    first, second = sorted((t1, t2), key=_INTER_ORDER.index)
    return f"{first}-{second}"


def _nearest_place(lat: float, lon: float) -> tuple[str, str, str]:
    best = min(PLACES, key=lambda p: (p[3] - lat) ** 2 + ((p[4] - lon) * math.cos(0.24)) ** 2)
    return best[0], best[1], best[2]


def _corridor_segments() -> list[tuple[str, float, float, float, float, float]]:
    """(segment id, lat_a, lon_a, lat_b, lon_b, weight) of the Malian segments with hazard."""
    scenario = load_scenario("bamako-2025")
    nodes = {n.id: n for n in scenario.nodes}
    out = []
    for s in scenario.segments:
        a, b = nodes[s.a], nodes[s.b]
        weight = central_value(s.hazard_per_100km) * s.length_km
        if weight > 0 and (a.country == "ML" or b.country == "ML"):
            out.append((s.id, a.lat, a.lon, b.lat, b.lon, weight))
    return out


def generate(rng: np.random.Generator | None = None) -> list[dict[str, str]]:
    """All rows of the synthetic sample, sorted by date, as ACLED CSV fields."""
    rng = rng or np.random.default_rng(SEED)
    rows: list[dict] = []
    days = (END - START).days + 1

    def add(day: int, actor1: str, actor2: str, event_type: str, sub: str, place, **kw) -> None:
        loc, admin1, admin2, lat, lon = place
        rows.append(
            dict(
                day=day,
                actor1=actor1,
                actor2=actor2,
                event_type=event_type,
                sub_event_type=sub,
                location=loc,
                admin1=admin1,
                admin2=admin2,
                latitude=lat + rng.normal(0, 0.05) * kw.pop("spread", 1.0),
                longitude=lon + rng.normal(0, 0.05) * kw.pop("spread", 1.0),
                **kw,
            )
        )

    by_region = {r: [p for p in PLACES if p[1] == r] for r in {p[1] for p in PLACES}}
    south_west = [p for p in PLACES if p[1] in SOUTH_WEST]
    centre_north = [p for p in PLACES if p[1] in CENTRE_NORTH]

    for day in range(days):
        date = START + dt.timedelta(days=day)
        years = day / 365.0
        # JNIM activity away from the corridors: doubles every year.
        p_sw = 0.05 if date.year == 2024 else (0.13 if date.month <= 6 else 0.17)
        for _ in range(rng.poisson(2.4 * 2.0**years)):
            sw = rng.random() < p_sw
            place = (
                south_west[rng.integers(len(south_west))]
                if sw
                else centre_north[rng.integers(len(centre_north))]
            )
            kind = rng.random()
            actor1 = JNIM if rng.random() > 0.03 else JNIM_OR_ISSP
            if kind < 0.35:
                add(day, ARMY, actor1, "Battles", "Armed clash", place, fat=rng.poisson(4))
            elif kind < 0.65:
                add(
                    day,
                    actor1,
                    CIVILIANS,
                    "Violence against civilians",
                    "Attack" if rng.random() < 0.7 else "Abduction/forced disappearance",
                    place,
                    fat=rng.poisson(2),
                    civ=True,
                )
            elif kind < 0.85:
                add(
                    day,
                    actor1,
                    "",
                    "Explosions/Remote violence",
                    "Remote explosive/landmine/IED",
                    place,
                    fat=rng.poisson(1),
                )
            else:
                add(
                    day,
                    actor1,
                    CIVILIANS,
                    "Strategic developments",
                    "Looting/property destruction",
                    place,
                    fat=0,
                )
        # Army and Africa Corps air strikes on JNIM positions.
        if rng.random() < 0.25:
            place = centre_north[rng.integers(len(centre_north))]
            striker = ARMY if rng.random() < 0.7 else AFRICA_CORPS
            add(
                day,
                striker,
                JNIM,
                "Explosions/Remote violence",
                "Air/drone strike",
                place,
                fat=rng.poisson(3),
            )
        # Other actors, no trend.
        for _ in range(rng.poisson(0.45)):
            place = by_region[("Menaka", "Gao")[rng.integers(2)]][0]
            add(
                day,
                ISSP,
                CIVILIANS,
                "Violence against civilians",
                "Attack",
                place,
                fat=rng.poisson(3),
                civ=True,
                spread=4.0,
            )
        for _ in range(rng.poisson(0.15)):
            place = by_region["Mopti"][rng.integers(len(by_region["Mopti"]))]
            add(
                day,
                DOZO,
                CIVILIANS,
                "Violence against civilians",
                "Attack",
                place,
                fat=rng.poisson(2),
                civ=True,
                assoc2="Fulani Ethnic Group (Mali)",
            )
        for _ in range(rng.poisson(0.08)):
            add(
                day,
                PROTESTERS,
                "",
                "Protests",
                "Peaceful protest",
                by_region["Bamako"][0],
                fat=0,
                spread=0.2,
                tags="crowd size=no report",
            )

    rows.extend(_corridor_attacks(rng, days))
    rows.sort(key=lambda r: (r["day"], r["latitude"]))
    return [_to_acled(i, r, rng) for i, r in enumerate(rows)]


def _corridor_attacks(rng: np.random.Generator, days: int) -> list[dict]:
    """Self-exciting attacks on road traffic within a few km of the corridor segments.

    Discrete-time Hawkes: count(t) ~ Poisson(mu(t) + x(t)), x(t+1) = exp(-beta) (x(t) +
    alpha beta count(t)), branching ratio alpha = 0.35, decay beta = 0.3/day.
    """
    segments = _corridor_segments()
    total_weight = sum(s[5] for s in segments)
    alpha, beta = 0.35, 0.3
    rows = []
    for seg_id, lat_a, lon_a, lat_b, lon_b, weight in segments:
        mu0 = 0.06 * weight / total_weight
        excitation = 0.0
        for day in range(days):
            date = START + dt.timedelta(days=day)
            mu = mu0 * 2.0 ** (day / 365.0) * (3.0 if date >= BLOCKADE else 1.0)
            n = rng.poisson(mu + excitation)
            excitation = math.exp(-beta) * (excitation + alpha * beta * n)
            for _ in range(n):
                f = rng.random()
                # ~3 km perpendicular scatter expressed in degrees.
                lat = lat_a + f * (lat_b - lat_a) + rng.normal(0, 0.027)
                lon = lon_a + f * (lon_b - lon_a) + rng.normal(0, 0.027)
                loc, admin1, admin2 = _nearest_place(lat, lon)
                kind = rng.integers(len(CONVOY_NOTES))
                event_type, sub = (
                    ("Explosions/Remote violence", "Remote explosive/landmine/IED")
                    if kind == 3
                    else ("Violence against civilians", "Attack")
                    if kind < 2
                    else ("Violence against civilians", "Abduction/forced disappearance")
                )
                rows.append(
                    dict(
                        day=day,
                        actor1=JNIM,
                        actor2=CIVILIANS if kind < 3 else "",
                        event_type=event_type,
                        sub_event_type=sub,
                        location=loc,
                        admin1=admin1,
                        admin2=admin2,
                        latitude=lat,
                        longitude=lon,
                        fat=int(rng.poisson(1)),
                        civ=kind < 3,
                        segment=seg_id,
                        note=CONVOY_NOTES[kind].format(loc=loc, n=int(rng.integers(2, 30))),
                        assoc2="Truck Drivers (Mali); Transporters (Mali)" if kind < 3 else "",
                    )
                )
    return rows


def _to_acled(index: int, r: dict, rng: np.random.Generator) -> dict[str, str]:
    date = START + dt.timedelta(days=r["day"])
    actor1, actor2 = r["actor1"], r["actor2"]
    note = r.get("note") or (
        f"{r['event_type']} ({r['sub_event_type']}) involving {actor1}"
        + (f" and {actor2}" if actor2 else "")
        + f" near {r['location']}."
    )
    event_type = r["event_type"]
    disorder = {
        "Protests": "Demonstrations",
        "Strategic developments": "Strategic developments",
    }.get(event_type, "Political violence")
    stamp = dt.datetime.combine(date + dt.timedelta(days=int(rng.integers(3, 15))), dt.time(9))
    return {
        "event_id_cnty": f"MLI{30000 + index}",
        "event_date": date.isoformat(),
        "year": str(date.year),
        "time_precision": "1" if rng.random() < 0.85 else "2",
        "disorder_type": disorder,
        "event_type": event_type,
        "sub_event_type": r["sub_event_type"],
        "actor1": actor1,
        "assoc_actor_1": "",
        "inter1": INTER[actor1],
        "actor2": actor2,
        "assoc_actor_2": r.get("assoc2", ""),
        "inter2": INTER.get(actor2, ""),
        "interaction": _interaction(actor1, actor2),
        "civilian_targeting": "Civilian targeting" if r.get("civ") else "",
        "iso": "466",
        "region": "Western Africa",
        "country": "Mali",
        "admin1": r["admin1"],
        "admin2": r["admin2"],
        "admin3": "",
        "location": r["location"],
        "latitude": f"{r['latitude']:.4f}",
        "longitude": f"{r['longitude']:.4f}",
        "geo_precision": "1" if rng.random() < 0.7 else "2",
        "source": "SYNTHETIC siegeline sample; SYNTHETIC local partner",
        "source_scale": "Other",
        "notes": f"SYNTHETIC: On {date.day} {date:%B %Y}, {note}",
        "fatalities": str(int(r.get("fat", 0))),
        "tags": r.get("tags", ""),
        "timestamp": str(int(stamp.replace(tzinfo=dt.UTC).timestamp())),
    }


def write_sample(path: Path = SAMPLE_PATH) -> int:
    """Write the sample CSV; returns the number of events."""
    rows = generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ACLED_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_PATH
    print(f"wrote {write_sample(out)} synthetic events to {out}")
