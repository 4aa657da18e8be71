"""Fuzzing open-and-extract with mutated real samples, in a spawned worker.

Every mutated file must end as a success, a classified bad-input failure that
names the file, or - the parser is C++ - a crash contained in the worker. An
unclassified exception, a hang or a leftover temporary file fails the test.

Bounded for CI (about a minute); set IFC_DESKTOP_FUZZ_EXAMPLES for a longer run,
e.g. ``IFC_DESKTOP_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz_open_extract.py``.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import TimeoutError as FutureTimeout

import pebble
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import hostile_corpus as hc

EXAMPLES = int(os.environ.get("IFC_DESKTOP_FUZZ_EXAMPLES", "1500"))
EXAMPLE_TIMEOUT = 60.0
BASES = [
    "ifc2x3_revit2021_simple_wall.ifc",
    "ifc2x3_allplan2016_double_backslash_name.ifc",
    "ifc4_revit2027_rac_basic_fragment.ifc",
    "ifc2x3_archicad24_composite_profile.ifc",
    "ifc4_bonsai_tutorial_walls_openings.ifc",
]
# Tokens a damaged or hostile file may hold where another token was.
HOSTILE_TOKENS = [
    b"#0",
    b"#1",
    b"#2147483647",
    b"#2147483648",
    b"#99999999999",
    b"#-5",
    b"#",
    b"$",
    b"*",
    b"()",
    b"((((((((",
    b"))",
    b"''",
    b"'",
    b"'\\X2\\0041",
    b"\\X2\\",
    b"\\S\\",
    b"IFCWALL",
    b"IFCNOTATHING",
    b".T.",
    b".NOTENUM.",
    b".",
    b"1.#INF",
    b"-1.#IND",
    b"1E999",
    b"-0.",
    b"1.5E",
    b"=",
    b";",
    b",",
    b"\x00",
    b"\xff\xfe",
    b"/*",
    b"IFCPROJECT('x',$)",
    b"IFCLABEL('x')",
    b"#5",
    b"#30",
    b"ENDSEC;",
    b"END-ISO-10303-21;",
    b"DATA;",
    b"HEADER;",
]
_TOKEN_RE = re.compile(rb"#\d+|'[^']*'|[A-Z][A-Z0-9_]*|-?\d+\.?\d*(?:E-?\d+)?|\.[A-Z_]+\.|[(),;=$*]")

positions = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
# Most mutations land in the DATA section, where the parser (not the opener's checks) meets them.
scopes = st.sampled_from(["data", "data", "data", "whole file"])
mutations = st.one_of(
    st.tuples(st.just("flip"), scopes, positions, st.integers(1, 255)),
    st.tuples(st.just("truncate"), scopes, positions),
    st.tuples(st.just("duplicate line"), scopes, positions),
    st.tuples(st.just("remove line"), scopes, positions),
    st.tuples(st.just("swap lines"), scopes, positions, positions),
    st.tuples(st.just("token"), scopes, positions, st.sampled_from(HOSTILE_TOKENS) | st.binary(max_size=8)),
    st.tuples(st.just("insert"), scopes, positions, st.binary(min_size=1, max_size=16)),
)


def mutate(data: bytes, mutation: tuple) -> bytes:
    """Apply one mutation; positions are fractions of the DATA section or of the whole file."""
    kind, scope, *args = mutation
    start, end = data.find(b"DATA;"), data.rfind(b"ENDSEC;")
    if scope == "whole file" or start < 0 or end <= start:
        return _mutate(data, kind, *args)
    start += len(b"DATA;")
    return data[:start] + _mutate(data[start:end], kind, *args) + data[end:]


def _mutate(data: bytes, kind: str, where: float, *args) -> bytes:
    mutation = (kind, where, *args)
    at = int(where * len(data)) if data else 0
    if kind == "flip" and data:
        return data[:at] + bytes([data[at] ^ mutation[2]]) + data[at + 1 :]
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + mutation[2] + data[at:]
    lines = data.split(b"\n")
    index = int(where * len(lines))
    if kind == "duplicate line":
        return b"\n".join([*lines[: index + 1], lines[index], *lines[index + 1 :]])
    if kind == "remove line":
        return b"\n".join(lines[:index] + lines[index + 1 :])
    if kind == "swap lines":
        other = int(mutation[2] * len(lines))
        lines[index], lines[other] = lines[other], lines[index]
        return b"\n".join(lines)
    if kind == "token":
        tokens = list(_TOKEN_RE.finditer(data))
        if not tokens:
            return data
        token = tokens[int(where * len(tokens))]
        return data[: token.start()] + mutation[2] + data[token.end() :]
    return data


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    with hc.probe_pool(tmp_path_factory.mktemp("fuzz system temp"), workers=1) as pool:
        yield pool


@pytest.fixture(scope="module")
def bases() -> dict[str, bytes]:
    return {name: hc.sample_bytes(name) for name in BASES}


@pytest.mark.timeout(max(300, int(EXAMPLES * 0.25)))  # long runs by hand must not hit the suite's 300 s
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(base=st.sampled_from(BASES), changes=st.lists(mutations, min_size=1, max_size=4))
def test_mutated_samples_end_classified_or_contained(worker, bases, base, changes):
    data = bases[base]
    for change in changes:
        data = mutate(data, change)
    name = "fuzzed ü.ifc"
    future = worker.schedule(hc.fuzz_probe, args=(data, name), timeout=EXAMPLE_TIMEOUT)
    try:
        result = future.result()
    except pebble.ProcessExpired as exc:
        assert exc.exitcode != 0  # a crash of the worker, contained: the pool replaces it
        return
    except FutureTimeout:
        pytest.fail(f"open+extract hung for {EXAMPLE_TIMEOUT:.0f} s on {changes!r} of {base}")
    assert result["outcome"] in (hc.SUCCESS, hc.FAILURE), result
    assert result["leftovers"] == []
    if result["outcome"] == hc.FAILURE:
        assert result["permanent"], result
        assert result["error"] in ("BadInput", "UnsupportedFormat"), result
        assert name in result["message"], result
