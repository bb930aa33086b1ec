"""`siegeline events ...`: ingest conflict events, report trends, calibrate hazards."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from siegeline.cli.common import (
    UserError,
    choice_option,
    console,
    err_console,
    friendly_errors,
    output_option,
    print_table,
    scenario_argument,
    seed_option,
)
from siegeline.events.schema import GROUP_COLUMNS, MEASURES, PERIODS

if TYPE_CHECKING:
    import pandas as pd

    from siegeline.events import analytics as an

events_app = typer.Typer(
    help="Conflict events (ACLED, UCDP): ingest, trends, exposure of corridors, calibration.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

DEFAULT_TYPES = ["Battles", "Violence against civilians", "Explosions/Remote violence"]
STORE_ENV = "SIEGELINE_STORE"  # as siegeline.events.store.STORE_ENV (checked in the tests)
# Columns whose values a user copies (segment, actor and region names): never cut.
NAME_COLUMNS = ("segment", "group", *GROUP_COLUMNS)

StoreOpt = typer.Option(
    None,
    "--store",
    envvar=STORE_ENV,
    help="DuckDB file (default siegeline-runs/siegeline.duckdb).",
)
ActorOpt = typer.Option(None, "--actor", help="Actor name or prefix before ':' (e.g. JNIM).")
AndOrOpt = choice_option(
    "include", "--and-or", kind="and/or rule", choices=("include", "exclude"),
    help="Count combined 'A and/or B' actor names: include or exclude."
)
AssocOpt = typer.Option(False, "--assoc", help="Also match associated actors.")
TypeOpt = typer.Option(None, "--event-type", help="Keep only this event type (repeatable).")
StartOpt = typer.Option(None, "--start", help="First date (YYYY-MM-DD).")
EndOpt = typer.Option(None, "--end", help="Last date (YYYY-MM-DD).")
PeriodOpt = choice_option("month", "--period", kind="period", choices=PERIODS,
                          help="Period length.")
HalfPeriodOpt = choice_option("half", "--period", kind="period", choices=PERIODS,
                              help="Period length.")
MeasureOpt = choice_option("events", "--measure", kind="measure", choices=MEASURES,
                          help="Count events, or sum their fatalities.")
ScenarioArg = scenario_argument("Scenario whose corridor segments the events are tied to.")
HazardActorOpt = typer.Option(
    None, "--actor", help="Actor whose events count (default: the data's most frequent first "
    "actor among the event types, printed); '' for every actor.")
BufferOpt = typer.Option(10.0, "--buffer-km", help="Distance to a segment (km).")
CsvOpt = typer.Option(None, "--csv", help="Write the table as CSV here.")


def _rule(actor: str | None, and_or: str, assoc: bool) -> an.ActorRule | None:
    from siegeline.events import analytics as an

    return an.ActorRule(actor, include_associated=assoc, and_or=and_or) if actor else None


def _load(store_path: Path | None, **filters: Any) -> pd.DataFrame:
    from siegeline.events import analytics as an
    from siegeline.events import store

    with store.connect(store_path, read_only=True) as con:
        events = store.load_events(con)
    if events.empty:
        raise UserError("the event store is empty; run `siegeline events ingest FILE` first")
    try:
        out = an.filter_events(events, **filters)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if out.empty:
        raise UserError("no events match these filters")
    return out


def _data_span(
    store_path: Path | None, start: str | None, end: str | None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days the stored data cover (first to last event of any kind), within --start/--end:
    what a monthly series counts as complete months, whatever the filters keep."""
    import pandas as pd

    from siegeline.events import store

    with store.connect(store_path, read_only=True) as con:
        first, last = con.execute("SELECT min(event_date), max(event_date) FROM events").fetchone()
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    return (max(first, pd.Timestamp(start)) if start else first,
            min(last, pd.Timestamp(end)) if end else last)


def _grouped_counts(
    store_path: Path | None,
    period: str,
    measure: str,
    by: str | None,
    actor: str | None,
    and_or: str,
    assoc: bool,
    event_type: list[str],
    start: str | None,
    end: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The filtered events and their counts per period (and group); `summary` and `trend`."""
    from siegeline.events import analytics as an

    rule = _rule(actor, and_or, assoc)
    # Grouping by actor splits the events into the actor's and the others', so keep them all.
    events = _load(
        store_path,
        actor=None if by == "actor" else rule,
        event_types=event_type,
        start=start,
        end=end,
    )
    if by == "actor" and rule is not None and not rule.mask(events).any():
        common = ", ".join(an.primary_actor(events).value_counts().index[:5])
        raise UserError(f"no event matches actor {actor!r} (most frequent first actors: "
                        f"{common})")
    try:
        table = an.counts(events, period, by=by, actor=rule, measure=measure)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return events, table


def _print_table(df: pd.DataFrame, title: str, index: bool = True, floats: str = "{:.1f}") -> None:
    import pandas as pd

    table = Table(title=title)
    if index:
        table.add_column(str(df.index.name or ""))
    for col in df.columns:
        table.add_column(str(col), justify="right")
    for idx, row in df.astype(object).iterrows():
        cells = [str(idx)] if index else []
        for v in row:
            if isinstance(v, float):
                cells.append("–" if pd.isna(v) else floats.format(v))
            else:
                cells.append(str(v))
        table.add_row(*cells)
    print_table(table, whole=NAME_COLUMNS)


@events_app.command("ingest")
@friendly_errors
def ingest(
    files: list[Path] = typer.Argument(None, help="ACLED export or UCDP GED CSV files."),
    deleted: Path | None = typer.Option(
        None, "--deleted", help="CSV of ACLED deletions (event_id_cnty, deleted_timestamp)."
    ),
    api_country: str | None = typer.Option(
        None, "--api-country", help="Fetch this country from the ACLED API (credentials in env)."
    ),
    api_since: str | None = typer.Option(
        None, "--api-since", help="API: events on or after this date (YYYY-MM-DD)."
    ),
    show_problems: int = typer.Option(20, "--show-problems", help="Rejected rows to list."),
    strict: bool = typer.Option(False, "--strict", help="Store nothing if any row is rejected; "
                                "without it the good rows are stored. Either way the exit "
                                "status is 1 when a row was rejected, with a count by reason."),
    store_path: Path | None = StoreOpt,
) -> None:
    """Load events into the store; re-ingesting updates events instead of duplicating them."""
    from siegeline.events import acled_api, store
    from siegeline.events.ingest import IngestError, acled_api_records, parse_csv, parse_deleted_csv

    if not files and not api_country and not deleted:
        raise UserError("give CSV files, --api-country or --deleted")
    deletions = parse_deleted_csv(deleted) if deleted else None
    batches = []
    try:
        for f in files or []:
            batches.append((str(f), parse_csv(f)))
    except IngestError as exc:
        raise UserError(str(exc)) from None
    if api_country:
        try:
            with acled_api.AcledClient(acled_api.Credentials.from_env()) as client:
                with store.connect(store_path) as con:
                    since = store.last_timestamp(con)
                filters: dict[str, Any] = {"country": api_country}
                if api_since:
                    filters.update(event_date=api_since, event_date_where=">=")
                elif since:
                    filters.update(timestamp=since, timestamp_where=">=")
                with console.status(f"downloading {api_country} from the ACLED API"):
                    parsed = acled_api_records(client.events(**filters))
                    api_deleted = client.deleted(**({"deleted_timestamp": since} if since else {}))
                deletions = (deletions or []) + api_deleted
                batches.append((f"ACLED API {api_country}", parsed))
        except acled_api.AcledApiError as exc:
            raise UserError(str(exc)) from None
    if not batches:
        from siegeline.events.ingest import ParsedEvents

        batches.append((str(deleted), ParsedEvents("acled")))
    rejected = [(label, p) for label, parsed in batches for p in parsed.problems]
    if strict and rejected:
        for label, problem in rejected[:show_problems]:
            err_console.print(f"  {label}: rejected {problem}", highlight=False, markup=False)
        _print_rejections([p for _, p in rejected])
        err_console.print(f"error: {len(rejected)} rows rejected; nothing stored (--strict)",
                          highlight=False, markup=False)
        raise typer.Exit(code=1)
    with store.connect(store_path) as con:
        for i, (label, parsed) in enumerate(batches):
            summary = store.write_events(
                con, parsed, label, deletions if i == len(batches) - 1 else None
            )
            console.print(
                f"[bold]{label}[/]: {summary.rows_read} rows read, {summary.inserted} new, "
                f"{summary.updated} updated, {summary.unchanged} unchanged, "
                f"{summary.deleted} deleted, {summary.skipped_deleted} skipped as deleted, "
                f"{summary.skipped_stale} older than the stored version, "
                f"{summary.rejected} rejected",
                highlight=False,
            )
            for problem in parsed.problems[:show_problems]:
                err_console.print(f"  rejected {problem}", highlight=False, markup=False)
            if len(parsed.problems) > show_problems:
                err_console.print(f"  ... and {len(parsed.problems) - show_problems} more")
        total = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    console.print(f"store now holds {total} events")
    if rejected:  # the good rows are stored; tell scripts that some were not
        _print_rejections([p for _, p in rejected])
        raise typer.Exit(code=1)


def _print_rejections(problems: list[Any]) -> None:
    """Rejected rows counted by reason (the rule each broke)."""
    from siegeline.events.ingest import rejection_counts

    counts = ", ".join(f"{reason} {n}" for reason, n in rejection_counts(problems))
    err_console.print(f"rejected {len(problems)} rows by reason: {counts}",
                      highlight=False, markup=False)


@events_app.command("summary")
@friendly_errors
def summary(
    by: str = choice_option("event_type", "--by", kind="column", choices=GROUP_COLUMNS,
                           help="Group by this column."),
    period: str = PeriodOpt,
    measure: str = MeasureOpt,
    top: int = typer.Option(10, "--top", help="Rows of the movers table."),
    actor: str | None = ActorOpt,
    and_or: str = AndOrOpt,
    assoc: bool = AssocOpt,
    event_type: list[str] = TypeOpt,
    start: str | None = StartOpt,
    end: str | None = EndOpt,
    store_path: Path | None = StoreOpt,
) -> None:
    """Totals (events or fatalities) by group, and the movers between the last two periods."""
    import pandas as pd

    from siegeline.events import analytics as an
    from siegeline.events import store

    events, table = _grouped_counts(
        store_path, period, measure, by, actor, and_or, assoc, event_type, start, end
    )
    console.print(
        f"{len(events)} events, {int(events['fatalities'].sum())} fatalities, "
        f"{events['event_date'].min():%Y-%m-%d} to {events['event_date'].max():%Y-%m-%d}"
    )
    totals = table.sum().sort_values(ascending=False).rename(measure).to_frame()
    totals["share_pct"] = 100.0 * totals[measure] / max(totals[measure].sum(), 1)
    totals.index.name = by
    _print_table(totals.head(top), f"{measure.capitalize()} by {by}")
    # The data's own end (all events, not just the filtered ones) says whether the last period
    # is complete; a partial one is not compared with a whole one.
    with store.connect(store_path, read_only=True) as con:
        data_end = pd.Timestamp(con.execute("SELECT max(event_date) FROM events").fetchone()[0])
    if len(table) and not an.period_is_complete(data_end, period):
        console.print(f"[dim]{table.index[-1]} is partial (the data end on {data_end:%Y-%m-%d}); "
                      "movers compare the last two complete periods.[/]")
        table = table.iloc[:-1]
    if len(table) >= 2:
        mv = an.movers(table, top)
        prev, last = mv.attrs["periods"]
        _print_table(mv.set_index("group"), f"Movers: {prev} → {last}")


@events_app.command("trend")
@friendly_errors
def trend(
    period: str = PeriodOpt,
    measure: str = MeasureOpt,
    by: str | None = choice_option(None, "--by", kind="column", choices=GROUP_COLUMNS,
                                  help="Split by this column."),
    actor: str | None = ActorOpt,
    and_or: str = AndOrOpt,
    assoc: bool = AssocOpt,
    event_type: list[str] = TypeOpt,
    start: str | None = StartOpt,
    end: str | None = EndOpt,
    png: Path | None = typer.Option(None, "--png", help="Write a line chart here."),
    csv_out: Path | None = CsvOpt,
    store_path: Path | None = StoreOpt,
) -> None:
    """Counts per period, with change from the previous period."""
    import pandas as pd

    _, table = _grouped_counts(store_path, period, measure, by, actor, and_or, assoc, event_type,
                               start, end)
    shown = table.copy()
    if by is None:
        shown["change_pct"] = 100.0 * shown[measure].pct_change().replace([float("inf")], pd.NA)
    title = f"{measure.capitalize()} per {period}" + (f" ({actor})" if actor else "")
    _print_table(shown, title)
    if png:
        from siegeline.events.charts import trend_chart

        console.print(f"chart: {trend_chart(table, title, png)}")
    if csv_out:
        table.to_csv(csv_out)
        console.print(f"table: {csv_out}")


@events_app.command("share")
@friendly_errors
def share(
    actor: str = typer.Option(..., "--actor", help="Actor name or prefix (e.g. JNIM)."),
    regions: str = typer.Option(
        ..., "--regions", help="Comma-separated admin1 names (e.g. Kayes,Koulikoro,Sikasso)."
    ),
    period: str = HalfPeriodOpt,
    and_or: str = AndOrOpt,
    assoc: bool = AssocOpt,
    event_type: list[str] = TypeOpt,
    png: Path | None = typer.Option(None, "--png", help="Write a chart here."),
    store_path: Path | None = StoreOpt,
) -> None:
    """Share of an actor's events that fall in a set of regions, per period."""
    from siegeline.events import analytics as an

    rule = _rule(actor, and_or, assoc)
    region_list = [r.strip() for r in regions.split(",") if r.strip()]
    events = _load(store_path, event_types=event_type)
    known = {r.casefold() for r in events["admin1"].dropna()}
    unknown = [r for r in region_list if r.casefold() not in known]
    if unknown or not region_list:
        common = ", ".join(events["admin1"].value_counts().index[:8])
        raise UserError(f"no event in admin1 {', '.join(unknown) or '(none given)'} "
                        f"(most frequent: {common})")
    table = an.regional_share(events, rule, region_list, period)
    title = f"{actor} events in {', '.join(region_list)}"
    _print_table(table, title)
    if png:
        from siegeline.events.charts import share_chart

        console.print(f"chart: {share_chart(table, title, png)}")


@events_app.command("search")
@friendly_errors
def search(
    keywords: list[str] = typer.Argument(..., help="Words to look for in notes (e.g. tanker)."),
    actor: str | None = ActorOpt,
    and_or: str = AndOrOpt,
    period: str = PeriodOpt,
    show: int = typer.Option(10, "--show", help="Matching events to print."),
    store_path: Path | None = StoreOpt,
) -> None:
    """Events whose notes mention any keyword, counted per period."""
    from siegeline.events import analytics as an

    events = _load(store_path, actor=_rule(actor, and_or, False))
    hits = an.keyword_search(events, keywords)
    console.print(f"{len(hits)} of {len(events)} events mention {', '.join(keywords)}")
    if hits.empty:
        return
    per = an.counts(hits, period)
    _print_table(per, f"Matching events per {period}")
    last = hits.sort_values("event_date").tail(show)
    t = Table(title=f"Latest {len(last)} matches")
    for col in ("date", "admin1", "location", "matched", "notes"):
        t.add_column(col)
    for _, r in last.iterrows():
        t.add_row(
            f"{r.event_date:%Y-%m-%d}", str(r.admin1), str(r.location), r.matched, str(r.notes)[:90]
        )
    print_table(t, whole=("date", "admin1", "location"))


@events_app.command("export")
@friendly_errors
def export(
    output: Path = output_option(..., "CSV (ACLED columns) or .parquet file."),
    actor: str | None = ActorOpt,
    and_or: str = AndOrOpt,
    assoc: bool = AssocOpt,
    event_type: list[str] = TypeOpt,
    start: str | None = StartOpt,
    end: str | None = EndOpt,
    store_path: Path | None = StoreOpt,
) -> None:
    """Write the (filtered) events: .csv in ACLED's 31-column layout, .parquet as stored."""
    from siegeline.events.schema import ACLED_COLUMNS, ACLED_MULTI_VALUE

    events = _load(
        store_path, actor=_rule(actor, and_or, assoc), event_types=event_type, start=start, end=end
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix == ".parquet":
        events.to_parquet(output, index=False)
    else:
        out = events.rename(columns={"source_id": "event_id_cnty"}).copy()
        for col in ACLED_MULTI_VALUE:
            out[col] = out[col].map(lambda v: "; ".join(v) if v is not None else "")
        out["event_date"] = out["event_date"].dt.strftime("%Y-%m-%d")
        out["civilian_targeting"] = out["civilian_targeting"].map(
            lambda v: "Civilian targeting" if v else ""
        )
        out[list(ACLED_COLUMNS)].to_csv(output, index=False)
    console.print(f"wrote {len(events)} events to {output}")


def _matched(store_path, actor, and_or, assoc, event_type, start, end) -> pd.DataFrame:
    """The events of ``actor`` ('' for every actor; None for the most frequent first actor of
    the events of these types and dates, said so) of the chosen types and dates."""
    types = event_type or DEFAULT_TYPES
    if actor is None:
        from siegeline.events import analytics as an

        actor = an.primary_actor(_load(store_path, event_types=types, start=start,
                                       end=end)).value_counts().index[0]
        console.print(f"actor: {actor} (the most frequent first actor; --actor to choose, "
                      "--actor '' for every actor)", highlight=False)
    return _load(
        store_path,
        actor=_rule(actor or None, and_or, assoc),
        event_types=types,
        start=start,
        end=end,
    )


@events_app.command("exposure")
@friendly_errors
def exposure_cmd(
    scenario: str = ScenarioArg,
    buffer_km: float = BufferOpt,
    period: str = HalfPeriodOpt,
    actor: str | None = HazardActorOpt,
    and_or: str = AndOrOpt,
    assoc: bool = AssocOpt,
    event_type: list[str] = TypeOpt,
    start: str | None = StartOpt,
    end: str | None = EndOpt,
    png: Path | None = typer.Option(None, "--png", help="Write a map here."),
    csv_out: Path | None = CsvOpt,
    store_path: Path | None = StoreOpt,
) -> None:
    """Events within a buffer of each corridor segment, per period, with a map."""
    from siegeline.events import exposure
    from siegeline.scenario import load_scenario

    sc = load_scenario(scenario)
    events = _matched(store_path, actor, and_or, assoc, event_type, start, end)
    try:
        assigned = exposure.assign_segments(events, sc, buffer_km)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    span = (events["event_date"].min(), events["event_date"].max())
    table = exposure.segment_counts(assigned, sc, period, span)
    console.print(f"{assigned.index.nunique()} of {len(events)} events lie within "
                  f"{buffer_km:g} km of a segment")
    _print_table(
        table[table["total"] > 0].sort_values("total", ascending=False),
        f"Events per segment and {period}",
    )
    if png:
        from siegeline.events.charts import exposure_map

        title = (
            f"Events within {buffer_km:g} km of corridor segments "
            f"({span[0]:%Y-%m} to {span[1]:%Y-%m})"
        )
        console.print(f"map: {exposure_map(sc, table['total'], events, title, png)}")
    if csv_out:
        table.to_csv(csv_out)
        console.print(f"table: {csv_out}")


@events_app.command("calibrate")
@friendly_errors
def calibrate_cmd(
    scenario: str = ScenarioArg,
    output: Path = output_option(..., "Calibrated scenario YAML file."),
    method: str = choice_option("gamma", "--method", kind="method", choices=("gamma", "hawkes"),
                               help="Gamma–Poisson with time decay, or a Hawkes process."),
    buffer_km: float = BufferOpt,
    half_life_days: float = typer.Option(180.0, "--half-life-days", help="Decay of old events."),
    groups_per_day: float = typer.Option(
        6.0, "--groups-per-day", help="Assumed traffic groups crossing each segment per day."
    ),
    actor: str | None = HazardActorOpt,
    and_or: str = AndOrOpt,
    assoc: bool = AssocOpt,
    event_type: list[str] = TypeOpt,
    start: str | None = StartOpt,
    end: str | None = EndOpt,
    seed: int = seed_option(20250903, "Seed of the Hawkes uncertainty draws."),
    store_path: Path | None = StoreOpt,
) -> None:
    """Estimate segment hazards and the intensity trend; write a scenario the simulator runs."""
    import pandas as pd
    import yaml

    from siegeline.events import calibrate as cal
    from siegeline.events import exposure
    from siegeline.scenario import load_scenario

    sc = load_scenario(scenario)
    events = _matched(store_path, actor, and_or, assoc, event_type, start, end)
    try:
        assigned = exposure.assign_segments(events, sc, buffer_km)
        with console.status("fitting segment hazards"):
            calib = cal.calibrate(
                assigned,
                events,
                sc,
                method=method,
                half_life_days=half_life_days,
                groups_per_day=groups_per_day,
                span=_data_span(store_path, start, end),
                seed=seed,
            )
        data = cal.write_scenario_data(scenario, calib)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    rows = pd.DataFrame(
        [
            {
                "segment": e.segment,
                "events": f"{e.events:g}",
                "rate/day": e.rate_mean,
                "rate 5%": e.rate_low,
                "rate 95%": e.rate_high,
                "hazard low": e.hazard_low,
                "hazard high": e.hazard_high,
                "method": e.method,
            }
            for e in calib.segments
        ]
    ).set_index("segment")
    _print_table(
        rows,
        f"Segment hazards (per group per 100 km, {groups_per_day:g} groups/day)",
        floats="{:.4f}",
    )
    t = calib.trend
    console.print(
        f"intensity trend: x{t.growth_per_year:.2f} per year (90%: {t.low:.2f}–{t.high:.2f}) "
        f"from {t.months} months"
    )
    if calib.uncovered:
        console.print(
            f"unchanged (no event coverage): {', '.join(calib.uncovered)}", highlight=False
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Calibrated by `siegeline events calibrate` from {calib.settings['events']} events "
        f"({calib.settings['data_from']} to {calib.settings['data_to']}), method "
        f"{method}, buffer {buffer_km:g} km.\n"
    )
    output.write_text(
        header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    console.print(f"wrote {output}")


@events_app.command("backtest")
@friendly_errors
def backtest_cmd(
    holdout: int = typer.Option(6, "--holdout", help="Months held back and forecast."),
    actor: str | None = HazardActorOpt,
    and_or: str = AndOrOpt,
    assoc: bool = AssocOpt,
    event_type: list[str] = TypeOpt,
    start: str | None = StartOpt,
    end: str | None = EndOpt,
    seed: int = seed_option(20250903, "Seed of the forecast samples."),
    png: Path | None = typer.Option(None, "--png", help="Write a forecast chart here."),
    store_path: Path | None = StoreOpt,
) -> None:
    """Forecast held-back months and score them with the CRPS against two baselines."""
    from siegeline.events import backtest as bt
    from siegeline.events.calibrate import monthly_series

    events = _matched(store_path, actor, and_or, assoc, event_type, start, end)
    try:
        monthly = monthly_series(events, _data_span(store_path, start, end))
        with console.status(f"backtesting {holdout} months"):
            result = bt.backtest(monthly, events["event_date"], holdout, seed=seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    _print_table(result.scores, "CRPS per held-back month (lower is better)")
    _print_table(result.summary(), "Mean CRPS and skill (1 - CRPS/CRPS_baseline)", floats="{:.3f}")
    if png:
        from siegeline.events.charts import backtest_chart

        console.print(f"chart: {backtest_chart(monthly, result.forecasts, png)}")
