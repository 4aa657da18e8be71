"""Open an IFC file and extract a plain-data snapshot of it, in stages.

Speed comes from walking each relationship class once and parsing each
property set once (they are shared between elements), instead of calling the
per-element helpers of ``ifcopenshell.util.element`` in a loop. Attributes are
read by position where the position is the same for every class.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.util.unit

from . import placement
from .errors import BadInput, UnsupportedFormat, describe_exception
from .gcpause import gc_paused
from .graphs import loops
from .opener import PreparedFile
from .parser_log import ParserLog, log_of
from .progress import StageReporter
from .properties import PropertyReader
from .snapshot import (
    SOURCE_OCCURRENCE,
    SOURCE_TYPE,
    Classification,
    Element,
    HeaderInfo,
    ProjectInfo,
    PropertySet,
    Snapshot,
    UnitInfo,
)
from .units import unit_info
from .values import element_hash, plain, properties_digest
from .wording import count_of

STAGE_OPEN = "Opening file"
STAGE_PROJECT = "Reading project"
STAGE_ELEMENTS = "Extracting elements"
STAGE_PROPERTIES = "Extracting properties"
STAGE_PLACEMENTS = "Computing placements"

# IfcRoot: GlobalId, OwnerHistory, Name, Description; IfcObject: ObjectType.
_GLOBAL_ID, _NAME, _DESCRIPTION, _OBJECT_TYPE = 0, 2, 3, 4
_PLACEMENT = 5
# Relationship classes read here keep the related objects at 4 and the relating
# side at 5 (IfcRelAggregates and IfcRelNests are the other way round).
_RELATED, _RELATING = 4, 5

_STOREY = "IfcBuildingStorey"


def open_ifc(prepared: PreparedFile) -> ifcopenshell.file:
    """``ifcopenshell.open`` with its errors, and the damage it works around, turned into messages for a person."""
    name = prepared.original.name
    log = ParserLog()
    try:
        # format=".ifc": the opener has checked the bytes are STEP, whatever the file's extension says.
        ifc = ifcopenshell.open(str(prepared.readable_path), format=".ifc", logger=log.logger)
    except ifcopenshell.SchemaError as exc:
        raise UnsupportedFormat(f"{name!r} uses a schema that is not supported: {exc}.") from None
    except NotImplementedError as exc:
        raise UnsupportedFormat(f"{name!r} cannot be read: {exc}") from None
    except ifcopenshell.Error as exc:
        raise BadInput(_syntax_message(name, str(exc), prepared.readable_path, log.text()), log.text()) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"{name!r} could not be read: {exc}.", log.text()) from None
    log.attach(ifc)
    if broken := log.broken_structure(prepared.readable_path):
        raise BadInput(f"{name!r} is damaged: {broken}.", log.text())
    if ifc.get_max_id() == 0:
        if _data_section_has_text(prepared.readable_path):
            raise BadInput(f"{name!r} is damaged: its DATA section holds no entity the IFC reader could read.")
        raise BadInput(f"{name!r} contains no data: its DATA section is missing or empty.")
    return ifc


_DATA_SECTION_RE = re.compile(rb"\bDATA\s*;(.*?)ENDSEC\s*;", re.DOTALL)


def _data_section_has_text(path: Path) -> bool:
    """Whether the file's DATA section holds anything but spaces and comments (read only for files with no entity)."""
    match = _DATA_SECTION_RE.search(path.read_bytes())
    return match is not None and re.sub(rb"/\*.*?\*/|\s", b"", match.group(1), flags=re.DOTALL) != b""


_OFFSET_RE = re.compile(r"(?:token (.{0,80}?)|Unexpected '(.{0,80}?)') at offset (\d+)")


# The reader keeps entity numbers in 32-bit signed integers.
_MAX_ENTITY_ID = 2**31 - 1


def _syntax_message(name: str, error: str, path: Path, log: str) -> str:
    if "header" in error.lower():
        return f"{name!r} is not a valid IFC file: its header (FILE_DESCRIPTION, FILE_NAME, FILE_SCHEMA) is damaged."
    match = _OFFSET_RE.search(log)
    if not match:
        said = log.strip().splitlines()[0][:160] if log.strip() else error
        return f"{name!r} is damaged: the IFC reader reported a syntax error ({said})."
    token, offset = _printable((match.group(1) or match.group(2) or "").strip()), int(match.group(3))
    line, column = _line_and_column(path, offset)
    if token.isdigit() and int(token) > _MAX_ENTITY_ID:
        return (
            f"{name!r} uses the entity number #{token} (line {line}), larger than the largest the IFC reader "
            f"supports (#{_MAX_ENTITY_ID}); the file was probably damaged or written by a faulty exporter."
        )
    return f"{name!r} is damaged: syntax error at line {line}, column {column} (unexpected {token!r})."


def _printable(token: str) -> str:
    """The parser hands undecodable bytes over as surrogates; show those as byte values."""
    if token.isprintable():
        return token
    raw = token.encode("utf-8", "surrogateescape")
    return " ".join(f"byte 0x{b:02X}" if b < 0x20 or b > 0x7E else chr(b) for b in raw)


def _line_and_column(path: Path, offset: int) -> tuple[int, int]:
    line, last_newline, position = 1, -1, 0
    with open(path, "rb") as handle:
        while position < offset:
            chunk = handle.read(min(1024 * 1024, offset - position))
            if not chunk:
                break
            line += chunk.count(b"\n")
            index = chunk.rfind(b"\n")
            if index >= 0:
                last_newline = position + index
            position += len(chunk)
    return line, offset - last_newline


def extract(
    prepared: PreparedFile,
    reporter: StageReporter,
    *,
    source_name: str | None = None,
    retain: Callable[[ifcopenshell.file], None] | None = None,
    identified: Callable[[str | None], None] | None = None,
) -> Snapshot:
    """Open ``prepared`` and extract everything a version keeps.

    ``retain`` receives the opened file, so the caller chooses when it is destroyed:
    that takes a while for a large file (about 0.45 s at 100 MB, holding the GIL).
    ``identified`` receives the IfcProject GlobalId (None without one) as soon as it is read.
    """
    reporter.start(STAGE_OPEN)
    ifc = open_ifc(prepared)
    if retain is not None:
        retain(ifc)
    try:
        with gc_paused():
            return Extraction(ifc, prepared, reporter, source_name or prepared.original.name, identified).run()
    except (AttributeError, TypeError, IndexError, RuntimeError) as exc:
        wrong = _wrong_kind_of_value(exc)
        if wrong is None:
            raise
        raise BadInput(
            f"{prepared.original.name!r} is damaged: {wrong}, which the IFC schema does not allow there; "
            "the model cannot be read.",
            describe_exception(exc),
        ) from None


# What the errors of reading a value of the wrong kind look like, and what they mean.
# ifcopenshell hands over whatever the file holds; the extractor reads the schema's
# kind of value. A None ($) is valid data, so failing on it is not matched here.
_KINDS = {"bool": "a true/false value", "int": "a number", "float": "a number", "str": "a text", "tuple": "a list"}
_WRONG_KIND = [
    (re.compile(r"^'(bool|int|float|str|tuple)' object has no attribute"), "{} where a reference to an entity belongs"),
    (re.compile(r"^'(bool|int|float|str)' object is not iterable"), "{} where a list belongs"),
    (re.compile(r"^Attribute index \d+ out of range for instance of type (\w+)"), "an {} where an entity belongs"),
    (re.compile(r"^entity instance of type '(?:\w+\.)?(\w+)' has no attribute"), "an {} where another entity belongs"),
    (re.compile(r"^Instance #0 not found|^'type_declaration' object has no"), "a typed value where an entity belongs"),
    (re.compile(r"^An unknown error occurred$"), "a value the IFC reader cannot read where an entity belongs"),
]


def _wrong_kind_of_value(exc: BaseException) -> str | None:
    """A plain description when ``exc`` comes from a value of the wrong kind in the file; None otherwise."""
    text = str(exc)
    for pattern, meaning in _WRONG_KIND:
        if match := pattern.search(text):
            found = match.group(1) if match.groups() else ""
            return "an attribute holds " + meaning.format(_KINDS.get(found, found))
    return None


class Extraction:
    """One pass over an open file. Short-lived: build, ``run()``, discard."""

    def __init__(
        self,
        ifc: ifcopenshell.file,
        prepared: PreparedFile,
        reporter: StageReporter,
        source_name: str,
        identified: Callable[[str | None], None] | None = None,
    ):
        self.ifc = ifc
        self.identified = identified
        self.prepared = prepared
        self.reporter = reporter
        self.source_name = source_name
        self.warnings: list[str] = list(prepared.warnings)
        self.schema = ifc.schema_identifier
        self.is_ifc2x3 = ifc.schema == "IFC2X3"
        self._attribute_index: dict[str, tuple[int | None, ...]] = {}
        self._pset_cache: dict[tuple[int, str], tuple[PropertySet, str] | None] = {}
        self._reader = PropertyReader()
        self._material_cache: dict[int, list[str]] = {}
        self._classification_cache: dict[int, Classification] = {}
        self._empty_relations = 0
        self._storey_memo: dict[int, int | None] = {}
        self._type_infos: dict[int, tuple[str | None, str, str | None]] = {}

    # -- stages --------------------------------------------------------------------

    def run(self) -> Snapshot:
        self.reporter.start(STAGE_PROJECT)
        header = self._header()
        project = self._project()
        if self.identified is not None:
            self.identified(project.global_id)
        self.products = self.ifc.by_type("IfcProduct")
        self._walk_relationships()
        if not self.products:
            self.warnings.append("The file contains no building elements: no walls, slabs, doors or other products.")

        self.reporter.start(STAGE_ELEMENTS)
        elements = self._elements()

        self.reporter.start(STAGE_PROPERTIES)
        self._properties(elements)

        self.reporter.start(STAGE_PLACEMENTS)
        self._placements(elements, project.length_scale)

        self._warn_duplicates(elements)
        self._warn_loops()
        if self._empty_relations:
            self.warnings.append(
                f"{count_of(self._empty_relations, 'relationship')} in the file "
                f"{'points' if self._empty_relations == 1 else 'point'} to nothing; ignored."
            )
        log = log_of(self.ifc)
        if log is not None:
            self.warnings[:0] = log.damage_warnings(self.schema)  # the most important come first
            if unread := log.value_warning():
                self.warnings.append(unread)
        return Snapshot(header, project, elements, self.warnings, self.source_name)

    def _header(self) -> HeaderInfo:
        header = HeaderInfo(schema_declared=self.prepared.schema_declared, schema_read=self.schema)
        try:
            file_name = self.ifc.header.file_name
            header.file_name = _text(file_name.name)
            header.timestamp = _text(file_name.time_stamp)
            header.author = _join(file_name.author)
            header.organization = _join(file_name.organization)
            originating, preprocessor = (
                _text(file_name.originating_system),
                _text(file_name.preprocessor_version),
            )
            header.description = _join(self.ifc.header.file_description.description)
        except Exception:  # a header ifcopenshell accepted but cannot fully decode
            originating = preprocessor = None
        application = self._application()
        if application:
            header.application, header.application_source = application, "IfcApplication"
        elif originating:
            header.application, header.application_source = originating, "originating_system"
        elif preprocessor:
            header.application, header.application_source = preprocessor, "preprocessor_version"
        return header

    def _application(self) -> str | None:
        for app in self.ifc.by_type("IfcApplication"):
            name = _text(app.ApplicationFullName) or _text(app.ApplicationIdentifier)
            version = _text(app.Version)
            if name:
                return f"{name} {version}" if version and version not in name else name
        return None

    def _project(self) -> ProjectInfo:
        projects = self.ifc.by_type("IfcProject")
        if not projects:
            self.warnings.append("The file has no IfcProject; the model is identified by its file name.")
            return ProjectInfo(global_id=None, name=None)
        if len(projects) > 1:
            self.warnings.append(f"The file has {len(projects)} IfcProject entities; the first one is used.")
        project = projects[0]
        info = ProjectInfo(
            global_id=_text(project[_GLOBAL_ID]),
            name=_text(project[_NAME]),
            description=_text(project[_DESCRIPTION]),
            long_name=_text(getattr(project, "LongName", None)),
            phase=_text(getattr(project, "Phase", None)),
        )
        info.units = self._units(project)
        try:
            info.length_scale = float(ifcopenshell.util.unit.calculate_unit_scale(self.ifc))
        except Exception:
            info.length_scale = 1.0
        length = next((u for u in info.units if u.unit_type == "LENGTHUNIT"), None)
        if length is None:
            self.warnings.append("The project declares no length unit; metres are assumed.")
        else:
            info.length_unit = length.name
        return info

    def _units(self, project: ifcopenshell.entity_instance) -> list[UnitInfo]:
        assignment = getattr(project, "UnitsInContext", None)
        units = []
        for unit in (assignment.Units if assignment else None) or ():
            try:
                units.append(unit_info(unit))
            except Exception:
                continue
        return units

    def _walk_relationships(self) -> None:
        """One pass over each relationship class, into maps keyed by STEP id."""
        self.parent_of: dict[int, int] = {}
        self.container_of: dict[int, int] = {}
        self.type_of: dict[int, ifcopenshell.entity_instance] = {}
        self.materials_of: dict[int, ifcopenshell.entity_instance] = {}
        self.classifications_of: dict[int, list[ifcopenshell.entity_instance]] = {}
        # Openings are not contained in a storey: they void an element that is, and doors and
        # windows fill openings. Only the storey is taken from the host, not the container.
        self.host_of: dict[int, int] = {}

        # IfcRelAggregates and IfcRelNests keep the whole at 4 and the parts at 5.
        for rel_class in ("IfcRelAggregates", "IfcRelNests"):
            for whole, parts in self._relationships(rel_class, 4, 5):
                for part in parts:
                    self.parent_of.setdefault(part.id(), whole.id())
        for structure, elements in self._relationships("IfcRelContainedInSpatialStructure"):
            for element in elements:
                self.container_of.setdefault(element.id(), structure.id())
        # IfcRelVoidsElement keeps the voided element at 4 and the opening at 5; IfcRelFillsElement
        # keeps the opening at 4 and the door or window at 5. Both relate single objects.
        for rel_class in ("IfcRelVoidsElement", "IfcRelFillsElement"):
            for host, hosted in self._relationships(rel_class, 4, 5):
                self.host_of.setdefault(hosted.id(), host.id())
        for element_type, related in self._relationships("IfcRelDefinesByType"):
            for element in related:
                self.type_of.setdefault(element.id(), element_type)
        for material, related in self._relationships("IfcRelAssociatesMaterial"):
            for element in related:
                self.materials_of.setdefault(element.id(), material)
        for classification, related in self._relationships("IfcRelAssociatesClassification"):
            for element in related:
                self.classifications_of.setdefault(element.id(), []).append(classification)

    def _relationships(
        self, rel_class: str, relating_index: int = _RELATING, related_index: int = _RELATED
    ) -> Iterator[tuple[ifcopenshell.entity_instance, Any]]:
        """(relating, related objects) of each relationship of a class; empty ones are counted, not yielded."""
        for rel in _by_type(self.ifc, rel_class):
            relating, related = rel.get_argument(relating_index), rel.get_argument(related_index)
            if relating is None or not related:
                self._empty_relations += 1
                continue
            yield relating, related

    def _elements(self) -> list[Element]:
        products = self.products
        total = max(len(products), 1)
        gid_of = {p.id(): p.get_argument(_GLOBAL_ID) for p in products}
        elements: list[Element] = []
        for index, product in enumerate(products):
            step_id = product.id()
            ifc_class = product.is_a()
            predefined_i, tag_i, long_name_i = self._indices(ifc_class)
            get = product.get_argument
            element = Element(
                global_id=_text(get(_GLOBAL_ID)) or "",
                ifc_class=ifc_class,
                step_id=step_id,
                name=_text(get(_NAME)),
                description=_text(get(_DESCRIPTION)),
                object_type=_text(get(_OBJECT_TYPE)),
                predefined_type=_text(get(predefined_i)) if predefined_i is not None else None,
                tag=_text(get(tag_i)) if tag_i is not None else None,
                long_name=_text(get(long_name_i)) if long_name_i is not None else None,
            )
            element_type = self.type_of.get(step_id)
            if element_type is not None:
                element.type_global_id, element.type_class, element.type_name = self._type_info(element_type)
            parent = self.parent_of.get(step_id)
            container = self.container_of.get(step_id)
            element.parent_global_id = _gid(parent, gid_of, self.ifc)
            element.container_global_id = _gid(container, gid_of, self.ifc)
            storey = self._storey_of(step_id, ifc_class)
            element.storey_global_id = _gid(storey, gid_of, self.ifc)
            material = self.materials_of.get(step_id)
            if material is None and element_type is not None:
                material = self.materials_of.get(element_type.id())
            if material is not None:
                element.materials = self._material_names(material)
            references = self.classifications_of.get(step_id)
            if references is None and element_type is not None:
                references = self.classifications_of.get(element_type.id())
            if references:
                element.classifications = [self._classification(ref) for ref in references]
            elements.append(element)
            if index % 512 == 0:
                self.reporter.fraction(index / total)
        return elements

    def _properties(self, elements: list[Element]) -> None:
        """Property sets per element: the type's first, then the element's own.

        Walks IfcRelDefinesByProperties directly rather than keeping a per-element
        list of definitions, so no entity wrappers pile up for large files.
        """
        index_of = {element.step_id: i for i, element in enumerate(elements)}
        sets: list[list[tuple[PropertySet, str]]] = [[] for _ in elements]
        type_psets: dict[int, list[tuple[PropertySet, str]]] = {}
        for i, element in enumerate(elements):
            element_type = self.type_of.get(element.step_id)
            if element_type is None:
                continue
            type_id = element_type.id()
            if type_id not in type_psets:
                type_psets[type_id] = [
                    parsed
                    for definition in (_safe_attr(element_type, "HasPropertySets") or ())
                    if (parsed := self._pset(definition, SOURCE_TYPE)) is not None
                ]
            sets[i].extend(type_psets[type_id])

        relationships = self.ifc.by_type("IfcRelDefinesByProperties")
        total = max(len(relationships), 1)
        for n, rel in enumerate(relationships):
            definition, related = rel.get_argument(_RELATING), rel.get_argument(_RELATED)
            if definition is None or not related:
                self._empty_relations += 1
                continue
            ifc_class = definition.is_a()
            if ifc_class == "IfcPropertySetDefinitionSet":  # IFC4: several definitions in one relationship
                parsed = [p for d in definition.wrappedValue if (p := self._pset(d, SOURCE_OCCURRENCE)) is not None]
            else:
                pset = self._pset(definition, SOURCE_OCCURRENCE, ifc_class)
                parsed = [pset] if pset is not None else []
            for obj in related:
                i = index_of.get(obj.id())
                if i is not None:  # psets of non-products (project, types) are not kept here
                    sets[i].extend(parsed)
            if n % 1024 == 0:
                self.reporter.fraction(0.8 * n / total)

        for i, element in enumerate(elements):
            element.property_sets = [pset for pset, _ in sets[i]]
            element.content_hash = element_hash(element, [digest for _, digest in sets[i]])
            if i % 2048 == 0:
                self.reporter.fraction(0.8 + 0.2 * i / max(len(elements), 1))
        # Every property set is now on its elements: the per-STEP-id caches would only add to the peak.
        self._pset_cache.clear()
        self._reader = PropertyReader()

    def _placements(self, elements: list[Element], length_scale: float) -> None:
        total = max(len(elements), 1)
        resolver = placement.PlacementResolver()
        for index, (element, product) in enumerate(zip(elements, self.products, strict=True)):
            object_placement = product.get_argument(_PLACEMENT)
            if object_placement is not None:
                element.placement = resolver.world(object_placement)
            if index % 1024 == 0:
                self.reporter.fraction(index / total)
        on_grid = resolver.failed_kinds["IfcGridPlacement"]
        if on_grid:
            self.warnings.append(
                f"{count_of(on_grid, 'element')} {'is' if on_grid == 1 else 'are'} placed on a design grid "
                "(IfcGridPlacement), whose positions are not computed: moves of those elements are not compared."
            )
        if resolver.failures > on_grid:
            self.warnings.append(
                f"The position of {count_of(resolver.failures - on_grid, 'element')} could not be computed; "
                "moves of those elements are not compared."
            )

    # -- pieces ----------------------------------------------------------------------

    def _indices(self, ifc_class: str) -> tuple[int | None, ...]:
        """Positions of PredefinedType, Tag and LongName for a class (None when absent)."""
        cached = self._attribute_index.get(ifc_class)
        if cached is None:
            names = _attribute_names(self.ifc, ifc_class)
            cached = tuple(
                names.index(attribute) if attribute in names else None
                for attribute in ("PredefinedType", "Tag", "LongName")
            )
            self._attribute_index[ifc_class] = cached
        return cached

    def _type_info(self, element_type: ifcopenshell.entity_instance) -> tuple[str | None, str, str | None]:
        """GlobalId, class and name of a type object, read once per type (types have many elements)."""
        key = element_type.id()
        info = self._type_infos.get(key)
        if info is None:
            info = self._type_infos[key] = (
                _text(element_type.get_argument(_GLOBAL_ID)),
                element_type.is_a(),
                _text(element_type.get_argument(_NAME)),
            )
        return info

    def _storey_of(self, step_id: int, ifc_class: str) -> int | None:
        """Nearest building storey up the containment/aggregation chain (memoised per ancestor)."""
        if ifc_class == _STOREY:
            return None
        chain: list[int] = []
        current = step_id
        result = None
        while True:
            nxt = self.container_of.get(current)
            if nxt is None:
                nxt = self.parent_of.get(current)
            if nxt is None:
                nxt = self.host_of.get(current)
            if nxt is None or nxt in chain or nxt == step_id:
                break
            if nxt in self._storey_memo:
                result = self._storey_memo[nxt]
                break
            if self.ifc.by_id(nxt).is_a(_STOREY):
                result = nxt
                self._storey_memo[nxt] = nxt
                break
            chain.append(nxt)
            current = nxt
        for ancestor in chain:
            self._storey_memo[ancestor] = result
        return result

    def _pset(
        self, definition: ifcopenshell.entity_instance, source: str, ifc_class: str | None = None
    ) -> tuple[PropertySet, str] | None:
        """A property set and its content hash, read once per definition and source."""
        cache_key = (definition.id(), source)
        if cache_key in self._pset_cache:
            return self._pset_cache[cache_key]
        try:
            read = self._reader.read(definition, ifc_class)
        except Exception:
            read = None
            self.warnings.append(f"A property set ({_text(definition[2])!r}) could not be read and was skipped.")
        result = None
        if read is not None:
            name, kind, properties = read
            pset = PropertySet(name=name, kind=kind, source=source, properties=properties)
            result = (pset, properties_digest(name, kind, source, properties))
        self._pset_cache[cache_key] = result
        return result

    def _material_names(self, material: ifcopenshell.entity_instance) -> list[str]:
        key = material.id()
        cached = self._material_cache.get(key)
        if cached is None:
            cached = []
            try:
                _collect_materials(material, cached, depth=0)
            except Exception:
                pass
            self._material_cache[key] = cached
        return cached

    def _classification(self, reference: ifcopenshell.entity_instance) -> Classification:
        key = reference.id()
        cached = self._classification_cache.get(key)
        if cached is None:
            cached = _classification_of(reference)
            self._classification_cache[key] = cached
        return cached

    def _warn_loops(self) -> None:
        """Elements that are parts of themselves, through aggregations or containments in a loop."""
        up = {**self.container_of, **self.parent_of}  # as the spatial tree hangs them: parent first
        found = loops(up)
        if not found:
            return
        looped = sum(len(loop) for loop in found)
        example = " in ".join(self._label(step_id) for step_id in [*found[0], found[0][0]])
        self.warnings.append(
            f"{count_of(looped, 'element')} {'is a part' if looped == 1 else 'are parts'} of "
            f"{'itself' if looped == 1 else 'themselves'} through a loop of aggregations or containments "
            f"({example}); the structure is shown with the loop cut."
        )

    def _label(self, step_id: int) -> str:
        entity = self.ifc.by_id(step_id)
        name = _text(entity.get_argument(_NAME)) if entity.is_a("IfcRoot") else None
        return f"{entity.is_a()} {name!r}" if name else f"{entity.is_a()} #{step_id}"

    def _warn_duplicates(self, elements: list[Element]) -> None:
        counts = Counter(e.global_id for e in elements)
        missing = counts.pop("", 0)
        if missing:
            self.warnings.append(
                f"{count_of(missing, 'element')} {'has' if missing == 1 else 'have'} no GlobalId, "
                "so cannot be compared between versions."
            )
        duplicates = {gid: n for gid, n in counts.items() if n > 1}
        if duplicates:
            examples = ", ".join(f"{gid} ×{n}" for gid, n in list(duplicates.items())[:3])
            self.warnings.append(
                f"{count_of(len(duplicates), 'GlobalId')} {'is' if len(duplicates) == 1 else 'are'} used by more "
                f"than one element ({examples}); all are kept."
            )


# -- helpers -------------------------------------------------------------------------


def _by_type(ifc: ifcopenshell.file, ifc_class: str) -> list[ifcopenshell.entity_instance]:
    try:
        return ifc.by_type(ifc_class)
    except RuntimeError:  # class not in this schema (IfcRelNests in IFC2X3 exists; safe anyway)
        return []


def _attribute_names(ifc: ifcopenshell.file, ifc_class: str) -> list[str]:
    schema = ifcopenshell.ifcopenshell_wrapper.schema_by_name(ifc.schema_identifier)
    return [attribute.name() for attribute in schema.declaration_by_name(ifc_class).all_attributes()]


def _safe_attr(entity: ifcopenshell.entity_instance, name: str) -> Any:
    try:
        return getattr(entity, name)
    except (AttributeError, RuntimeError):
        return None


def _gid(step_id: int | None, gid_of: dict[int, str], ifc: ifcopenshell.file) -> str | None:
    if step_id is None:
        return None
    gid = gid_of.get(step_id)
    if gid is None:  # not a product (e.g. an IfcProject parent)
        try:
            entity = ifc.by_id(step_id)
            # An invalid file may relate an element to anything (an IfcPerson, say): only objects have a GlobalId.
            gid = entity[_GLOBAL_ID] if entity.is_a("IfcRoot") else None
        except Exception:
            return None
    return _text(gid)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, ifcopenshell.entity_instance):
        value = plain(value)
    text = str(value)
    return text if text != "" else None


def _join(values: Any) -> str | None:
    if not values:
        return None
    if isinstance(values, str):
        return values or None
    joined = "; ".join(str(v) for v in values if v)
    return joined or None


def _collect_materials(material: ifcopenshell.entity_instance, names: list[str], depth: int) -> None:
    """Material names in layer/profile/constituent order, without repeats."""
    if depth > 8:
        return

    def add(entity: ifcopenshell.entity_instance | None) -> None:
        if entity is None:
            return
        name = _text(getattr(entity, "Name", None))
        if name and name not in names:
            names.append(name)

    kind = material.is_a()
    if kind == "IfcMaterial":
        add(material)
    elif kind == "IfcMaterialLayerSetUsage":
        _collect_materials(material.ForLayerSet, names, depth + 1)
    elif kind == "IfcMaterialProfileSetUsage" or kind == "IfcMaterialProfileSetUsageTapering":
        _collect_materials(material.ForProfileSet, names, depth + 1)
    elif kind == "IfcMaterialLayerSet":
        for layer in material.MaterialLayers or ():
            add(layer.Material)
    elif kind == "IfcMaterialProfileSet":
        for profile in material.MaterialProfiles or ():
            add(profile.Material)
    elif kind == "IfcMaterialConstituentSet":
        for constituent in material.MaterialConstituents or ():
            add(constituent.Material)
    elif kind == "IfcMaterialList":
        for item in material.Materials or ():
            add(item)
    elif kind in ("IfcMaterialLayer", "IfcMaterialProfile", "IfcMaterialConstituent"):
        add(material.Material)


def _classification_of(reference: ifcopenshell.entity_instance) -> Classification:
    if reference.is_a("IfcClassification"):
        return Classification(system=_text(reference.Name), identification=None, name=None)
    if reference.is_a("IfcClassificationNotation"):  # IFC2X3: the code as a list of facets
        facets = [_text(_safe_attr(facet, "NotationValue")) for facet in _safe_attr(reference, "NotationFacets") or ()]
        return Classification(system=None, identification=" ".join(f for f in facets if f) or None, name=None)
    identification = _text(_safe_attr(reference, "Identification") or _safe_attr(reference, "ItemReference"))
    name = _text(_safe_attr(reference, "Name"))
    system = None
    source = _safe_attr(reference, "ReferencedSource")
    for _ in range(8):  # references can chain; the classification is at the top
        if source is None:
            break
        if source.is_a("IfcClassification"):
            system = _text(source.Name)
            break
        source = _safe_attr(source, "ReferencedSource")
    return Classification(system=system, identification=identification, name=name)
