"""One vocabulary across every command: walks the whole command tree of the Typer app and
checks the rules in the README's table, so that a new option cannot break them unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer._click import Context
from typer.testing import CliRunner

from siegeline.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
# One meaning per short flag, wherever it appears.
SHORT_FLAGS = {"-n": "--replications", "-d": "--days", "-s": "--seed", "-o": "--output",
               "-N": "--samples", "-p": "--param", "-m": "--metric", "-b": "--budget",
               "-k": "--escorts"}
# Options that take one of a fixed set of values: listed in the help as [a|b].
CHOICE_OPTIONS = {"--engine", "--backend", "--method", "--period", "--by", "--and-or",
                  "--measure", "--objective", "--hazard-level", "--length", "--candidates",
                  "--success"}
# Positional by name wherever they appear.
POSITIONAL = {"scenario", "run_id", "source", "files", "keywords"}


def walk(command=None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, object]]:
    """(command path, click command) for every command of the app, groups descended."""
    command = command or typer.main.get_command(app)
    ctx = Context(command)
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if hasattr(sub, "list_commands"):
            yield from walk(sub, (*path, name))
        else:
            yield " ".join((*path, name)), sub


COMMANDS = dict(walk())


def options(command) -> list:
    return [p for p in command.params if p.param_type_name == "option"]


def test_the_walk_reaches_every_command() -> None:
    assert {"run", "runs", "summary", "plot", "sensitivity", "sweep", "record", "report",
            "events ingest", "events calibrate", "events backtest", "plan interdict",
            "plan shortest-path", "plan escorts", "plan route", "plan robust-route",
            "plan policy", "network import"} <= set(COMMANDS)


def test_every_option_and_argument_has_help() -> None:
    missing = [f"{name} {p.opts[0]}" for name, cmd in COMMANDS.items() for p in cmd.params
               if not (p.help or "").strip()]
    assert not missing, f"options without help: {missing}"


def test_a_name_has_one_short_flag_and_a_short_flag_one_name() -> None:
    shorts_of: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for name, cmd in COMMANDS.items():
        for p in options(cmd):
            long = p.opts[0] if p.opts[0].startswith("--") else next(
                o for o in p.opts if o.startswith("--"))
            shorts = tuple(sorted(o for o in p.opts if not o.startswith("--")))
            shorts_of[long].add(shorts)
            for short in shorts:
                assert SHORT_FLAGS.get(short) == long, f"{name}: {short} means {long}"
    clashes = {long: s for long, s in shorts_of.items() if len(s) > 1}
    assert not clashes, f"the same option with different short flags: {clashes}"
    for short, long in SHORT_FLAGS.items():  # where the long name is, its short flag is too
        assert shorts_of.get(long, {(short,)}) == {(short,)}, long


def test_scenarios_and_run_ids_are_positional_and_json_is_a_switch() -> None:
    for name, cmd in COMMANDS.items():
        for p in cmd.params:
            if p.name in POSITIONAL:
                assert p.param_type_name == "argument", f"{name}: {p.name} is an option"
            if "--json" in p.opts:
                assert p.is_flag, f"{name}: --json takes a value"
            if "--scenario" in p.opts:
                pytest.fail(f"{name}: the scenario is positional, not --scenario")


def test_choices_are_listed_and_switches_show_no_placeholder() -> None:
    runner = CliRunner()
    for name, cmd in COMMANDS.items():
        help_text = runner.invoke(app, [*name.split(), "--help"]).output
        assert "<bool>" not in help_text, name
        for p in options(cmd):
            if set(p.opts) & CHOICE_OPTIONS:  # shown as [a|b] (or <a|b> for an Enum)
                listed = re.escape(p.opts[0]) + r"[^\n]* [\[<][\w-]+(\|[\w-]+)+[\]>]"
                assert re.search(listed, help_text), f"{name} {p.opts[0]}"


def test_version_and_a_fast_help_without_heavy_imports() -> None:
    """`siegeline --help` imports neither SciPy, Matplotlib, pandas nor the planning code."""
    env = {"PYTHONPATH": str(ROOT / "src")}
    code = ("import sys, runpy; sys.argv = ['siegeline', '--help']\n"
            "try:\n    runpy.run_module('siegeline.cli.main', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in ('scipy', 'matplotlib', 'pandas', 'networkx', "
            "'siegeline.planning', 'siegeline.engines') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60)
    elapsed = time.perf_counter() - start
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
    assert "plan" in out.stdout and "events" in out.stdout
    assert elapsed < 5.0  # about 0.2 s; generous for a loaded machine
    plan = subprocess.run([sys.executable, "-c", code.replace("'--help'", "'plan', 'interdict', "
                                                              "'--help'")],
                          capture_output=True, text=True, env=env, timeout=60)
    assert "HEAVY []" in plan.stdout and "--network" in plan.stdout, plan.stdout + plan.stderr
    version = CliRunner().invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("siegeline ")


def test_usage_errors_are_one_line_with_the_choices_and_a_hint() -> None:
    res = CliRunner().invoke(app, ["events", "summary", "--period", "monht"])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 2 and len(lines) == 1, res.output
    assert "unknown period 'monht'" in lines[0] and "did you mean 'month'" in lines[0]
    assert "events summary --help" in lines[0]


def test_unknown_override_path_suggests_the_field(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["run", "-n", "2", "-d", "2", "--no-store",
                                   "--set", "escorts.pool_sise=3"])
    assert res.exit_code == 2
    assert "did you mean `pool_size`?" in res.output, res.output
    res = CliRunner().invoke(app, ["run", "-n", "2", "-d", "2", "--no-store", "--set",
                                   "corridors.abidjan-zegua.policy.escorts_per_convoy=3"])
    assert res.exit_code == 2 and "did you mean `abidjan-zegoua`?" in res.output, res.output


def test_mirrored_constants_match_their_modules() -> None:
    """The CLI keeps a few names without importing their (heavy) modules at start-up."""
    from siegeline.cli import events as cli_events
    from siegeline.cli import experiments as cli_experiments
    from siegeline.cli import plan as cli_plan
    from siegeline.cli import web as cli_web
    from siegeline.events import store
    from siegeline.experiments.sensitivity import METHODS
    from siegeline.planning.policy_search import OBJECTIVES
    from siegeline.web.security import TOKEN_ENV

    assert cli_events.STORE_ENV == store.STORE_ENV
    assert cli_experiments.METHODS == METHODS
    assert cli_web.TOKEN_ENV == TOKEN_ENV
    assert tuple(OBJECTIVES) == cli_plan.OBJECTIVES
