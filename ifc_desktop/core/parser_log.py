"""What ifcopenshell says while it reads a file, and what that means for the import.

The parser works around damage instead of failing: an entity of a type the
schema does not define is dropped, a reference to a missing entity is left
out, a second definition of the same ``#id`` replaces the first, a value of
the wrong type is read as empty. It says so only in its log. Each file is
read with its own in-memory logger, and the messages are sorted here:

- damage that loses or confuses whole entities (dropped entities, broken
  references, an ``#id`` defined twice) becomes a warning of its own, naming
  what the version lacks: the model is kept as far as the reader could read it
  (refusing it would leave the user with nothing to look at), and the warning
  explains why a later comparison may list those parts as changed or deleted;
- damage confined to single values becomes one warning on the version: the
  model is complete, some attribute values were read as empty.
"""

from __future__ import annotations

import mmap
import re
from collections import Counter
from pathlib import Path

import ifcopenshell

from .opener import STEP_TEXT_OPEN
from .wording import count_of

_UNKNOWN_ENTITY_RE = re.compile(r"Entity with name '([^']*)' not found in schema '([^']*)'")
_MISSING_REFERENCE_RE = re.compile(r"Instance reference #(\d+) used by instance #(\d+)")
_DUPLICATE_ID_RE = re.compile(r"Overwriting instance with name #(\d+)")
_OFFSET_RE = re.compile(r"\s+at offset \d+")
# The extractor warns about shared GlobalIds itself, in its own words.
_NON_UNIQUE_GUID_RE = re.compile(r"non-unique GlobalId")
# Signs that the parser misread the file's structure (an entity not closed, a stray character):
# section keywords read as entity names, values that cannot be an aggregate's.
_ENTITY_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_BROKEN_AGGREGATE_RE = re.compile(r"Inconsistent aggregate valuation")
_ATTRIBUTE_COUNT_RE = re.compile(r"Expected \d+ attribute values, found \d+ for instance #(\d+)")
_STEP_KEYWORDS = frozenset({"ENDSEC", "DATA", "HEADER", "END-ISO-10303-21", "ISO-10303-21"})
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

    def broken_structure(self, path: Path) -> str | None:
        """What shows that the file's text is broken, so that the parser misread it; None when nothing does.

        Such a file is refused: what the parser made of it is not the model. The damage the
        parser reads past without misreading the rest is in ``damage_warnings``.
        """
        messages = self.messages()
        keywords = [
            match.group(1)
            for message in messages
            if (match := _UNKNOWN_ENTITY_RE.search(message))
            and (match.group(1) in _STEP_KEYWORDS or not _ENTITY_NAME_RE.fullmatch(match.group(1)))
        ]
        if keywords or any(_BROKEN_AGGREGATE_RE.search(message) for message in messages):
            near = next((match.group(1) for m in messages if (match := _ATTRIBUTE_COUNT_RE.search(m))), None)
            where = f" near entity #{near}" if near else ""
            return f"its text is broken{where} (an entity not closed, or a stray character), so it cannot be read"
        miscounted = [match.group(1) for message in messages if (match := _ATTRIBUTE_COUNT_RE.search(message))]
        if unclosed := _unclosed_text(path, miscounted[:_EXAMPLES]):
            entity, line = unclosed
            # The parser ends such a text at the next quote, wherever that is: the entity (or what
            # follows, up to the end of the file) would be read as something it is not.
            return f"a text in entity #{entity} on line {line} is not closed (a quote is missing), so it cannot be read"
        targets = []
        for message in messages:
            if (match := _MISSING_REFERENCE_RE.search(message)) and match.group(1) not in targets:
                targets.append(match.group(1))
        skipped = {match.group(1).upper() for m in messages if (match := _UNKNOWN_ENTITY_RE.search(m))}
        defined = _definitions(path, targets[:_EXAMPLES])
        for target in targets[:_EXAMPLES]:
            found = defined.get(target)
            if found is not None and found[1] not in skipped:  # a skipped type is told in damage_warnings
                return (
                    f"entity #{target} on line {found[0]} could not be read (its text is broken), "
                    "so the elements that refer to it would be incomplete"
                )
        return None

    def damage_warnings(self, schema: str) -> list[str]:
        """A warning for each kind of entity-level damage: entities the parser dropped, references
        to entities that are not in the file, ``#id`` numbers defined more than once."""
        unknown: Counter[str] = Counter()
        missing: list[tuple[str, str]] = []
        duplicates: Counter[str] = Counter()
        for message in self.messages():
            if match := _UNKNOWN_ENTITY_RE.search(message):
                unknown[match.group(1) or "(no name)"] += 1
            elif match := _MISSING_REFERENCE_RE.search(message):
                missing.append((match.group(2), match.group(1)))
            elif match := _DUPLICATE_ID_RE.search(message):
                duplicates[match.group(1)] += 1
        warnings = []
        if unknown:
            count = sum(unknown.values())
            types = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in unknown.most_common(_EXAMPLES))
            warnings.append(
                f"The file contains {count_of(count, 'entity', 'entities')} of a type the {schema} schema does not "
                f"define ({types}); the IFC reader skipped {'it' if count == 1 else 'them'}, so this version lacks "
                f"{'it' if count == 1 else 'them'}. The file was probably written for another IFC version."
            )
        if duplicates:
            ids = ", ".join(f"#{i}" for i in list(duplicates)[:_EXAMPLES])
            warnings.append(
                f"The file defines {count_of(len(duplicates), 'entity number')} more than once ({ids}), so what "
                "refers to them is ambiguous: this version may not be what the exporter meant."
            )
        if missing:
            examples = ", ".join(f"#{source} refers to #{target}" for source, target in missing[:_EXAMPLES])
            one = len(missing) == 1
            warnings.append(
                f"{count_of(len(missing), 'reference')} in the file "
                f"{'points to an entity that is' if one else 'point to entities that are'} not in it ({examples}); "
                "read as empty, so this version may lack some relations or values."
            )
        return warnings

    def value_warning(self) -> str | None:
        """One warning summing up the values the parser could not read (None when it read everything)."""
        problems = Counter(
            _plain(message)
            for message in self.messages()
            if not _NON_UNIQUE_GUID_RE.search(message) and not _is_entity_damage(message)
        )
        if not problems:
            return None
        total = sum(problems.values())
        shown = problems.most_common(_EXAMPLES)
        examples = "; ".join(f"{text[:160]}" + (f" ({count} times)" if count > 1 else "") for text, count in shown)
        said = "said" if len(shown) == len(problems) else "said, among others"
        return (
            f"{count_of(total, 'value')} in the file could not be read and {'was' if total == 1 else 'were'} "
            f"left empty (the IFC reader {said}: {examples})."
        )


def _definitions_of(entities: list[str], after: bytes = b"") -> re.Pattern[bytes]:
    """Where the file's text defines any of ``entities`` (STEP ids): ``#id =`` at the start of a
    line or after a ``;``, the id as group 1, then ``after``."""
    ids = b"|".join(entity.encode() for entity in entities)
    return re.compile(rb"(?:^|;)[ \t\r\n]*#(" + ids + rb")[ \t]*=" + after, re.MULTILINE)


def _definitions(path: Path, entities: list[str]) -> dict[str, tuple[int, str]]:
    """For each of ``entities`` (STEP ids) that the file's text defines: the line of its definition and
    the type it names (upper case). One pass over the file."""
    if not entities:
        return {}
    pattern = _definitions_of(entities, rb"[ \t]*([A-Za-z0-9_]*)")
    found: dict[str, tuple[int, str]] = {}
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            line, counted = 1, 0
            for match in pattern.finditer(data):
                line += data[counted : match.end()].count(b"\n")
                counted = match.end()
                found.setdefault(match.group(1).decode(), (line, match.group(2).decode("ascii").upper()))
    except (OSError, ValueError):
        pass
    return found


# From an entity's start to its end: texts (which may hold ; and line breaks), comments, anything
# else, the ; that ends it. A quote that opens no complete text runs to the end of the file.
_ENTITY_TOKEN_RE = re.compile(STEP_TEXT_OPEN + rb"'|/\*.*?\*/|[^';/]+|/|;|'", re.DOTALL)
# What a text that swallowed the entities after it holds: a line starting another entity.
_SWALLOWED_RE = re.compile(rb"[\r\n][ \t]*#\d+[ \t]*=")


def _unclosed_text(path: Path, entities: list[str]) -> tuple[str, int] | None:
    """The first of ``entities`` (STEP ids the parser found the wrong number of values in) holding a
    text that is not closed, with its line: a quote that runs to the end of the file, or a "text"
    that goes on over the start of the next entity (the quote closing it was missing)."""
    if not entities:
        return None
    pattern = _definitions_of(entities)
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for match in pattern.finditer(data):
                for token in _ENTITY_TOKEN_RE.finditer(data, match.end()):
                    text = token.group()
                    if text == b";":
                        break
                    if text == b"'" or (text.startswith(b"'") and _SWALLOWED_RE.search(text)):
                        return match.group(1).decode(), data[: match.start(1)].count(b"\n") + 1
    except (OSError, ValueError):
        pass
    return None


def _is_entity_damage(message: str) -> bool:
    """Told by ``damage_warnings``."""
    return any(pattern.search(message) for pattern in (_UNKNOWN_ENTITY_RE, _MISSING_REFERENCE_RE, _DUPLICATE_ID_RE))


def _plain(message: str) -> str:
    message = _OFFSET_RE.sub("", message).strip()
    for pattern, words in _PLAIN_WORDS:
        message = pattern.sub(words, message)
    return message


def log_of(ifc: ifcopenshell.file) -> ParserLog | None:
    return getattr(ifc, _ATTRIBUTE, None)
