"""The ``hotline`` command: one Typer app, each command family in its own module."""
from __future__ import annotations

import typer

from hotline.cli import common

app = typer.Typer(
    name="hotline",
    help="社区投诉热线 — community complaint hotline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_command_families() -> None:
    """Each module adds its commands to ``app``; imported here so the order is explicit."""
    from hotline.cli import families  # noqa: F401  (registers on import)


_register_command_families()


def main() -> None:
    common.run(app)
