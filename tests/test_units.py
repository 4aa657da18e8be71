"""Units of the project: names an architect reads, symbols, and factors to SI."""

from __future__ import annotations

import math

import ifcopenshell
import ifcopenshell.util.unit

from ifc_desktop.core.units import unit_info

from .conftest import sample, sample_files


def project_units(name: str) -> dict[str, tuple[str, str | None, float | None]]:
    model = ifcopenshell.open(str(sample(name)))
    units = model.by_type("IfcProject")[0].UnitsInContext.Units
    infos = [unit_info(unit) for unit in units]
    return {info.unit_type: (info.name, info.symbol, info.scale_to_si) for info in infos}


def test_prefixed_square_and_cubic_metres_are_square_and_cubic_millimetres():
    units = project_units("bad_ifc4_pset_property_wrong_datatype.ifc")
    assert units["AREAUNIT"] == ("square millimetre", "mm²", 1e-06)
    assert units["VOLUMEUNIT"] == ("cubic millimetre", "mm³", 1e-09)
    assert units["LENGTHUNIT"] == ("millimetre", "mm", 0.001)


def test_kilogram_is_the_si_unit_of_mass():
    units = project_units("ifc2x3_archicad24_composite_profile.ifc")
    assert units["MASSUNIT"] == ("kilogram", "kg", 1.0)
    assert units["MASSDENSITYUNIT"] == ("kg/m³", "kg/m³", 1.0)
    assert units["SPECIFICHEATCAPACITYUNIT"] == ("J/(kg·K)", "J/(kg·K)", 1.0)


def test_every_unit_of_an_archicad_export_has_a_real_symbol():
    units = project_units("ifc2x3_archicad24_composite_profile.ifc")
    assert units["PLANEANGLEUNIT"][:2] == ("degree", "°")
    assert units["THERMODYNAMICTEMPERATUREUNIT"][:2] == ("degree celsius", "°C")
    assert units["ENERGYUNIT"] == ("megajoule", "MJ", 1e6)
    assert units["THERMALCONDUCTANCEUNIT"][1] == "W/(m·K)"
    assert units["SOLIDANGLEUNIT"][1] == "sr"
    assert units["MONETARYUNIT"][:2] == ("EUR", "EUR")


def test_derived_units_cancel_what_revit_writes_twice():
    # Revit declares a linear force as kg·m·s⁻²·m⁻¹.
    units = project_units("ifc2x3_revit2021_simple_wall.ifc")
    assert units["LINEARFORCEUNIT"][1] == "kg/s²"
    assert units["MOMENTOFINERTIAUNIT"][1] == "m⁴"


def test_imperial_units_are_named_in_lower_case_with_their_symbols():
    units = project_units("ifc4x3add2_civil3d2023_alignment_classification.ifc")
    assert units["LENGTHUNIT"] == ("foot", "ft", 0.3048)
    assert units["AREAUNIT"][:2] == ("square foot", "ft²")


def test_geometry_angle_and_time_factors_agree_with_ifcopenshell_on_every_sample():
    compared = set()
    for path in sample_files():
        try:
            model = ifcopenshell.open(str(path))
        except Exception:
            continue  # zipped, XML or unreadable: the opener's tests cover those
        for project in model.by_type("IfcProject"):
            for unit in (project.UnitsInContext.Units if project.UnitsInContext else None) or ():
                info = unit_info(unit)
                if info.unit_type in ("LENGTHUNIT", "AREAUNIT", "VOLUMEUNIT", "PLANEANGLEUNIT", "TIMEUNIT"):
                    expected = ifcopenshell.util.unit.get_unit_scale(unit)
                    assert math.isclose(info.scale_to_si, expected, rel_tol=1e-12), (path.name, info)
                    assert info.symbol is None or "?" not in info.symbol, (path.name, info)
                    compared.add(path.name)
    assert len(compared) >= 15
