"""Column layouts of the source formats (ACLED export, UCDP GED) and of the normalised table.

ACLED columns follow ACLED's codebook (31 columns of the standard export); UCDP GED columns follow
the GED codebook (49 columns of the CSV release).
"""

from __future__ import annotations

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

UCDP_GED_COLUMNS: tuple[str, ...] = (
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
)

# ACLED's actor-type codes before the 2024 switch to text labels (codebook, "inter" variables).
INTER_CODES: dict[int, str] = {
    0: "",
    1: "State forces",
    2: "Rebel group",
    3: "Political militia",
    4: "Identity militia",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}

# ACLED's codebook (2023 onwards): the sub-event types of each event type.
ACLED_SUB_EVENT_TYPES: dict[str, frozenset[str]] = {
    "Battles": frozenset({
        "Armed clash", "Government regains territory", "Non-state actor overtakes territory",
    }),
    "Explosions/Remote violence": frozenset({
        "Chemical weapon", "Air/drone strike", "Suicide bomb", "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED", "Grenade",
    }),
    "Violence against civilians": frozenset({
        "Sexual violence", "Attack", "Abduction/forced disappearance",
    }),
    "Protests": frozenset({
        "Peaceful protest", "Protest with intervention", "Excessive force against protesters",
    }),
    "Riots": frozenset({"Violent demonstration", "Mob violence"}),
    "Strategic developments": frozenset({
        "Agreement", "Arrests", "Change to group/activity", "Disrupted weapons use",
        "Headquarters or base established", "Looting/property destruction",
        "Non-violent transfer of territory", "Other",
    }),
}

# Fields ACLED exports as one string of values separated by semicolons.
ACLED_MULTI_VALUE = ("assoc_actor_1", "assoc_actor_2", "source", "tags")

# UCDP GED codebook: ranges of the precision codes.
UCDP_WHERE_PREC = range(1, 8)  # 1 exact location ... 7 international waters/airspace
UCDP_DATE_PREC = range(1, 6)  # 1 exact day ... 5 longer than a month
UCDP_DEATH_COLUMNS = ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")

# UCDP type_of_violence → (ACLED-like event_type, civilian_targeting).
UCDP_VIOLENCE = {
    1: ("Battles", False),  # state-based conflict
    2: ("Battles", False),  # non-state conflict
    3: ("Violence against civilians", True),  # one-sided violence
}

# Normalised table: name → DuckDB type. Lists hold ACLED's semicolon-separated values.
EVENT_COLUMNS: dict[str, str] = {
    "event_uid": "VARCHAR",  # "<dataset>:<source id>", the primary key
    "dataset": "VARCHAR",  # 'acled' or 'ucdp'
    "source_id": "VARCHAR",  # event_id_cnty or UCDP id
    "event_date": "DATE",
    "year": "INTEGER",
    "time_precision": "INTEGER",
    "disorder_type": "VARCHAR",
    "event_type": "VARCHAR",
    "sub_event_type": "VARCHAR",
    "actor1": "VARCHAR",
    "assoc_actor_1": "VARCHAR[]",
    "inter1": "VARCHAR",
    "actor2": "VARCHAR",
    "assoc_actor_2": "VARCHAR[]",
    "inter2": "VARCHAR",
    "interaction": "VARCHAR",
    "civilian_targeting": "BOOLEAN",
    "iso": "INTEGER",
    "region": "VARCHAR",
    "country": "VARCHAR",
    "admin1": "VARCHAR",
    "admin2": "VARCHAR",
    "admin3": "VARCHAR",
    "location": "VARCHAR",
    "latitude": "DOUBLE",
    "longitude": "DOUBLE",
    "geo_precision": "INTEGER",
    "source": "VARCHAR[]",
    "source_scale": "VARCHAR",
    "notes": "VARCHAR",
    "fatalities": "INTEGER",
    "tags": "VARCHAR[]",
    "timestamp": "BIGINT",
    "ingest_id": "INTEGER",
}

# Choices of the analytics (here, without pandas, so the CLI lists them without importing it).
PERIODS: tuple[str, ...] = ("week", "month", "quarter", "half", "year")
GROUP_COLUMNS: tuple[str, ...] = (
    "actor", "event_type", "sub_event_type", "admin1", "admin2", "country",
)
MEASURES: tuple[str, ...] = ("events", "fatalities")
