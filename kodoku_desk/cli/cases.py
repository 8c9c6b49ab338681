"""CLI commands for case and hand-off lists (registered by kodoku_desk.cli)."""

from __future__ import annotations


def register(sub) -> None:
    """Adds this domain's subcommands."""
