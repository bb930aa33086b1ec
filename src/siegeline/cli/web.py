"""`siegeline serve` (dashboard and HTTP API) and `siegeline report` (self-contained HTML)."""

from __future__ import annotations

from pathlib import Path

import typer

from siegeline.cli.common import (
    UserError,
    console,
    friendly_errors,
    output_option,
    run_id_argument,
    run_not_found,
    store_option,
)

TOKEN_ENV = "SIEGELINE_TOKEN"  # as siegeline.web.security.TOKEN_ENV (checked in the tests)
SCENARIOS_ENV = "SIEGELINE_SCENARIOS"


@friendly_errors
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on; any "
                             "non-loopback address needs --token."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    store: Path | None = store_option(),
    scenarios: Path | None = typer.Option(None, "--scenarios", envvar=SCENARIOS_ENV,
                                          file_okay=False, metavar="DIR", help="Also serve "
                                          "every *.yaml scenario file of this folder, named by "
                                          "its file stem (re-read when a file changes)."),
    workers: int = typer.Option(1, "--workers", min=1, max=16,
                                help="Simulations run at the same time."),
    max_replications: int = typer.Option(20_000, "--max-replications", min=1,
                                         help="Most replications one API request may ask for."),
    max_days: int = typer.Option(730, "--max-days", min=1, max=3650,
                                 help="Longest horizon (days) one API request may ask for."),
    max_store_gb: float = typer.Option(10.0, "--max-store-gb", min=0.001,
                                       help="Refuse new runs once the store is this large."),
    token: str | None = typer.Option(None, "--token", envvar=TOKEN_ENV, help="Require this "
                                     "token (Bearer header, or open /?token=... once). "
                                     f"Prefer ${TOKEN_ENV} or --token-file: an option is "
                                     "visible to every user in `ps`."),
    token_file: Path | None = typer.Option(None, "--token-file", exists=True, dir_okay=False,
                                           help="Read the token from the first line of this "
                                           "file."),
) -> None:
    """Serve the dashboard and HTTP API (API reference at /docs, schema at /openapi.json)."""
    import os

    import uvicorn

    from siegeline.web import WebSettings, create_app
    from siegeline.web.security import check_bind, read_token

    try:
        token = read_token(token, str(token_file) if token_file else None)
        check_bind(host, token)
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
    if token and token_file is None and os.environ.get(TOKEN_ENV) != token:
        console.print(f"[yellow]warning:[/] --token is visible to other users in `ps`; give it "
                      f"as ${TOKEN_ENV} or with --token-file instead.")
    settings = WebSettings(store_path=store, scenarios_path=scenarios, workers=workers,
                           max_replications=max_replications, max_days=max_days, token=token,
                           host=host, max_store_bytes=int(max_store_gb * 2**30))
    try:
        app = create_app(settings)
    except ValueError as exc:  # a scenario file named as a packaged scenario, no such folder
        raise UserError(str(exc)) from None
    invalid = [e for e in app.state.catalogue.folder_entries() if e.error]
    for entry in invalid:
        console.print(f"[yellow]warning:[/] {entry.name}.yaml is invalid and not served: "
                      f"{entry.error}", soft_wrap=True)
    console.print(f"siegeline dashboard on [bold]http://{host}:{port}/[/] "
                  f"(API docs /docs, store {app.state.store.path}); Ctrl+C stops it.")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@friendly_errors
def report(
    run_id: str = run_id_argument(),
    output: Path = output_option(Path("report.html"), "HTML file to write."),
    store: Path | None = store_option(),
    forecast_from: str | None = typer.Option(
        None, "--forecast-from", metavar="DATE", help="Add a forecast section: the run read "
        "past this date (YYYY-MM-DD). Default: the last date of data of the scenario's "
        "posterior, when it has one and the run goes past it."),
    forecast_days: int | None = typer.Option(None, "--forecast-days", min=1, max=3650,
                                             help="Days of the forecast section (default: to "
                                             "the run's last day)."),
    observations: str | None = typer.Option(None, "--observations", help="Observation log "
                                            "overlaid on the forecast (a CSV file or packaged "
                                            "name; 'none' for no overlay). Default: the "
                                            "one the run's scenario names (else its "
                                            "posterior's; none if neither names one)."),
) -> None:
    """Write one self-contained HTML report of a stored run that opens offline.

    It holds the charts, the map, the run's parameters and sources, with Plotly.js embedded;
    for a calibrated scenario (or with --forecast-from) also the forecast from a date.
    """
    import datetime as dt

    from siegeline.observations.log import ObservationLogError
    from siegeline.reports import write_report
    from siegeline.reports.html import ForecastOptions
    from siegeline.results.store import ResultStore, RunNotFound

    out = output
    if out.is_dir():
        raise UserError(f"{out} is a directory; give a file name such as {out / 'report.html'}")
    try:
        origin = dt.date.fromisoformat(forecast_from) if forecast_from else None
    except ValueError:
        raise UserError(f"--forecast-from {forecast_from!r} is not a date (YYYY-MM-DD)") from None
    options = ForecastOptions(origin, forecast_days, observations)
    try:
        path = write_report(run_id, out, ResultStore(store), options)
    except RunNotFound as exc:
        raise run_not_found(exc, store) from None
    except ObservationLogError as exc:
        raise UserError(str(exc)) from None
    console.print(f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
