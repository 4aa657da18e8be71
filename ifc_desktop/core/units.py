"""Names, symbols and SI factors of the units a project declares.

ifcopenshell's unit helpers put the prefix before the whole name ("millisquare
metre"), have no symbol for most units ("?" for degree, steradian, lumen) and
scale kilograms as 1000 (its base is the gram). Here the SI unit of mass is the
kilogram and every unit has a name an architect reads and a symbol or None.
"""

from __future__ import annotations

from typing import Any

from ifcopenshell import entity_instance

from .snapshot import UnitInfo
from .values import plain

PREFIXES: dict[str, tuple[str, float]] = {
    "EXA": ("E", 1e18),
    "PETA": ("P", 1e15),
    "TERA": ("T", 1e12),
    "GIGA": ("G", 1e9),
    "MEGA": ("M", 1e6),
    "KILO": ("k", 1e3),
    "HECTO": ("h", 1e2),
    "DECA": ("da", 1e1),
    "DECI": ("d", 1e-1),
    "CENTI": ("c", 1e-2),
    "MILLI": ("m", 1e-3),
    "MICRO": ("µ", 1e-6),
    "NANO": ("n", 1e-9),
    "PICO": ("p", 1e-12),
    "FEMTO": ("f", 1e-15),
    "ATTO": ("a", 1e-18),
}

SI_SYMBOLS = {
    "AMPERE": "A",
    "BECQUEREL": "Bq",
    "CANDELA": "cd",
    "COULOMB": "C",
    "CUBIC_METRE": "m³",
    "DEGREE_CELSIUS": "°C",
    "FARAD": "F",
    "GRAM": "g",
    "GRAY": "Gy",
    "HENRY": "H",
    "HERTZ": "Hz",
    "JOULE": "J",
    "KELVIN": "K",
    "LUMEN": "lm",
    "LUX": "lx",
    "METRE": "m",
    "MOLE": "mol",
    "NEWTON": "N",
    "OHM": "Ω",
    "PASCAL": "Pa",
    "RADIAN": "rad",
    "SECOND": "s",
    "SIEMENS": "S",
    "SIEVERT": "Sv",
    "SQUARE_METRE": "m²",
    "STERADIAN": "sr",
    "TESLA": "T",
    "VOLT": "V",
    "WATT": "W",
    "WEBER": "Wb",
}

# Symbols of the conversion-based units exporters write, by lower-case name.
CONVERSION_SYMBOLS = {
    "inch": "in",
    "foot": "ft",
    "us survey foot": "ft (US)",
    "yard": "yd",
    "mile": "mi",
    "square inch": "in²",
    "square foot": "ft²",
    "square yard": "yd²",
    "acre": "ac",
    "square mile": "mi²",
    "cubic inch": "in³",
    "cubic foot": "ft³",
    "cubic yard": "yd³",
    "litre": "L",
    "liter": "L",
    "fluid ounce uk": "fl oz",
    "fluid ounce us": "fl oz",
    "pint uk": "pt",
    "pint us": "pt",
    "gallon uk": "gal",
    "gallon us": "gal",
    "degree": "°",
    "ounce": "oz",
    "pound": "lb",
    "ton uk": "t",
    "ton us": "t",
    "lbf": "lbf",
    "kip": "kip",
    "psi": "psi",
    "ksi": "ksi",
    "minute": "min",
    "hour": "h",
    "day": "d",
    "btu": "BTU",
    "fahrenheit": "°F",
}

SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MAX_DEPTH = 8  # units built from units; real files nest two or three deep


def unit_info(unit: entity_instance) -> UnitInfo:
    """Type, name, symbol and SI factor of one unit of the project's unit assignment."""
    unit_class = unit.is_a()
    if unit_class == "IfcMonetaryUnit":
        currency = _text(plain(unit[0])) or "currency"
        return UnitInfo("MONETARYUNIT", currency, currency if currency != "currency" else None)
    unit_type = str(getattr(unit, "UnitType", "") or "")
    name, symbol, scale = _describe(unit, 0)
    if scale is not None:
        scale = float(f"{scale:.15g}")  # 1e-06, not 1.0000000000000002e-06
    if unit_class == "IfcDerivedUnit":
        name = _text(getattr(unit, "UserDefinedType", None)) or symbol or unit_type.lower()
    return UnitInfo(unit_type, name, symbol, scale)


def _describe(unit: Any, depth: int) -> tuple[str, str | None, float | None]:
    """(name, symbol, factor to SI) of an SI, conversion-based or derived unit."""
    if depth > MAX_DEPTH or not isinstance(unit, entity_instance):
        return "", None, None
    if unit.is_a("IfcSIUnit"):
        return _si_unit(unit)
    if unit.is_a("IfcConversionBasedUnit"):
        return _conversion_based_unit(unit, depth)
    if unit.is_a("IfcDerivedUnit"):
        return _derived_unit(unit, depth)
    return _text(getattr(unit, "Name", None)) or unit.is_a(), None, None


def _si_unit(unit: entity_instance) -> tuple[str, str | None, float]:
    base = str(unit.Name or "")
    prefix = str(unit.Prefix or "")
    prefix_symbol, factor = PREFIXES.get(prefix, ("", 1.0))
    words = base.lower().split("_")
    power = {"SQUARE_METRE": 2, "CUBIC_METRE": 3}.get(base, 1)
    if power > 1:  # MILLI SQUARE_METRE is a square millimetre: the prefix goes on the metre
        name = f"{words[0]} {prefix.lower()}{words[1]}"
        symbol = f"{prefix_symbol}{SI_SYMBOLS[base]}"
    else:
        name = prefix.lower() + " ".join(words)
        symbol = prefix_symbol + SI_SYMBOLS[base] if base in SI_SYMBOLS else None
    scale = factor**power
    if base == "GRAM":  # the SI unit of mass is the kilogram
        scale /= 1000.0
    return name, symbol, scale


def _conversion_based_unit(unit: entity_instance, depth: int) -> tuple[str, str | None, float | None]:
    name = _text(getattr(unit, "Name", None)) or "unit"
    if name.isupper():  # conversion-based units are often named in capitals ('INCH', 'SQUARE FOOT')
        name = name.lower()
    symbol = CONVERSION_SYMBOLS.get(name.lower())
    scale = None
    factor = getattr(unit, "ConversionFactor", None)
    if factor is not None:
        value = _number(plain(factor.ValueComponent))
        _, _, base_scale = _describe(factor.UnitComponent, depth + 1)
        if value is not None and base_scale is not None:
            scale = value * base_scale
    return name, symbol, scale


def _derived_unit(unit: entity_instance, depth: int) -> tuple[str, str | None, float | None]:
    # Exponents summed by symbol: Revit writes a linear force as kg·m·s⁻²·m⁻¹, which is kg/s².
    exponents: dict[str, int] = {}
    scale: float | None = 1.0
    for element in unit.Elements or ():
        exponent = int(element.Exponent or 0)
        _, symbol, element_scale = _describe(element.Unit, depth + 1)
        if scale is not None and element_scale is not None:
            scale *= element_scale**exponent
        else:
            scale = None
        if symbol is None:
            return "", None, scale
        exponents[symbol] = exponents.get(symbol, 0) + exponent
    above = [_power(symbol, e) for symbol, e in exponents.items() if e > 0]
    below = [_power(symbol, -e) for symbol, e in exponents.items() if e < 0]
    if not (above or below):
        return "", None, scale
    symbol = "·".join(above) or "1"
    if below:
        symbol += "/" + (f"({'·'.join(below)})" if len(below) > 1 else below[0])
    return symbol, symbol, scale


def _power(symbol: str, exponent: int) -> str:
    return symbol + (str(exponent).translate(SUPERSCRIPTS) if exponent != 1 else "")


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
