"""Shared CLI helpers: the console, the shared options (one name, short flag and meaning for each
across the commands), tables that never cut ids, and clean one-line errors.

Imported when the CLI starts, so it imports nothing heavy (no NumPy, pandas or the schema).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SCENARIO = "bamako-2025"
STORE_HELP = "Results store (default ./siegeline-runs/siegeline.duckdb or $SIEGELINE_STORE)."


class Choice:
    """The parser of an option with a fixed set of values; ``metavar`` lists them in the help as
    [a|b], and a wrong value is one line naming the kind of thing, the choices and the closest."""

    def __init__(self, kind: str, choices: Iterable[str]) -> None:
        self.kind, self.choices = kind, tuple(choices)
        self.__name__ = kind  # Typer names the parser in its messages
        self.metavar = "[" + "|".join(self.choices) + "]"

    def __call__(self, value: str) -> str:
        if value in self.choices:
            return value
        close = difflib.get_close_matches(value, self.choices, n=1, cutoff=0.7)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise typer.BadParameter(f"unknown {self.kind} {value!r} (choose "
                                 f"{', '.join(self.choices)}){hint}")


def choice_option(default: str | None, *decls: str, kind: str, choices: Iterable[str],
                  help: str) -> Any:
    """An option taking one of ``choices``, listed as such in the help."""
    parser = Choice(kind, choices)
    return typer.Option(default, *decls, parser=parser, metavar=parser.metavar, help=help)


ENGINES = ("vectorized", "reference")
BACKENDS = ("numpy", "jax")


def existing_scenario(value: str) -> str:
    """A packaged scenario name or an existing file; otherwise a usage error naming the
    closest packaged name."""
    from siegeline.scenario.loader import packaged_scenarios

    names = packaged_scenarios()
    if value in names or Path(value).is_file():
        return value
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise typer.BadParameter(f"no scenario file {value!r} and no packaged scenario of that name "
                             f"(packaged: {', '.join(names)}){hint}")


def scenario_argument(help: str = "Packaged scenario name or YAML/JSON file.") -> Any:
    return typer.Argument(DEFAULT_SCENARIO, metavar="SCENARIO", parser=existing_scenario,
                          help=help)


def run_id_argument() -> Any:
    return typer.Argument("latest", metavar="RUN_ID",
                          help="Run id (or unique prefix, or 'latest').")


def replications_option(default: int | None = None,
                        help: str = "Replications (default: the scenario's).") -> Any:
    # --reps: the name used before the vocabulary was unified, kept as an alias.
    return typer.Option(default, "--replications", "-n", "--reps", min=1, max=1_000_000,
                        help=help)


def days_option(help: str = "Horizon in days (default: the scenario's).") -> Any:
    return typer.Option(None, "--days", "-d", min=1, max=3650, help=help)


def seed_option(default: int | None = None, help: str = "Root random seed.") -> Any:
    return typer.Option(default, "--seed", "-s", min=0, help=help)


def output_option(default: Path | None, help: str) -> Any:
    return typer.Option(default, "--output", "-o", help=help)


def store_option() -> Any:
    return typer.Option(None, "--store", help=STORE_HELP)


def set_option(help: str = "Override a field: path=value (e.g. --set escorts.pool_size=30). "
                           "Repeatable.") -> Any:
    return typer.Option([], "--set", help=help)


def backend_option() -> Any:
    return choice_option("numpy", "--backend", kind="backend", choices=BACKENDS,
                         help="Array backend of the vectorized engine: numpy, or jax (GPU when "
                         "one is visible).")


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback."""


def print_error(message: str) -> None:
    """``error: message`` on stderr, left for the terminal to wrap (never cut mid-sentence)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False,
                      soft_wrap=True)


def friendly_errors(func: F) -> F:
    """Print scenario/user errors as one clear message and exit with status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from siegeline.scenario.loader import ScenarioError  # the schema: only when running

        try:
            return func(*args, **kwargs)
        except (ScenarioError, UserError, FileNotFoundError, PermissionError) as exc:
            print_error(str(exc))
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def run_not_found(exc: Exception, store: Path | None) -> UserError:
    """A missing run id as a user error that names the closest stored ids."""
    from siegeline.results import ResultStore

    asked = str(exc.args[0]) if exc.args else ""
    try:
        ids = [str(i) for i in ResultStore(store).list_runs()["run_id"]]
    except Exception:  # an empty or unreadable store: no suggestion, the message stands
        ids = []
    close = difflib.get_close_matches(asked, ids, n=2, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else (
        "; `siegeline runs` lists the stored runs" if ids else "")
    return UserError(f"{exc}{hint}")


def keep_whole(table: Table, columns: Iterable[str]) -> Table:
    """Never wrap or cut the values of these columns (ids and names a user copies): they get
    the width of their longest value and the other columns give way."""
    wanted = set(columns)
    for col in table.columns:
        if str(col.header) in wanted:
            longest = max((len(str(c)) for c in col.cells), default=0)
            col.no_wrap, col.overflow = True, "fold"
            col.min_width = max(longest, len(str(col.header)))
    return table


UNBOUNDED_WIDTH = 100_000  # a table not set to expand is drawn at its natural width


def print_table(table: Table, whole: Iterable[str] = ()) -> None:
    """Print a table; piped or redirected, at its natural width (nothing cut at 80 columns)."""
    keep_whole(table, whole)
    if console.is_terminal:
        console.print(table)
        return
    width = console.width
    console.width = max(width, UNBOUNDED_WIDTH)
    try:
        console.print(table)
    finally:
        console.width = width
