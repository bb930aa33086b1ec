"""The `siegeline` command.

Start-up imports only Typer, Rich and the command modules, which import NumPy, pandas, SciPy,
Matplotlib and the engines inside the commands: `siegeline --help` stays fast. The `plan` group is
loaded only when it is used (its module imports the planning libraries at the top).
"""

from __future__ import annotations

import errno
import importlib
import sys
from typing import Any

import typer
from typer._click import Command, Context, HelpFormatter  # Typer's own copy of click
from typer._click.exceptions import ClickException, UsageError
from typer.core import TyperGroup

from siegeline.cli import calibrate, experiments, run_commands, scenario_commands
from siegeline.cli.common import console, print_error
from siegeline.cli.events import events_app
from siegeline.cli.record import record
from siegeline.cli.rerun import rerun
from siegeline.cli.web import report, serve

# Groups loaded on first use: name -> (module, Typer attribute, one-line help for the listing).
LAZY_GROUPS = {
    "plan": ("siegeline.cli.plan", "plan_app",
             "Plan against the adversary: interdiction, escorts, routing."),
    "network": ("siegeline.cli.network", "network_app",
                "Road networks: import GeoJSON or CSV roads, export a scenario's network."),
}


class LazyGroup(TyperGroup):
    """The root group: lists the lazy groups with their help, imports one when it is used."""

    _listing = False

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """As click's standalone mode, but a usage error is one line: the error and where the
        help is (click prints the usage, a hint and the error on three)."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except UsageError as exc:
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            print_error(exc.format_message() + where)
            sys.exit(exc.exit_code)
        except ClickException as exc:
            print_error(exc.format_message())
            sys.exit(exc.exit_code)
        except (typer.Abort, KeyboardInterrupt, EOFError):
            print_error("aborted")
            sys.exit(1)
        except OSError as exc:
            if exc.errno != errno.EPIPE:  # output piped into `head`, say: stop quietly
                raise
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *LAZY_GROUPS]

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True  # the listing needs only each group's one-line help
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in LAZY_GROUPS:
            return super().get_command(ctx, cmd_name)
        module, attr, short = LAZY_GROUPS[cmd_name]
        if self._listing:
            return TyperGroup(name=cmd_name, short_help=short)
        sub_app = getattr(importlib.import_module(module), attr)
        sub_app.rich_markup_mode = None  # the same plain help as the other commands
        sub_app._add_completion = False
        group = typer.main.get_command(sub_app)
        group.name = cmd_name
        return group


app = typer.Typer(
    name="siegeline",
    cls=LazyGroup,
    help="Model, forecast and plan the fuel supply of a city under armed interdiction.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: switches without a type, choices listed, fast
)


def _print_version(value: bool) -> None:
    if value:
        from siegeline import __version__

        typer.echo(f"siegeline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the version and exit."),
) -> None:
    # Piped or redirected, text is not wrapped at 80 columns (a terminal wraps it if needed).
    console.soft_wrap = not console.is_terminal
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def _command(name: str, func: Any) -> None:
    app.command(name)(func)


for _name, _func in (("run", run_commands.run), ("runs", run_commands.runs),
                     ("summary", run_commands.summary), ("plot", run_commands.plot),
                     ("scenarios", scenario_commands.scenarios), ("show", scenario_commands.show),
                     ("validate", scenario_commands.validate),
                     ("schema", scenario_commands.schema), ("serve", serve), ("report", report),
                     ("sensitivity", experiments.sensitivity), ("sweep", experiments.sweep),
                     ("rerun", rerun), ("record", record),
                     ("calibrate", calibrate.calibrate), ("backtest", calibrate.backtest),
                     ("forecast", calibrate.forecast)):
    _command(_name, _func)
app.add_typer(events_app, name="events")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
