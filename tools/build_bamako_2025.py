"""Build the packaged default scenario ``bamako-2025`` from the public data in src/siegeline/data.

Run ``python tools/build_bamako_2025.py`` after changing the data or the choices below; the output
is src/siegeline/scenario/scenarios/bamako-2025.yaml. Every figure gets an entry in ``sources``:
either a fact key of data/bamako-2025-facts.csv with its source, or the word estimate with the
reasoning.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "siegeline" / "data"
OUT = ROOT / "src" / "siegeline" / "scenario" / "scenarios" / "bamako-2025.yaml"

with open(DATA / "bamako-2025-facts.csv", encoding="utf-8") as facts_file:
    FACTS = {r["key"]: r for r in csv.DictReader(facts_file)}
with open(DATA / "west-africa-places.csv", encoding="utf-8") as places_file:
    PLACES = {(r["name"], r["country"]): r for r in csv.DictReader(places_file)}
GEONAMES = "GeoNames (geonames.org, CC BY 4.0) via data/west-africa-places.csv"
APPROX = "approximate coordinates given in data/ATTRIBUTION.md (not in GeoNames' list)"

sources: dict[str, dict] = {}


def fact(path: str, key: str, note: str = "") -> None:
    row = FACTS[key]
    conf = row["confidence"] if row["confidence"] in ("high", "medium", "low") else "estimate"
    sources[path] = {
        "source": row["source"],
        "fact": key,
        "confidence": conf,
        "note": note or row["note"],
    }


def estimate(path: str, note: str) -> None:
    sources[path] = {"source": "siegeline estimate", "confidence": "estimate", "note": note}


def place(node_id, name, country, kind, geoname=None, latlon=None, **extra):
    if latlon is None:
        row = PLACES[(geoname or name, country)]
        lat, lon = float(row["latitude"]), float(row["longitude"])
        sources[f"nodes.{node_id}.lat"] = {
            "source": GEONAMES,
            "confidence": "high",
            "note": f"geonameid {row['geonameid']}",
        }
    else:
        lat, lon = latlon
        sources[f"nodes.{node_id}.lat"] = {"source": APPROX, "confidence": "low", "note": ""}
    sources[f"nodes.{node_id}.lon"] = sources[f"nodes.{node_id}.lat"]
    return {
        "id": node_id,
        "name": name,
        "kind": kind,
        "lat": lat,
        "lon": lon,
        "country": country,
        **extra,
    }


def haversine(a, b) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


nodes = [
    place("dakar", "Dakar", "SN", "port"),
    place("tambacounda", "Tambacounda", "SN", "town"),
    place("diboli", "Diboli / Kidira", "ML", "border", latlon=(14.47, -12.19)),
    place("kayes", "Kayes", "ML", "town"),
    place("kita", "Kita", "ML", "town"),
    place("diema", "Diéma", "ML", "town"),
    place("didieni", "Didiéni", "ML", "town", latlon=(13.88, -8.08)),
    place("kolokani", "Kolokani", "ML", "town"),
    place("kati", "Kati", "ML", "town"),
    place("bamako", "Bamako", "ML", "city"),
    place("abidjan", "Abidjan", "CI", "port"),
    place("bouake", "Bouaké", "CI", "town"),
    place("ferkessedougou", "Ferkessédougou", "CI", "town"),
    place("zegoua", "Zégoua / Pogo", "ML", "border", geoname="Zégoua"),
    place("sikasso", "Sikasso", "ML", "town"),
    place("bougouni", "Bougouni", "ML", "town"),
    place("korhogo", "Korhogo", "CI", "town"),
    place("tengrela", "Tengréla", "CI", "town"),
    place("kadiana", "Kadiana", "ML", "border", latlon=(10.8, -6.4)),
    place("kolondieba", "Kolondiéba", "ML", "town"),
    place("conakry", "Conakry", "GN", "port"),
    place("mamou", "Mamou", "GN", "town"),
    place("kankan", "Kankan", "GN", "town"),
    place("kouremale", "Kourémalé", "ML", "border", latlon=(11.95, -8.78)),
    place("siby", "Siby", "ML", "town", latlon=(12.38, -8.33)),
    place("nouakchott", "Nouakchott", "MR", "port"),
    place("kiffa", "Kiffa", "MR", "town"),
    place("ayoun", "Ayoun el Atrous", "MR", "town", geoname="Ayoun El Atrous"),
    place("gogui", "Gogui", "ML", "border", latlon=(15.55, -9.35)),
    place("nioro", "Nioro du Sahel", "ML", "town", geoname="Nioro"),
]
sources["nodes.siby.lat"] = sources["nodes.siby.lon"] = {
    "source": "siegeline estimate",
    "confidence": "estimate",
    "note": "Siby is about 35 km south-west of Bamako on the RN5; not in the places list",
}
by_id = {n["id"]: n for n in nodes}

customs = {
    "diboli": (
        [1.0, 3.0],
        "transit_dakar_bamako",
        "Diboli customs can add up to 72 h (transit_dakar_bamako note)",
    ),
    "zegoua": ([0.5, 2.0], None, "border crossing delay; no published figure"),
    "kadiana": ([0.5, 2.0], None, "border crossing delay; no published figure"),
    "kouremale": ([0.5, 2.0], None, "border crossing delay; no published figure"),
    "gogui": ([0.5, 2.0], None, "border crossing delay; no published figure"),
}
for nid, (rng, key, note) in customs.items():
    by_id[nid]["customs_delay_days"] = rng
    if key:
        fact(f"nodes.{nid}.customs_delay_days", key, note)
    else:
        estimate(f"nodes.{nid}.customs_delay_days", note)
by_id["didieni"]["checkpoint_turnback_probability"] = [0.0, 0.05]
estimate(
    "nodes.didieni.checkpoint_turnback_probability",
    "JNIM checkpoints reported on the Didiéni-Kolokani axis (RFI, 2025-09-13);"
    " share turned back unknown",
)

for n in nodes:
    if "customs_delay_days" not in n:
        estimate(f"nodes.{n['id']}.customs_delay_days", "not a border post: no customs delay")
    if "checkpoint_turnback_probability" not in n:
        estimate(f"nodes.{n['id']}.checkpoint_turnback_probability",
                 "no checkpoint turning tankers back reported here")

# (a, b, length km or None for 1.25 x great-circle, fact key, speed km/day, hazard per 100 km)
ROAD_FACTOR = 1.25
segments_spec = [
    ("dakar", "tambacounda", 465, None, 350, 0.0),
    ("tambacounda", "diboli", 190, None, 300, 0.0),
    ("diboli", "kayes", 90, "dist_kayes_diboli", 250, [0.005, 0.02]),
    ("kayes", "kita", None, None, 250, [0.01, 0.03]),
    ("kita", "kati", None, None, 250, [0.01, 0.03]),
    ("kayes", "diema", None, None, 250, [0.02, 0.05]),
    ("diema", "didieni", None, None, 250, [0.04, 0.10]),
    ("didieni", "kolokani", None, None, 250, [0.05, 0.12]),
    ("kolokani", "kati", None, None, 250, [0.02, 0.06]),
    ("kati", "bamako", 15, None, 200, 0.002),
    ("abidjan", "bouake", None, None, 350, 0.0),
    ("bouake", "ferkessedougou", None, None, 350, 0.0),
    ("ferkessedougou", "zegoua", None, None, 300, 0.0),
    ("zegoua", "sikasso", 100, "dist_sikasso_zegoua", 250, [0.02, 0.05]),
    ("sikasso", "bougouni", None, None, 250, [0.02, 0.05]),
    ("bougouni", "bamako", None, None, 250, [0.01, 0.03]),
    ("bouake", "korhogo", None, None, 350, 0.0),
    ("korhogo", "tengrela", None, None, 300, 0.0),
    ("tengrela", "kadiana", None, None, 250, [0.0, 0.02]),
    ("kadiana", "kolondieba", None, None, 250, [0.05, 0.12]),
    ("kolondieba", "bougouni", None, None, 250, [0.02, 0.06]),
    ("conakry", "mamou", None, None, 250, 0.0),
    ("mamou", "kankan", None, None, 250, 0.0),
    ("kankan", "kouremale", None, None, 250, 0.0),
    ("kouremale", "siby", None, None, 250, [0.005, 0.02]),
    ("siby", "bamako", None, None, 250, [0.0, 0.01]),
    ("nouakchott", "kiffa", None, None, 350, 0.0),
    ("kiffa", "ayoun", None, None, 300, 0.0),
    ("ayoun", "gogui", None, None, 250, 0.0),
    ("gogui", "nioro", None, None, 250, [0.01, 0.04]),
    ("nioro", "diema", None, None, 250, [0.03, 0.07]),
]
HAZARD_NOTE = (
    "per-group hazard chosen so that simulated losses in Sep-Nov 2025 match the order of "
    "the timeline (data/blockade-2025-timeline.csv); replace with `siegeline events "
    "calibrate` output when event data is loaded"
)
# Throughput (tanker/day), read by the planning models only (the simulator does not use it).
# Estimates, so ranges (stochastic interdiction samples them; the other models take the
# central value). A border post's customs clearance caps the road leaving it into Mali, which
# every tanker of the crossing takes: from its normal rate (no headroom) to three times it
# (24-hour working against a day shift), central twice the crossing's share (its corridors'
# order shares) of the tankers that crossed a day before the blockade (fact
# tankers_per_month_before_blockade / 30).
NORMAL_TANKERS_PER_DAY = float(FACTS["tankers_per_month_before_blockade"]["value"]) / 30
BORDER_EXITS = {  # segment: (post, share of the national tanker traffic)
    "diboli-kayes": ("Diboli / Kidira", 0.22 + 0.10),
    "zegoua-sikasso": ("Zégoua / Pogo", 0.33),
    "kadiana-kolondieba": ("Kadiana", 0.10),
    "kouremale-siby": ("Kourémalé", 0.15),
    "gogui-nioro": ("Gogui", 0.10),
}
SECONDARY_ROADS = {"kolondieba-bougouni": [50.0, 110.0]}
TRUNK_CAPACITY = [150.0, 350.0]


def segment_capacity(sid: str) -> list[float]:
    path = f"segments.{sid}.capacity_tankers_per_day"
    if sid in BORDER_EXITS:
        post, share = BORDER_EXITS[sid]
        normal = share * NORMAL_TANKERS_PER_DAY
        central = float(round(2 * normal, -1))
        fact(path, "tankers_per_month_before_blockade",
             f"customs clearance at {post}, whose normal rate is {normal:.0f} tankers/day "
             f"({share:.2f} of the {NORMAL_TANKERS_PER_DAY:.0f} tankers/day that crossed "
             "before the blockade, by its corridors' order shares): the post, sized for "
             "normal traffic, caps the road leaving it. Range: from about that rate (no "
             "headroom) to three times it, central twice (estimate of the headroom: 24-hour "
             "working, as ordered for Bamako's customs on 11 Oct)")
        return [central / 2, 3 * central / 2]
    if sid in SECONDARY_ROADS:
        estimate(path, "secondary road (not a national trunk road) between Kolondiéba and "
                 "Bougouni: about a third of a trunk road's heavy traffic")
        return list(SECONDARY_ROADS[sid])
    estimate(path, "two-lane trunk road: a few hundred heavy trucks per day")
    return list(TRUNK_CAPACITY)


segments = []
for a, b, length, key, speed, hazard in segments_spec:
    sid = f"{a}-{b}"
    if length is None:
        length = round(ROAD_FACTOR * haversine(by_id[a], by_id[b]))
        estimate(
            f"segments.{sid}.length_km",
            f"{ROAD_FACTOR} x great-circle distance between the GeoNames points",
        )
    elif key:
        fact(f"segments.{sid}.length_km", key)
    else:
        estimate(f"segments.{sid}.length_km", "road distance from maps")
    estimate(
        f"segments.{sid}.speed_km_per_day",
        "loaded tanker day's run; chosen so Dakar-Bamako takes 4-6 days with customs "
        "(fact transit_dakar_bamako)",
    )
    if hazard:
        estimate(f"segments.{sid}.hazard_per_100km", HAZARD_NOTE)
    else:
        estimate(
            f"segments.{sid}.hazard_per_100km",
            "outside Mali; no attacks on fuel convoys reported in 2025",
        )
    capacity = segment_capacity(sid)
    segments.append(
        {
            "id": sid,
            "a": a,
            "b": b,
            "length_km": float(length),
            "speed_km_per_day": float(speed),
            "hazard_per_100km": hazard,
            "capacity_tankers_per_day": capacity,
        }
    )
seg_by_pair = {frozenset((s["a"], s["b"])): s for s in segments}

corridor_spec = [
    (
        "dakar-kayes-kita",
        "Dakar - Kayes - Diboli - Kita - Kati - Bamako",
        ["dakar", "tambacounda", "diboli", "kayes", "kita", "kati", "bamako"],
        0.22,
    ),
    (
        "dakar-kayes-diema",
        "Dakar - Kayes - Diéma - Didiéni - Kolokani - Bamako (northern branch)",
        [
            "dakar",
            "tambacounda",
            "diboli",
            "kayes",
            "diema",
            "didieni",
            "kolokani",
            "kati",
            "bamako",
        ],
        0.10,
    ),
    (
        "abidjan-zegoua",
        "Abidjan - Zégoua/Pogo - Sikasso - Bougouni - Bamako",
        ["abidjan", "bouake", "ferkessedougou", "zegoua", "sikasso", "bougouni", "bamako"],
        0.33,
    ),
    (
        "abidjan-tengrela",
        "Abidjan - Tengréla - Kadiana - Kolondiéba - Bougouni - Bamako",
        ["abidjan", "bouake", "korhogo", "tengrela", "kadiana", "kolondieba", "bougouni", "bamako"],
        0.10,
    ),
    (
        "conakry-kouremale",
        "Conakry - Kankan - Kourémalé - Siby - Bamako",
        ["conakry", "mamou", "kankan", "kouremale", "siby", "bamako"],
        0.15,
    ),
    (
        "nouakchott-nioro",
        "Nouakchott - Ayoun - Gogui - Nioro du Sahel - Diéma - Bamako",
        [
            "nouakchott",
            "kiffa",
            "ayoun",
            "gogui",
            "nioro",
            "diema",
            "didieni",
            "kolokani",
            "kati",
            "bamako",
        ],
        0.10,
    ),
]

# Demand (L/day). National demand excluding power 2.5-3.5 million L/day (fact range);
# power from EDM. The depots in Bamako serve the whole country, so demand is national.
demand_total_central = 3.0e6
sectors = [
    {
        "name": "essential",
        "label": "Essential services (health, water, security, aid)",
        "priority": 1,
        "demand_litres_per_day": {"diesel": 0.25e6, "gasoline": 0.05e6},
        "retail": False,
        "panic_multiplier": 0.0,
    },
    {
        "name": "commerce",
        "label": "Commerce, industry and freight",
        "priority": 2,
        "demand_litres_per_day": {"diesel": 0.95e6, "gasoline": 0.10e6},
        "retail": False,
        "panic_multiplier": 0.1,
    },
    {
        "name": "private",
        "label": "Transport and private motorists",
        "priority": 3,
        "demand_litres_per_day": {"diesel": 0.75e6, "gasoline": 0.90e6},
        "retail": True,
        "panic_multiplier": [0.2, 0.5],
    },
    {
        "name": "power",
        "label": "Power generation (EDM)",
        "priority": 3,
        "demand_litres_per_day": {"hfo": [0.55e6, 0.80e6], "diesel": [0.45e6, 0.65e6]},
        "retail": False,
        "panic_multiplier": 0.0,
    },
]
fact(
    "city.sectors.power.demand_litres_per_day",
    "edm_fuel_need",
    "500 million L/year (1.37 million L/day) split by the EDM peak mix of 21 HFO and 18 diesel "
    "tankers/day (fact edm_peak_tankers_per_day); range for use below the stated need",
)
for s in ("essential", "commerce", "private"):
    fact(
        f"city.sectors.{s}.demand_litres_per_day",
        "recommended_national_demand",
        "sector split of the 2.5-3.5 million L/day non-power demand is a siegeline estimate "
        "(diesel 65%, gasoline 35%); the range enters through city.demand_multiplier",
    )
for s in ("power", "essential"):
    estimate(f"city.sectors.{s}.panic_multiplier", "institutional buyers: no panic buying")
estimate("city.sectors.commerce.panic_multiplier", "extra buying when queues are visible; no data")
estimate(
    "city.sectors.private.panic_multiplier",
    "motorists and resellers buy ahead (20 L cans) when stations run dry; no figure. The "
    "jerrycan bans of the timeline (20 and 30 Oct) lower it",
)
for s in ("essential", "commerce", "private"):
    estimate(f"city.sectors.{s}.priority",
             "rationing order: essential services first, then freight, then motorists "
             "(policy assumption)")
fact(
    "city.sectors.power.priority",
    "power_hours_blockade_min",
    "IN-SAMPLE choice: the power plants rank with motorists, after essential services and "
    "freight. The record supports neither power first nor power last: on 11 Oct Bamako had "
    "cuts of up to 10 h (about 14 h of power, RFI, log row 52) while almost no station sold "
    "fuel (log rows 38, 53); in late November most stations had reopened (log row 117) while "
    "most districts had about 6 h of power (AFP via TRT Afrika, log row 121); thermal plants "
    "short of fuel (EDM to AFP, 8 Oct, log row 45)",
)

total_non_power = sum(v for s in sectors if s["name"] != "power"
                      for v in s["demand_litres_per_day"].values())
assert abs(total_non_power - demand_total_central) < 1, total_non_power
DEMAND_MULTIPLIER = [2.5 / 3.0, 3.5 / 3.0]


def demand_of(pick) -> dict[str, float]:
    """Daily demand per product, each uncertain figure reduced by ``pick`` (e.g. max)."""
    out = {"diesel": 0.0, "gasoline": 0.0, "hfo": 0.0}
    for s in sectors:
        for p, v in s["demand_litres_per_day"].items():
            out[p] += pick(v) if isinstance(v, list) else v
    return out


demand_mid = demand_of(lambda v: (v[0] + v[1]) / 2)
# The top of every range at the top of the demand multiplier: what fleets, ports, customs and
# depots must carry in normal times.
demand_peak = {p: d * DEMAND_MULTIPLIER[1] for p, d in demand_of(max).items()}

capacity_total_l = float(FACTS["national_storage_capacity"]["value"]) * 1000.0
total_mid = sum(demand_mid.values())
split = {p: round(d / total_mid, 2) for p, d in demand_mid.items()}
depot_names = ["ONAP", "ex-Mobil (Star Oil)", "San Zou"]
INITIAL_FILL = [0.4, 0.7]
depots = [
    {
        "name": n,
        "capacity_litres": {p: round(capacity_total_l * f / 3) for p, f in split.items()},
        "initial_fill": INITIAL_FILL,
    }
    for n in depot_names
]
capacity_cover_peak = min(
    capacity_total_l * split[p] / demand_peak[p] for p in split
)
for _i, n in enumerate(depot_names):
    fact(
        f"city.depots.{n}.capacity_litres",
        "national_storage_capacity",
        "53,853 m3 split equally over the three Bamako depots (fact bamako_depots) and by product "
        f"in proportion to central demand ({split}; estimate), so every product has the same "
        f"cover: {capacity_cover_peak:.1f} days at peak demand",
    )
    estimate(
        f"city.depots.{n}.initial_fill",
        "stocks on 2025-09-03: 40-70% of capacity, i.e. about 5-9 days of normal demand in the "
        "depots, which with the fuel on the road gives the 'two weeks' the country would last "
        "if supplies were cut (source close to the Chamber of Commerce via Reuters 2025-09-16, "
        "log row 25); security stocks (3 days, fact security_stock_cover) are part of it",
    )

tanker_l = float(FACTS["tanker_capacity"]["value"])
products = [
    {
        "name": "diesel",
        "label": "Diesel (gasoil)",
        "tanker_capacity_litres": tanker_l,
        "official_price": float(FACTS["pump_price_diesel"]["value"]),
        "dispatch_weight": 1.0,
    },
    {
        "name": "gasoline",
        "label": "Gasoline (super)",
        "tanker_capacity_litres": tanker_l,
        "official_price": float(FACTS["pump_price_gasoline"]["value"]),
        "dispatch_weight": [0.4, 0.8],
    },
    {
        "name": "hfo",
        "label": "Heavy fuel oil (power plants)",
        "tanker_capacity_litres": tanker_l,
        "official_price": 600.0,
        "dispatch_weight": [0.2, 0.6],
    },
]
for p in ("diesel", "gasoline", "hfo"):
    fact(f"products.{p}.tanker_capacity_litres", "tanker_capacity")
fact("products.diesel.official_price", "pump_price_diesel")
fact("products.gasoline.official_price", "pump_price_gasoline")
estimate("products.hfo.official_price", "no regulated pump price; used for valuing losses only")
estimate("products.diesel.dispatch_weight", "the reference weight: gasoil first")
estimate(
    "products.gasoline.dispatch_weight",
    "importers put gasoil first when places were short: stations 'closed or diesel-only' "
    "(Nouvelles d'Afrique 2025-10-09, log row 46), 'gasoil available but gasoline nearly "
    "unfindable' (log row 48); the ratio is an uncertain range (estimate)",
)
estimate(
    "products.hfo.dispatch_weight",
    "IN-SAMPLE: heavy fuel oil for EDM's plants came last, chosen with EDM's 'as little as 6 h "
    "a day' in early October and about 6 h in most districts in late November (log rows 45, "
    "121); EDM's own finances are not modelled",
)

# Convoy policies. (interval days, max size, min size, escorts per convoy, escorts per 100)
UNESCORTED = {"mode": "convoy", "interval_days": 1, "max_size": 500, "min_size": None,
              "escorts_per_convoy": 0, "escorts_per_100_tankers": 0.0,
              "wait_for_escorts": False}
CONVOY_CORRIDORS = ("dakar-kayes-kita", "dakar-kayes-diema", "abidjan-zegoua", "abidjan-tengrela")
FIRST_ESCORTS = {"interval_days": 7, "max_size": 250, "min_size": None,
                 "escorts_per_convoy": 2, "escorts_per_100_tankers": [1.0, 3.0]}
MASS_CONVOYS = {"interval_days": 10, "max_size": 400, "min_size": 300,
                "escorts_per_convoy": 2, "escorts_per_100_tankers": [1.0, 3.0]}
MAX_INTERVAL = max(FIRST_ESCORTS["interval_days"], MASS_CONVOYS["interval_days"])
FLEET_SLACK = 1.3

corridors = []
speed_of = {frozenset((s["a"], s["b"])): s["speed_km_per_day"] for s in segments}
for name, label, path, share in corridor_spec:
    days = sum(
        seg_by_pair[frozenset((u, v))]["length_km"] / speed_of[frozenset((u, v))]
        for u, v in zip(path, path[1:], strict=False)
    )
    worst = days + sum(by_id[n].get("customs_delay_days", [0, 0])[1] for n in path)
    convoy = name in CONVOY_CORRIDORS
    # A round trip plus, on convoy corridors, the days a loaded tanker may wait for its convoy.
    cycle = 2 * math.ceil(worst) + (MAX_INTERVAL if convoy else 0)
    fleet = {
        p: int(math.ceil(FLEET_SLACK * share * d / tanker_l * cycle))
        for p, d in demand_peak.items()
    }
    estimate(
        f"corridors.{name}.fleet",
        f"carries the corridor's order share of PEAK normal demand (top of every range) over a "
        f"{cycle}-day cycle (slowest round trip{' plus the longest convoy wait' if convoy else ''})"
        f" with {FLEET_SLACK:.0%} of it; importers' union reports 6000 tankers/month before the "
        "blockade (fact tankers_per_month_before_blockade), inconsistent with demand",
    )
    estimate(
        f"corridors.{name}.order_share",
        "importers' split between corridors; Côte d'Ivoire is the main supplier (fact "
        "ci_refined_exports_to_mali), Dakar had 28% in 2006 (fact dakar_fuel_share_2006)",
    )
    if convoy:
        policy = dict(UNESCORTED)
        estimate(
            f"corridors.{name}.policy",
            "convoy corridor: the army escorted convoys here in 2025 (timeline). Before its first "
            "escort date tankers leave every day unescorted (interval 1, no escort); "
            "wait_for_escorts false: a convoy leaves with the escorts that are free",
        )
    else:
        policy = {"mode": "free"}
        estimate(
            f"corridors.{name}.policy",
            "free running: no escorted convoy on this route in the record (log caveats: no "
            "tanker-flow observation for Nouakchott/Nioro or Conakry/Kourémalé-Siby)",
        )
    corridors.append(
        {
            "name": name,
            "label": label,
            "path": path,
            "fleet": fleet,
            "order_share": share,
            "policy": policy,
        }
    )

ports = {
    "dakar": ["dakar-kayes-kita", "dakar-kayes-diema"],
    "abidjan": ["abidjan-zegoua", "abidjan-tengrela"],
    "conakry": ["conakry-kouremale"],
    "nouakchott": ["nouakchott-nioro"],
}
share_of = {c["name"]: c["order_share"] for c in corridors}
# Guinea and Mauritania cannot load much more for Mali than in normal times: Guinea itself ran
# short because of Malian demand (log rows 59, 64, 67, 71).
PORT_HEADROOM = {"dakar": 2.0, "abidjan": 2.0, "conakry": 1.15, "nouakchott": 1.15}
for port, cors in ports.items():
    s = sum(share_of[c] for c in cors)
    by_id[port]["loading_capacity_tankers_per_day"] = {
        p: float(math.ceil(PORT_HEADROOM[port] * s * d / tanker_l)) for p, d in demand_peak.items()
    }
    if PORT_HEADROOM[port] >= 2:
        estimate(f"nodes.{port}.loading_capacity_tankers_per_day",
                 "about 2x the corridor's share of peak normal demand (main supply ports)")
    else:
        estimate(
            f"nodes.{port}.loading_capacity_tankers_per_day",
            f"{PORT_HEADROOM[port]}x the corridor's share of peak normal demand: little room to "
            "take over the other corridors' traffic. Guinea itself ran short because of Malian "
            "demand (Jeune Afrique via SeneNews 2025-10-24; Guinee28/RFI, log rows 59, 64, 67, "
            "71); nothing is reported of Mauritania (same assumption)",
        )

peak_tankers = sum(demand_peak.values()) / tanker_l
UNLOADING_NORMAL = [round(1.6 * peak_tankers), round(2.2 * peak_tankers)]
UNLOADING_24_7 = [round(2.6 * peak_tankers), round(3.6 * peak_tankers)]
ORDER_TARGET = [5.0, 8.0]
RATIONING = [
    {"below_cover_days": 3.0, "caps": {"commerce": 0.9}},
    {"below_cover_days": 1.5, "caps": {"commerce": 0.7, "private": 0.8}},
]

START = dt.date.fromisoformat(FACTS["blockade_declared"]["value"])
timeline: list[dict] = []


def event(date: str, changes: dict, note: str, source: str, reasoning: str = "") -> None:
    """A dated timeline entry; its numbers are documented under ``timeline.<i>`` in sources."""
    assert (dt.date.fromisoformat(date) - START).days >= 0, date
    timeline.append({"date": date, "set": changes, "note": note, "source": source})
    sources[f"timeline.{len(timeline) - 1}"] = {
        "source": source,
        "confidence": "estimate" if reasoning else "medium",
        "note": (note + (" Values: " + reasoning if reasoning else "")),
    }


def convoy_policy(spec: dict) -> dict:
    return {**UNESCORTED, **spec}


def policies(names, spec: dict) -> dict:
    return {f"corridors.{n}.policy": convoy_policy(spec) for n in names}


DAKAR = ("dakar-kayes-kita", "dakar-kayes-diema")
POOL = (16, 32, 48)  # escort units from 10 Sep, 30 Oct, 25 Nov (estimates)


def cycle_target(names, spec: dict) -> list[float]:
    """Depot cover importers aim for once these corridors run convoys every ``interval`` days:
    the normal target plus the convoy cycle on those corridors' share of orders (an order-up-to
    level covers the review period; the engine adds only the travel time)."""
    share = sum(share_of[n] for n in names) / sum(share_of.values())
    extra = round(share * spec["interval_days"], 1)
    return [ORDER_TARGET[0] + extra, ORDER_TARGET[1] + extra]

ABIDJAN = ("abidjan-zegoua", "abidjan-tengrela")
ESCORT_NOTE = (
    "estimate: escort units asked per convoy (2 plus 1-3 per 100 tankers: escorts scale with "
    "convoy size); the army's numbers are not published"
)
event(
    "2025-09-03",
    {"adversary.campaign.hold": "active"},
    "JNIM declares a blockade of fuel imports to Kayes and Nioro and warns tankers from Senegal, "
    "Mauritania, Guinea and Côte d'Ivoire (the ban is adversary.bans[0]); trucks burned between "
    "Kayes and Nioro the same day: the campaign is active.",
    "RFI via allAfrica 2025-09-04 (log rows 5, 8); Reuters (fact blockade_declared)",
)
event(
    "2025-09-10",
    {**policies(DAKAR, FIRST_ESCORTS), "escorts.pool_size": POOL[0],
     "city.order_target_cover_days": cycle_target(DAKAR, FIRST_ESCORTS)},
    "First FAMa escort mission for tankers from the Senegal border; escorted convoys of 80-100+ "
    "tankers on the Dakar routes in September (14 Sep: >80 tankers under escort).",
    "Seneweb/SeneNews 2025-09-10 (FAMa); RFI via allAfrica 2025-09-15; Reuters via SowetanLive "
    "2025-09-16 (log rows 12, 16, 17)",
    f"a convoy every {FIRST_ESCORTS['interval_days']} days of at most "
    f"{FIRST_ESCORTS['max_size']} tankers (the September convoys had 80-100+ under fear; the "
    "maximum lets normal-times flows pass); "
    + ESCORT_NOTE + f"; pool of {POOL[0]} units is an estimate; importers add the "
    "convoy cycle on these corridors' share of orders to their depot target (estimate)",
)
event(
    "2025-10-01",
    {**policies(ABIDJAN, MASS_CONVOYS),
     "city.order_target_cover_days": cycle_target(DAKAR + ABIDJAN, MASS_CONVOYS)},
    "Escorted convoys on the Côte d'Ivoire routes: the army gives air cover to an escort near "
    "Kolondièba on 6 Oct and a convoy of about 300 tankers from Côte d'Ivoire reaches Bamako on "
    "7 Oct (so it left about 1-2 Oct; the decision itself is undated).",
    "Le Soir de Bamako (Oct 2025); RFI via allAfrica 2025-10-08, ORTM figure (log rows 37, 39)",
    f"mass convoys assembled to {MASS_CONVOYS['min_size']} tankers (they leave then, or after "
    f"{MASS_CONVOYS['interval_days']} days) and at most {MASS_CONVOYS['max_size']} "
    "(the 7 Oct ~300, 27 Oct ~200 and 22 Nov 168-tanker arrivals, log rows 39, 70, 115); "
    + ESCORT_NOTE + ". Start date inferred from the 7 Oct arrival and a ~5-day leg",
)
event(
    "2025-10-07",
    policies(DAKAR, MASS_CONVOYS),
    "The junta extends convoy escorts (and pump price controls); fuel comes in sporadic, "
    "army-authorised mass convoys.",
    "AP via Particle News (~8 Oct 2025) (log row 41)",
    "the Dakar routes move to the same mass convoys as the Côte d'Ivoire routes (estimate)",
)
event(
    "2025-10-09",
    {"city.rationing": [
        {"below_cover_days": 3.0, "caps": {"commerce": 0.9, "private": 0.7}},
        {"below_cover_days": 1.5, "caps": {"commerce": 0.7, "private": 0.5}},
    ]},
    "Stations impose maximum purchase amounts; attendants told not to fill tanks or 20 L cans.",
    "Les Nouvelles d'Afrique 2025-10-09 (log row 47)",
    "estimate: motorists capped at 70% of normal purchases below 3 days of cover and 50% below "
    "1.5 days (the amounts were not published)",
)
event(
    "2025-10-11",
    {"city.unloading_capacity_tankers_per_day": UNLOADING_24_7},
    "The customs petroleum products bureau works 24 hours a day to speed the release of "
    "tankers.",
    "L'Essor (~18 Nov 2025, PM visit to OMAP) (log row 51)",
    f"estimate: clearing capacity 2.6-3.6x peak normal arrivals ({UNLOADING_24_7} tankers/day; "
    "before: 1.6-2.2x): round-the-clock work, but clearance still took 'several days' until the "
    "21 Nov protocol (log row 113)",
)
event(
    "2025-10-20",
    {"city.sectors.private.panic_multiplier": [0.1, 0.3]},
    "Bamako stations may no longer sell fuel in jerrycans without prior authorisation.",
    "Studio Tamani via Abamako 2025-10-25 (log row 61; start date approximate)",
    "estimate: buying ahead in cans falls to 0.1-0.3 of normal demand at full scarcity "
    "(from 0.2-0.5)",
)
event(
    "2025-10-29",
    {"city.rationing": [
        {"below_cover_days": 3.0, "caps": {"commerce": 0.9, "private": 0.6}},
        {"below_cover_days": 1.5, "caps": {"commerce": 0.7, "private": 0.4}},
    ]},
    "Purchases rationed to 10,000 FCFA (about 13 L of gasoline) at every station in the capital.",
    "AFP via Boursorama 2025-10-29 (log row 76; fact purchase_cap)",
    "estimate: 13 L against a usual fill of about 20 L caps motorists at about 60% below 3 days "
    "of cover and 40% below 1.5 days",
)
event(
    "2025-10-30",
    {"city.sectors.private.panic_multiplier": [0.0, 0.15], "escorts.pool_size": POOL[1]},
    "Interministerial order: stations open 24/7, sales in cans banned except for generators and "
    "machines with proof; Russian Africa Corps escorts fuel convoys with helicopters.",
    "L'Essor 2025-10-31 (log row 80); Bellingcat 2025-12-03 (log row 84)",
    "estimate: can sales banned, so little buying ahead (0-0.15); escort pool doubled to "
    f"{POOL[1]} units with Africa Corps support (not published)",
)
event(
    "2025-11-07",
    {"adversary.campaign.hold": "lull"},
    "No attack on tankers is reported after 6 Nov (last: >=9 tankers destroyed between Zégoua "
    "and Sikasso); the minister claims a month without attacks on 20 Nov; reports link an "
    "informal truce, unverified, to a ransom deal for Emirati hostages.",
    "Bellingcat 2025-12-03; L'Essor 2025-11-20; Reuters via Echos Médias 2025-11-02 "
    "(log rows 95, 111, 86)",
    "IN-SAMPLE: the record fixes the regime until 30 Nov",
)
event(
    "2025-11-21",
    {"city.unloading_capacity_tankers_per_day": None},
    "Protocol of the government, GMPP and GPP caps tanker clearance at 24 hours (several days "
    "before).",
    "Journal du Mali; L'Essor 2025-11-20; Alwihda 2025-11-25 (log row 113)",
    "every tanker arriving is cleared within the day: no clearing limit",
)
event(
    "2025-11-25",
    {"escorts.pool_size": POOL[2]},
    "Africa Corps reported escorting tanker convoys; Russia pledges 160,000-200,000 t of "
    "petroleum and agricultural products; security sources credit reinforced escorts.",
    "Africanews 2025-11-25; RFI via allAfrica 2025-11-29 (log rows 118, 120)",
    f"estimate: escort pool up by half again, to {POOL[2]} units (not published)",
)
event(
    "2025-12-01",
    {"adversary.campaign.hold": "free"},
    "End of the record (30 Nov): from here the campaign switches regimes at random.",
    "siegeline (end of blockade-2025-observations.csv)",
    "forecast: the lull ends after an uncertain time, into a renewed active phase or a surge "
    "(adversary.campaign)",
)

scenario = {
    "name": "bamako-2025",
    "title": "Bamako fuel blockade, from 3 September 2025",
    "description": (
        "JNIM declared a blockade of fuel imports to Mali on 2025-09-03 and attacks tankers on the "
        "corridors from Senegal, Côte d'Ivoire, Guinea and Mauritania. Demand is the national "
        "demand served through the Bamako depots. The timeline holds what the state and JNIM "
        "did until 30 Nov 2025 (escorts, convoys, customs, rationing, the campaign's phases); "
        "from 1 Dec the campaign moves between regimes at random. Built by "
        "tools/build_bamako_2025.py from public figures (data/bamako-2025-facts.csv and the "
        "observation log); every figure's source is in `sources`."
    ),
    "observations": "bamako-2025",
    "simulation": {
        "start_date": FACTS["blockade_declared"]["value"],
        "horizon_days": 180,
        "replications": 1000,
        "seed": 20250903,
        "initial_state": "pre_blockade",
    },
    "products": products,
    "nodes": nodes,
    "segments": segments,
    "corridors": corridors,
    "drivers": {
        "willingness_max": [0.9, 0.98],
        "fear_sensitivity": [0.1, 0.25],
        "fear_memory_days": [7.0, 20.0],
        "escort_reassurance": [0.2, 0.5],
        "escort_defiance": 0.0,
        "kidnap_probability": [0.1, 0.4],
        "recruitment_per_day": 0.5,
    },
    "escorts": {"pool_size": 0},
    "adversary": {
        "intensity": [0.12, 0.25],
        "growth_per_year": [1.5, 2.5],
        "adaptation": [0.3, 0.7],
        "adaptation_rate": 0.1,
        "escort_aversion": 2.0,
        "size_visibility_exponent": [0.2, 0.5],
        "deterrence_per_escort": [0.05, 0.15],
        "protection_per_escort": [0.08, 0.2],
        "destroy_share": [0.3, 0.7],
        "empty_leg_factor": 0.3,
        "bans": [
            {"corridors": "all", "start_day": 0, "end_day": None, "compliance": [0.5, 0.8],
             "compliance_half_life_days": [30.0, 90.0]},
            {"corridors": "all", "start_day": 76, "end_day": None, "compliance": [0.0, 0.3],
             "compliance_half_life_days": [30.0, 90.0]},
        ],
        "campaign": {
            "regimes": [
                {"name": "active", "intensity_multiplier": 1.0,
                 "mean_duration_days": [30.0, 120.0]},
                {"name": "lull", "intensity_multiplier": [0.0, 0.1],
                 "mean_duration_days": [14.0, 90.0], "ban_enforcement": [0.0, 1.0]},
                {"name": "surge", "intensity_multiplier": [1.5, 3.0],
                 "mean_duration_days": [7.0, 30.0]},
            ],
            "transitions": {
                "active": {"lull": 1.0, "surge": 1.0},
                "lull": {"active": 2.0, "surge": 1.0},
                "surge": {"active": 1.0, "lull": 1.0},
            },
            "initial": "active",
            "hold": "free",
        },
    },
    "city": {
        "name": "Bamako",
        "node": "bamako",
        "depots": depots,
        "sectors": sectors,
        "demand_multiplier": DEMAND_MULTIPLIER,
        "rationing": RATIONING,
        "panic_cover_days": [3.0, 4.0],
        "stockout_unserved_share": 0.01,
        "order_target_cover_days": ORDER_TARGET,
        "unloading_capacity_tankers_per_day": UNLOADING_NORMAL,
    },
    "stations": {
        "count": int(FACTS["bamako_filling_stations"]["value"]),
        "pumps_per_station": 4,
        "service_rate_per_pump_per_hour": 12.0,
        "opening_hours": 14.0,
        "litres_per_fill": 20.0,
        "concentration_exponent": [1.0, 2.0],
        "max_wait_hours": 10.0,
    },
    "prices": {"elasticity": [0.5, 1.0], "cap_multiple": 4.0, "goods_pass_through": [0.2, 0.4]},
    "impacts": {
        "power_sector": "power",
        "power_hours_normal": float(FACTS["power_hours_normal"]["value"]),
        "thermal_share": 0.7,
        "power_finance": {
            "sales_cover": [1.0, 2.3],
            "margin": [0.0, 0.05],
            "credit_days": [0.0, 15.0],
            "bailout_days": [120.0, 540.0],
        },
        "disruption_served_share": [0.5, 0.7],
        "disruption_min_days": 7,
        "recovery_served_share": 0.6,
        "recovery_min_days": 3,
    },
    "timeline": timeline,
}
fact("simulation.start_date", "blockade_declared")
estimate("simulation.initial_state",
         "the blockade starts on day 0 with the traffic of normal times on the road")
fact(
    "city.demand_multiplier",
    "recommended_national_demand",
    "scales demand so non-power demand spans 2.5-3.5 million L/day",
)
fact("stations.count", "bamako_filling_stations")
fact("impacts.power_hours_normal", "power_hours_normal")
fact("impacts.thermal_share", "edm_fuel_need", "thermal plants about 70% of power")
# EDM buys its fuel with cash (docs/model.md, "Power"): the mechanism was chosen with the
# record's late-November power (IN-SAMPLE); its ranges come from pre-blockade reporting.
EDM_CASH = ("IN-SAMPLE choice of mechanism (EDM's 6 h in late November while stations reopened, "
            "log row 121); ranges from pre-blockade reporting. ")
sources["impacts.power_finance.sales_cover"] = {
    "source": "EDM via reussirbusiness (2013): https://reussirbusiness.com/mali-energie-edm-face-"
              "a-de-serieuses-difficultes-de-gestion ; EDM via croissanceafrique (2021): "
              "https://croissanceafrique.com/mali-30-millions-deuros-sous-forme-de-ratification-"
              "dun-nouveau-financement-de-litfc-en-soutien-a-ledm-sa ; Verificateur general via "
              "L'Essor (2024): https://www.lessor.ml/posts/mali-energie-du-mali-le-verificateur-"
              "general-decele-des-irregularites-dans-la-gestion-de-la-societe-66abefb26163b",
    "confidence": "low",
    "note": EDM_CASH + "EDM's sales over its fuel purchases: about 100 over 72 bn FCFA in 2012, "
            "239.4 over 103.4 bn FCFA in 2020; fuel purchases rose to 248.7 bn FCFA in 2022 "
            "(and 309 bn FCFA needed in 2024, fact edm_fuel_need) with no later sales figure, "
            "so the ratio may have fallen to about 1",
}
sources["impacts.power_finance.margin"] = {
    "source": "maliweb (Jul 2024): https://www.maliweb.net/economie/energie-du-mali/mali-crise-"
              "energetique-la-hausse-des-tarifs-est-elle-inevitable-3069657.html",
    "confidence": "estimate",
    "note": EDM_CASH + "EDM sells at a loss (average price 100 FCFA/kWh against a cost of 149.1) "
            "and owes about 600 bn FCFA, so little cash is left on a normal day; 0 to 5% of the "
            "fuel bill is a siegeline estimate",
}
sources["impacts.power_finance.credit_days"] = {
    "source": "maliweb (Jul 2024): https://www.maliweb.net/economie/energie-du-mali/mali-crise-"
              "energetique-la-hausse-des-tarifs-est-elle-inevitable-3069657.html ; EDM's "
              "director to Studio Tamani (Mar 2024): https://studiotamani.org/159302-le-mali-vers-"
              "la-reduction-des-delestages-pendant-le-ramadan",
    "confidence": "estimate",
    "note": EDM_CASH + "Fuel suppliers demanded payment in advance and banks no longer lent to "
            "EDM (2024); EDM held no fuel stock and bought day to day; up to 15 days of the "
            "fuel bill is a siegeline estimate",
}
sources["impacts.power_finance.bailout_days"] = {
    "source": "maliweb (Jul 2025, Apr 2025): https://www.maliweb.net/economie/energie-du-mali/"
              "edm-sa-lurgence-dune-bonne-gestion-le-paradoxe-de-la-subvention-et-du-deficit-"
              "3107735.html ; https://www.maliweb.net/economie/energie-du-mali/application-du-"
              "plan-unique-par-ledm-sa-le-satisfecit-du-ministre-boubacar-diane-3101927.html ; "
              "Bloomberg (Mar 2024): https://www.bnnbloomberg.ca/russia-s-fuel-gift-to-help-mali-"
              "keep-lights-on-during-ramadan-1.2044287",
    "confidence": "low",
    "note": EDM_CASH + "The last time EDM could not pay for its fuel (cuts from July 2023, when "
            "it could no longer borrow), the state mobilised 42 M L for Ramadan 2024 after about "
            "8 months and its 'Plan Unique' restored 19 h from February 2025, after about 19; "
            "4 to 18 months",
}
fact(
    "prices.cap_multiple",
    "informal_price_range",
    "2000-3000 FCFA/L is 2.6-3.9x the official price; cap at 4x",
)
estimate(
    "prices.elasticity",
    "chosen so the informal price reaches 2000-3000 FCFA/L when retail "
    "supply is about half of demand (fact informal_price_range)",
)
estimate("prices.goods_pass_through", "transport-cost pass-through to goods prices; no data")
fact("adversary.growth_per_year", "jnim_attacks_h1_2025", "attacks in H1 2025 doubled year on year")
fact(
    "adversary.bans",
    "blockade_declared",
    "bans[0]: JNIM's declared ban of 3 Sep (RFI 2025-09-04, log row 8). Compliance (drivers "
    "refusing the trip) is an uncertain 0.5-0.8 (IN-SAMPLE: chosen with the customs imports "
    "of 53 M L in September, under half of normal national demand, log row 3); it erodes with "
    "a half-life of 30-90 days (IN-SAMPLE, chosen with the 78 M L of October and 117 M L of "
    "1-24 Nov, log rows 34, 88; escorted convoys grew from 2 in September to 10 in November, "
    "log rows 2, 87, and JNIM answered on 18 Nov by extending its threat to every fuel "
    "transport company, which "
    "says the ban was being defied). bans[1]: that 18 Nov extension (RFI via allAfrica "
    "2025-11-20, log row 108), compliance 0-0.3 (estimate; in the record stations reopened "
    "from 24 Nov, so few drivers stopped)",
)
estimate(
    "adversary.campaign",
    "regimes of the campaign. active: multiplier 1 (the intensity calibrated on Sep-Oct). lull: "
    "0-0.1 (no attack reported 7-30 Nov, log rows 95, 111). surge: 1.5-3 (estimate). Mean "
    "durations and transition weights are wide uncertain ranges, NOT fitted: the record holds "
    "one active spell (3 Sep-6 Nov, 65 days) and one lull of at least 24 days (7-30 Nov), too "
    "little to estimate them. The timeline holds the regime until 30 Nov and frees it on 1 Dec. "
    "ban_enforcement: a ban is obeyed as far as attacks enforce it; active and surge enforce "
    "it fully (1), a lull anywhere from not at all to fully (0-1, uniform: reports of an "
    "informal truce, log row 86, against JNIM's renewed threat of 18 Nov, log row 108); "
    "IN-SAMPLE: the calibration weighs it with the customs imports of 1-24 Nov (117 M L, log "
    "row 88)",
)
CALIBRATION = (
    "IN-SAMPLE, chosen with the record (siegeline record bamako-2025): tankers destroyed in "
    "Sep-Oct 2025 (at least 45 documented in September, 90 in October, over 100 by the "
    "importers' association in September, >130 verified by Bellingcat, log rows 7, 15) and the "
    "customs imports of 53 M L in September and 78 M L in October (log rows 3, 34)"
)
estimate("adversary.intensity", CALIBRATION)
estimate("drivers.fear_sensitivity", CALIBRATION)
for k in (
    "adaptation",
    "adaptation_rate",
    "escort_aversion",
    "size_visibility_exponent",
    "empty_leg_factor",
):
    estimate(f"adversary.{k}", "behavioural parameter; no published figure")
for k in ("deterrence_per_escort", "protection_per_escort"):
    estimate(f"adversary.{k}",
             "per escort unit; escorted convoys were still hit hard (14 Sep >30 burned, 17 Oct "
             "~50 burned despite escorts, log rows 20, 56), so a unit does little on its own")
estimate(
    "adversary.destroy_share",
    "40 of 80+ tankers burned on 2025-09-14 (data/blockade-2025-timeline.csv)",
)
estimate("drivers.fear_memory_days",
         "IN-SAMPLE: drivers' fear fades within one to three weeks once attacks stop, chosen "
         "with the recovery from the October crisis (78 M L imported in October, 117 M L in "
         "1-24 Nov, log rows 34, 88) after the last reported attack on 6 Nov (log row 95)")
for k in (
    "willingness_max",
    "kidnap_probability",
    "recruitment_per_day",
):
    estimate(f"drivers.{k}", "behavioural parameter; drivers refusing the trip reported by AP/RFI")
estimate("drivers.escort_reassurance",
         "escorts reassure drivers somewhat; escorted convoys were attacked (log rows 13, 56)")
estimate("drivers.escort_defiance",
         "0: the Sep-Nov record does not separate escorts persuading drivers to defy the ban "
         "from the ban's erosion (adversary.bans), which stands for both here; a planning "
         "scenario can set it to test escorted convoys against refusal")
estimate("escorts.pool_size",
         "no escort missions before 10 Sep (first one: log row 12); the timeline sets the pool")
for k in (
    "pumps_per_station",
    "service_rate_per_pump_per_hour",
    "opening_hours",
    "litres_per_fill",
    "max_wait_hours",
):
    estimate(
        f"stations.{k}",
        "typical urban station in the Sahel; purchase cap of 10,000 FCFA "
        "(about 13 L, fact purchase_cap) bounds litres per fill",
    )
estimate(
    "stations.concentration_exponent",
    "scarce fuel goes to a few stations that sell out ('try seven or eight to find one open', "
    "RFI 2025-10-11, log row 53); 1-2 is an estimate",
)
estimate(
    "city.rationing",
    "before the state's caps: commerce trimmed below 3 days of cover, motorists below 1.5 days; "
    "the thresholds sit below the normal depot cover (order_target_cover_days). The timeline "
    "tightens them on 9 and 29 Oct",
)
estimate("city.panic_cover_days", "buying ahead starts below 3-4 days of cover (below normal)")
estimate("city.stockout_unserved_share",
         "a product is out when more than 1% of its demand goes unserved")
estimate(
    "city.order_target_cover_days",
    "depot cover importers aim for: 5-8 days of normal demand (security stock 3 days, fact "
    "security_stock_cover; 'two weeks' with fuel on the road, log row 25); below the depots' "
    f"capacity cover of {capacity_cover_peak:.1f} days at peak demand",
)
estimate(
    "city.unloading_capacity_tankers_per_day",
    f"tankers customs clear and depots unload per day before 11 Oct: 1.6-2.2x the peak "
    f"normal arrivals ({peak_tankers:.0f} tankers/day): normal flows pass, a several-hundred-"
    "tanker convoy waits days at the gate ('several days' of clearance before the 21 Nov "
    "protocol, log row 113). Timeline: 24/7 on 11 Oct, no limit from 21 Nov",
)
estimate("simulation.horizon_days", "six months")
estimate(
    "impacts.disruption_served_share",
    "schools close once motorists get less than half to 70% of their fuel for a week (an "
    "uncertain range: no decree states a threshold; schools closed 27 Oct-9 Nov because the "
    "shortage blocked movement, log row 72; fact school_closure)",
)
estimate("impacts.disruption_min_days", "a week of low supply before schools close")
estimate(
    "impacts.recovery_served_share",
    "they reopen once motorists get 60% for 3 days: classes resumed on 10 Nov while many "
    "stations were still closed (AP 2025-11-10, log rows 102, 103)",
)
estimate("impacts.recovery_min_days", "a few days of better supply before reopening")
scenario["sources"] = dict(sorted(sources.items()))


class _Row(list):
    """A posterior sample, written on one line."""


# The default scenario ships conditioned on the packaged log through 30 Nov 2025 (ABC-SMC,
# docs/calibration.md): replications draw joint rows of the posterior for the ranges the record
# informs; the others keep their ranges. `--no-calibrate` writes the ranges only.
if "--no-calibrate" not in sys.argv:
    import tempfile

    from siegeline.calibration import CalibrationSettings, calibrate
    from siegeline.calibration.smc import posterior_scenario
    from siegeline.observations.log import load_log
    from siegeline.scenario.loader import validate_scenario

    UNTIL = dt.date(2025, 11, 30)
    settings = CalibrationSettings(population=500, budget=20_000, seed=20250903)
    prior_scenario = validate_scenario(scenario, "bamako-2025 (ranges)")
    with tempfile.TemporaryDirectory() as tmp:
        fit = calibrate(prior_scenario, load_log("bamako-2025"), UNTIL, settings, Path(tmp))
    scenario["posterior"] = posterior_scenario(prior_scenario, fit, "bamako-2025", UNTIL,
                                               settings)["posterior"]
    scenario["posterior"]["samples"] = [_Row(r) for r in scenario["posterior"]["samples"]]
    informed = ", ".join(fit.prior.paths)
    sources["posterior"] = {
        "source": "siegeline calibrate (ABC-SMC) on the packaged observation log to 30 Nov 2025",
        "confidence": "medium",
        "note": f"IN-SAMPLE: conditioned on the whole record to 30 Nov 2025. Informed by the "
                f"data (calibrated): {informed}; every other range stays its prior",
    }
    scenario["sources"] = dict(sorted(sources.items()))

class _NoAliases(yaml.SafeDumper):
    """Writes every value in full: anchors would make places share one list, so that changing
    one (``--set``) changed the others."""

    def ignore_aliases(self, data: object) -> bool:
        return True


_NoAliases.add_representer(
    _Row, lambda d, row: d.represent_sequence("tag:yaml.org,2002:seq", row, flow_style=True))


header = (
    "# Generated by tools/build_bamako_2025.py from src/siegeline/data; edit the tool, "
    "not this file.\n"
)
OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(
    header + yaml.dump(scenario, Dumper=_NoAliases, sort_keys=False, allow_unicode=True,
                       width=100),
    encoding="utf-8",
)
print(f"wrote {OUT}")
