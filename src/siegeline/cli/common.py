"""Shared CLI helpers: the console and the conversion of known errors into clean messages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from siegeline.scenario.loader import ScenarioError

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback."""


def friendly_errors(func: F) -> F:
    """Print scenario/user errors as one clear message and exit with status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ScenarioError, UserError, FileNotFoundError, PermissionError) as exc:
            # The message is plain text: brackets in it ("siegeline[gpu]") are not markup.
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True,
                              highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]
