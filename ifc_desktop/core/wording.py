"""Counts in words, for messages the command line and the window share."""

from __future__ import annotations


def count_of(value: int, noun: str, plural: str | None = None) -> str:
    """ "1 element", "2,300 elements"."""
    return f"{value:,} {noun if value == 1 else plural or noun + 's'}"
