"""Build the packaged default scenario ``bamako-2025`` from the public data in src/siegeline/data.

Run ``python tools/build_bamako_2025.py`` after changing the data or the choices below; the output
is src/siegeline/scenario/scenarios/bamako-2025.yaml. Every figure gets an entry in ``sources``:
either a fact key of data/bamako-2025-facts.csv with its source, or the word estimate with the
reasoning.
"""

from __future__ import annotations

import csv
import math
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


PORT_LOADING = "port loading capacity set to about 2x the corridor's pre-blockade share of demand"
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
    capacity = 250.0
    estimate(
        f"segments.{sid}.capacity_tankers_per_day",
        "two-lane trunk road: a few hundred heavy trucks per day",
    )
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
# power from EDM.
demand_total_central = 3.0e6
sectors = [
    {
        "name": "power",
        "label": "Power generation (EDM)",
        "priority": 1,
        "demand_litres_per_day": {"hfo": [0.55e6, 0.80e6], "diesel": [0.45e6, 0.65e6]},
        "retail": False,
        "panic_multiplier": 0.0,
    },
    {
        "name": "essential",
        "label": "Essential services (health, water, security, aid)",
        "priority": 2,
        "demand_litres_per_day": {"diesel": 0.25e6, "gasoline": 0.05e6},
        "retail": False,
        "panic_multiplier": 0.0,
    },
    {
        "name": "commerce",
        "label": "Commerce, industry and freight",
        "priority": 3,
        "demand_litres_per_day": {"diesel": 0.95e6, "gasoline": 0.10e6},
        "retail": False,
        "panic_multiplier": 0.1,
    },
    {
        "name": "private",
        "label": "Transport and private motorists",
        "priority": 4,
        "demand_litres_per_day": {"diesel": 0.75e6, "gasoline": 0.90e6},
        "retail": True,
        "panic_multiplier": 0.4,
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
for s in ("commerce", "private"):
    estimate(f"city.sectors.{s}.panic_multiplier", "extra buying when queues are visible; no data")
for s in sectors:
    estimate(f"city.sectors.{s['name']}.priority",
             "rationing order: power and essential services first (policy assumption)")

total_non_power = sum(v for s in sectors[1:] for v in s["demand_litres_per_day"].values())
assert abs(total_non_power - demand_total_central) < 1, total_non_power

capacity_total_l = float(FACTS["national_storage_capacity"]["value"]) * 1000.0
split = {"diesel": 0.55, "gasoline": 0.30, "hfo": 0.15}
depot_names = ["ONAP", "ex-Mobil (Star Oil)", "San Zou"]
depots = [
    {
        "name": n,
        "capacity_litres": {p: round(capacity_total_l * f / 3) for p, f in split.items()},
        "initial_fill": [0.3, 0.6],
    }
    for n in depot_names
]
for _i, n in enumerate(depot_names):
    fact(
        f"city.depots.{n}.capacity_litres",
        "national_storage_capacity",
        "53,853 m3 split equally over the three Bamako depots (fact bamako_depots) and by product "
        "55/30/15 (estimate)",
    )
    estimate(
        f"city.depots.{n}.initial_fill",
        "stocks on 2025-09-03; security stocks (3 days, fact security_stock_cover) were "
        "exhausted in early October",
    )

tanker_l = float(FACTS["tanker_capacity"]["value"])
products = [
    {
        "name": "diesel",
        "label": "Diesel (gasoil)",
        "tanker_capacity_litres": tanker_l,
        "official_price": float(FACTS["pump_price_diesel"]["value"]),
    },
    {
        "name": "gasoline",
        "label": "Gasoline (super)",
        "tanker_capacity_litres": tanker_l,
        "official_price": float(FACTS["pump_price_gasoline"]["value"]),
    },
    {
        "name": "hfo",
        "label": "Heavy fuel oil (power plants)",
        "tanker_capacity_litres": tanker_l,
        "official_price": 600.0,
    },
]
for p in ("diesel", "gasoline", "hfo"):
    fact(f"products.{p}.tanker_capacity_litres", "tanker_capacity")
fact("products.diesel.official_price", "pump_price_diesel")
fact("products.gasoline.official_price", "pump_price_gasoline")
estimate("products.hfo.official_price", "no regulated pump price; used for valuing losses only")

# Fleet sized to carry each corridor's share of normal demand with 40% slack.
demand_by_product = {"diesel": 0.0, "gasoline": 0.0, "hfo": 0.0}
for s in sectors:
    for p, v in s["demand_litres_per_day"].items():
        mid = (v[0] + v[1]) / 2 if isinstance(v, list) else v
        demand_by_product[p] += mid
corridors = []
speed_of = {frozenset((s["a"], s["b"])): s["speed_km_per_day"] for s in segments}
for name, label, path, share in corridor_spec:
    days = sum(
        seg_by_pair[frozenset((u, v))]["length_km"] / speed_of[frozenset((u, v))]
        for u, v in zip(path, path[1:], strict=False)
    )
    days += sum(sum(by_id[n].get("customs_delay_days", [0, 0])) / 2 for n in path)
    round_trip = 2 * math.ceil(days) + 2
    fleet = {
        p: int(math.ceil(1.4 * share * d / tanker_l * round_trip))
        for p, d in demand_by_product.items()
    }
    estimate(
        f"corridors.{name}.fleet",
        f"sized to carry the corridor's order share of normal demand over a {round_trip}-day "
        "round trip with 40% slack; importers' union reports 6000 tankers/month before the "
        "blockade (fact tankers_per_month_before_blockade), inconsistent with demand",
    )
    estimate(
        f"corridors.{name}.order_share",
        "importers' split between corridors; Côte d'Ivoire is the main supplier (fact "
        "ci_refined_exports_to_mali), Dakar had 28% in 2006 (fact dakar_fuel_share_2006)",
    )
    policy = {
        "mode": "convoy",
        "interval_days": 3,
        "max_size": 120,
        "escorts_per_convoy": 2,
        "wait_for_escorts": False,
    }
    estimate(
        f"corridors.{name}.policy",
        "escorted convoys of 80-300 tankers reported (data/blockade-2025-timeline.csv); "
        "interval and escort size are estimates",
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
for port, cors in ports.items():
    s = sum(share_of[c] for c in cors)
    by_id[port]["loading_capacity_tankers_per_day"] = {
        p: float(math.ceil(2 * s * d / tanker_l)) for p, d in demand_by_product.items()
    }
    estimate(f"nodes.{port}.loading_capacity_tankers_per_day", PORT_LOADING)

scenario = {
    "name": "bamako-2025",
    "title": "Bamako fuel blockade, from 3 September 2025",
    "description": (
        "JNIM declared a blockade of fuel imports to Mali on 2025-09-03 and attacks tankers on the "
        "corridors from Senegal, Côte d'Ivoire, Guinea and Mauritania. Demand is the national "
        "demand served through the Bamako depots. Built by tools/build_bamako_2025.py from "
        "public figures (data/bamako-2025-facts.csv); every figure's source is in `sources`."
    ),
    "simulation": {
        "start_date": FACTS["blockade_declared"]["value"],
        "horizon_days": 180,
        "replications": 1000,
        "seed": 20250903,
    },
    "products": products,
    "nodes": nodes,
    "segments": segments,
    "corridors": corridors,
    "drivers": {
        "willingness_max": [0.85, 0.98],
        "fear_sensitivity": [0.02, 0.06],
        "fear_memory_days": [20.0, 45.0],
        "escort_reassurance": 0.5,
        "kidnap_probability": [0.1, 0.4],
        "recruitment_per_day": 0.5,
    },
    "escorts": {"pool_size": 12},
    "adversary": {
        "intensity": [0.15, 0.3],
        "growth_per_year": [1.5, 2.5],
        "adaptation": [0.3, 0.7],
        "adaptation_rate": 0.1,
        "escort_aversion": 2.0,
        "size_visibility_exponent": [0.2, 0.5],
        "deterrence_per_escort": [0.1, 0.3],
        "protection_per_escort": [0.05, 0.2],
        "destroy_share": [0.3, 0.7],
        "empty_leg_factor": 0.3,
        "bans": [{"corridors": "all", "start_day": 0, "end_day": None, "compliance": [0.3, 0.6]}],
    },
    "city": {
        "name": "Bamako",
        "node": "bamako",
        "depots": depots,
        "sectors": sectors,
        "demand_multiplier": [2.5 / 3.0, 3.5 / 3.0],
        "rationing": [
            {"below_cover_days": 7.0, "caps": {"private": 0.7, "commerce": 0.85}},
            {
                "below_cover_days": 3.0,
                "caps": {"private": 0.4, "commerce": 0.6, "essential": 1.0, "power": 0.9},
            },
        ],
        "panic_cover_days": 5.0,
        "stockout_cover_days": 0.5,
        "order_target_cover_days": 12.0,
    },
    "stations": {
        "count": int(FACTS["bamako_filling_stations"]["value"]),
        "pumps_per_station": 4,
        "service_rate_per_pump_per_hour": 12.0,
        "opening_hours": 14.0,
        "litres_per_fill": 20.0,
        "min_daily_litres_to_open": 3000.0,
        "max_wait_hours": 10.0,
    },
    "prices": {"elasticity": [0.5, 1.0], "cap_multiple": 4.0, "goods_pass_through": [0.2, 0.4]},
    "impacts": {
        "power_sector": "power",
        "power_hours_normal": float(FACTS["power_hours_normal"]["value"]),
        "thermal_share": 0.7,
        "disruption_cover_days": 2.0,
        "disruption_min_days": 7,
    },
}
fact("simulation.start_date", "blockade_declared")
fact(
    "city.demand_multiplier",
    "recommended_national_demand",
    "scales demand so non-power demand spans 2.5-3.5 million L/day",
)
fact("stations.count", "bamako_filling_stations")
fact("impacts.power_hours_normal", "power_hours_normal")
fact("impacts.thermal_share", "edm_fuel_need", "thermal plants about 70% of power")
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
    "JNIM's declared ban; compliance (drivers refusing the trip) is an estimate calibrated with "
    "adversary.intensity",
)
CALIBRATION = (
    "calibrated by hand against the 2025 record: about 130 tankers destroyed in the first 30 "
    "days (data/blockade-2025-timeline.csv documents 113 burned between 13 Sep and 17 Oct), "
    "first stockout after about three weeks (security stocks exhausted in early October, fact "
    "security_stock_cover) and informal prices of 2000-3000 FCFA/L in Oct-Nov (fact "
    "informal_price_range)"
)
estimate("adversary.intensity", CALIBRATION)
estimate("drivers.fear_sensitivity", CALIBRATION)
for k in (
    "adaptation",
    "adaptation_rate",
    "escort_aversion",
    "size_visibility_exponent",
    "deterrence_per_escort",
    "protection_per_escort",
    "destroy_share",
    "empty_leg_factor",
):
    estimate(f"adversary.{k}", "behavioural parameter; no published figure")
estimate(
    "adversary.destroy_share",
    "40 of 80+ tankers burned on 2025-09-14 (data/blockade-2025-timeline.csv)",
)
for k in (
    "willingness_max",
    "fear_memory_days",
    "escort_reassurance",
    "kidnap_probability",
    "recruitment_per_day",
):
    estimate(f"drivers.{k}", "behavioural parameter; drivers refusing the trip reported by AP/RFI")
estimate("escorts.pool_size", "escort platoons the army can field for fuel convoys; not published")
for k in (
    "pumps_per_station",
    "service_rate_per_pump_per_hour",
    "opening_hours",
    "litres_per_fill",
    "min_daily_litres_to_open",
    "max_wait_hours",
):
    estimate(
        f"stations.{k}",
        "typical urban station in the Sahel; purchase cap of 10,000 FCFA "
        "(about 13 L, fact purchase_cap) bounds litres per fill",
    )
for k in ("rationing", "panic_cover_days", "stockout_cover_days", "order_target_cover_days"):
    estimate(f"city.{k}", "policy assumption")
estimate(
    "impacts.disruption_cover_days",
    "schools closed 2025-10-27 to 2025-11-09 (fact school_closure) once stocks were exhausted",
)
estimate("simulation.horizon_days", "six months")
estimate("impacts.disruption_min_days", "a week of low cover before schools close (policy "
         "assumption; closures came about three weeks into the 2025 shortage)")
scenario["sources"] = dict(sorted(sources.items()))

header = (
    "# Generated by tools/build_bamako_2025.py from src/siegeline/data; edit the tool, "
    "not this file.\n"
)
OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(
    header + yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True, width=100),
    encoding="utf-8",
)
print(f"wrote {OUT}")
