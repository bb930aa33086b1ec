"""The `siegeline` command."""

from __future__ import annotations

import typer

from siegeline.cli import experiments, run_commands, scenario_commands
from siegeline.cli.events import events_app
from siegeline.cli.network import network_app
from siegeline.cli.plan import plan_app
from siegeline.cli.record import record
from siegeline.cli.rerun import rerun
from siegeline.cli.web import report, serve

app = typer.Typer(
    name="siegeline",
    help="Model, forecast and plan the fuel supply of a city under armed interdiction.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.command("run")(run_commands.run)
app.command("runs")(run_commands.runs)
app.command("summary")(run_commands.summary)
app.command("plot")(run_commands.plot)
app.command("scenarios")(scenario_commands.scenarios)
app.command("show")(scenario_commands.show)
app.command("validate")(scenario_commands.validate)
app.command("schema")(scenario_commands.schema)
app.add_typer(plan_app, name="plan")
app.add_typer(network_app, name="network")
app.command("serve")(serve)
app.command("report")(report)
app.add_typer(events_app, name="events")
app.command("sensitivity")(experiments.sensitivity)
app.command("sweep")(experiments.sweep)
app.command("rerun")(rerun)
app.command("record")(record)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
