"""The `circlebot` command: run | demo | replay | check-config | db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.circle_config import ConfigError
from bot.logs import setup_logging
from bot.settings import ProcessSettings
from bot.storage.db import DatabaseUnavailable

EXIT_CONFIG = 2
EXIT_DATABASE = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="circlebot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve Slack/Discord, or the console when no tokens are set")
    run.add_argument("--config", help="circle.yaml (default: $CIRCLEBOT_CONFIG_FILE or defaults)")
    run.add_argument("--console", action="store_true", help="use the console even with tokens")

    demo = sub.add_parser("demo", help="a guided, scripted community on a simulated clock")
    demo.add_argument("--config", help="circle.yaml to run the demo with")
    demo.add_argument("--fast", action="store_true", help="no pauses between steps")

    replay = sub.add_parser("replay", help="dry-run the bot on a community's history (JSONL)")
    replay.add_argument("events", help="events file, replay schema v1 (JSONL)")
    replay.add_argument("--config", help="circle.yaml to replay with")
    replay.add_argument("--report", required=True, help="where to write the JSON report")
    replay.add_argument("--until", help="keep the clock running until this ISO time or duration")
    replay.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    replay.add_argument("--quiet", action="store_true", help="no progress bar")

    check = sub.add_parser("check-config", help="validate a circle.yaml; non-zero exit if bad")
    check.add_argument("file")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations (PostgreSQL or SQLite)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `circlebot` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = ProcessSettings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "CIRCLEBOT_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"error: {name}: {error['msg']}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(level=settings.log_level, fmt=settings.log_format)
    try:
        return asyncio.run(_dispatch(args, settings))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: ProcessSettings) -> int:
    from bot import runtime

    if args.command == "check-config":
        return _check_config(args.file, settings)
    if args.command == "db":
        database = await runtime.open_database(settings, migrate=True)
        await database.dispose()
        print(f"database {database.url.render_as_string(hide_password=True)} is up to date")
        return 0
    if args.command == "run":
        config = runtime.load_config(settings, args.config)
        if args.console or not (settings.slack_enabled or settings.discord_enabled):
            return await runtime.run_console(settings, config)
        return await runtime.run_platforms(settings, config)
    module = importlib.import_module(f"bot.{args.command}")
    result: int = await module.command(args, settings)
    return result


def _check_config(path: str, settings: ProcessSettings) -> int:
    from bot import runtime

    config = runtime.load_config(settings, path)
    rules = ", ".join(config.registry.names()) or "none"
    print(f"{path}: OK (rules: {rules})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
