"""What ifcopenshell says while it reads a file, and what that means for the import.

The parser works around damage instead of failing: an entity of a type the
schema does not define is dropped, a reference to a missing entity is left
out, a second definition of the same ``#id`` replaces the first, a value of
the wrong type is read as empty. It says so only in its log. Each file is
read with its own in-memory logger, and the messages are sorted here:

- damage that loses or confuses whole entities (dropped entities, broken
  references, an ``#id`` defined twice) fails the import: the version would
  silently lack parts of the model, and the next comparison would report them
  as deleted;
- damage confined to single values becomes one warning on the version: the
  model is complete, some attribute values were read as empty.
"""

from __future__ import annotations

import re
from collections import Counter

import ifcopenshell

from .errors import BadInput

_UNKNOWN_ENTITY_RE = re.compile(r"Entity with name '([^']*)' not found in schema '([^']*)'")
_MISSING_REFERENCE_RE = re.compile(r"Instance reference #(\d+) used by instance #(\d+)")
_DUPLICATE_ID_RE = re.compile(r"Overwriting instance with name #(\d+)")
_OFFSET_RE = re.compile(r"\s+at offset \d+")
# The extractor warns about shared GlobalIds itself, in its own words.
_NON_UNIQUE_GUID_RE = re.compile(r"non-unique GlobalId")
# Parser messages that read as C++ internals, in plain words.
_PLAIN_WORDS = [
    (re.compile(r"Aggregates of \S+ are not supported.*"), "a list nested deeper than the IFC reader supports"),
    (re.compile(r"Expected (\d+) attribute values, found (\d+) for instance (#\d+)"), r"\3 has \2 attributes, not \1"),
    (
        re.compile(r"Requested type <(\w+)> does not match actual type <(\w+)>.*"),
        r"a value of type \2 where \1 was expected",
    ),
]
_ATTRIBUTE = "_ifc_desktop_parser_log"
_EXAMPLES = 3


class ParserLog:
    """An in-memory ifcopenshell logger for one file. Keep it alive as long as the file."""

    def __init__(self) -> None:
        wrapper = ifcopenshell.ifcopenshell_wrapper
        self.logger = wrapper.logger()
        self.logger.output_format(wrapper.logger.FMT_INMEMORY)
        self.logger.verbosity(wrapper.logger.LOG_WARNING)

    def messages(self) -> list[str]:
        return [message.message for message in self.logger]

    def text(self) -> str:
        return "\n".join(self.messages())

    def attach(self, ifc: ifcopenshell.file) -> None:
        """Tie the logger's lifetime to the file that writes to it."""
        setattr(ifc, _ATTRIBUTE, self)

    def check_entities(self, name: str, schema: str) -> None:
        """``BadInput`` when the parser dropped entities or references, or saw an ``#id`` twice."""
        messages = self.messages()
        unknown: Counter[str] = Counter()
        missing: list[tuple[str, str]] = []
        duplicates: Counter[str] = Counter()
        for message in messages:
            if match := _UNKNOWN_ENTITY_RE.search(message):
                unknown[match.group(1) or "(no name)"] += 1
            elif match := _MISSING_REFERENCE_RE.search(message):
                missing.append((match.group(2), match.group(1)))
            elif match := _DUPLICATE_ID_RE.search(message):
                duplicates[match.group(1)] += 1
        details = "\n".join(messages)
        if unknown:
            count = sum(unknown.values())
            types = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in unknown.most_common(_EXAMPLES))
            raise BadInput(
                f"{name!r} contains {count} entit{'y' if count == 1 else 'ies'} of a type the {schema} schema "
                f"does not define ({types}). The IFC reader would drop {'it' if count == 1 else 'them'}, so the "
                "version would be incomplete; the file was probably written for another IFC version.",
                details,
            )
        if duplicates:
            ids = ", ".join(f"#{i}" for i in list(duplicates)[:_EXAMPLES])
            raise BadInput(
                f"{name!r} is damaged: {len(duplicates)} entity number(s) are defined more than once ({ids}), "
                "so it cannot be known which definition is meant.",
                details,
            )
        if missing:
            examples = ", ".join(f"#{source} refers to #{target}" for source, target in missing[:_EXAMPLES])
            raise BadInput(
                f"{name!r} is damaged: {len(missing)} reference(s) point to entities that are not in the file "
                f"({examples}). The version would be incomplete.",
                details,
            )

    def value_warning(self) -> str | None:
        """One warning summing up the values the parser could not read (None when it read everything)."""
        problems = Counter(_plain(message) for message in self.messages() if not _NON_UNIQUE_GUID_RE.search(message))
        if not problems:
            return None
        total = sum(problems.values())
        examples = "; ".join(text[:160] for text, _ in problems.most_common(_EXAMPLES))
        return f"{total} value(s) in the file could not be read and were left empty (the IFC reader said: {examples})."


def _plain(message: str) -> str:
    message = _OFFSET_RE.sub("", message).strip()
    for pattern, words in _PLAIN_WORDS:
        message = pattern.sub(words, message)
    return message


def log_of(ifc: ifcopenshell.file) -> ParserLog | None:
    return getattr(ifc, _ATTRIBUTE, None)
