"""Take the README screenshots of the window, with real imports, under a virtual X server.

    python scripts/screenshots.py [--out docs/screenshots]

Without a display it re-runs itself under ``xvfb-run`` (``apt-get install xvfb``).
It uses a fresh temporary data folder and the sample files in ../shared/samples,
and writes empty-state.png, jobs.png, elements.png, history.png,
failed-job.png and compare.png (the FZK house against a copy edited with
ifcopenshell). ``--only compare`` takes the compare screen alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "samples"
sys.path.insert(0, str(REPO))

WINDOW_SIZE = (1360, 840)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--keep-data", action="store_true", help="keep the temporary data folder")
    parser.add_argument("--only", choices=["compare"], help="take one screen only")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM") and shutil.which("xvfb-run"):
        command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv]
        return subprocess.call(command)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ifc-desktop-screens-"))
    try:
        return take(out, work, args.only)
    finally:
        if not args.keep_data:
            shutil.rmtree(work, ignore_errors=True)


def take(out: Path, work: Path, only: str | None = None) -> int:
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtGui import QColor, QPainter, QPixmap

    from benchmarks.stall_meter import pump as wait_for
    from ifc_desktop.app import create_window
    from ifc_desktop.core.synthetic import write_model
    from ifc_desktop.ui.settings import AppSettings

    data_dir = work / "data"
    data_dir.mkdir()
    settings = AppSettings(data_dir)
    settings.workers = 2
    settings.sync()
    app, window, _ = create_window(["--data-dir", str(data_dir)])
    window.resize(*WINDOW_SIZE)
    window.show()
    window.start([])

    def pump(until: Callable[[], bool], timeout: float = 120.0, what: str = "the window") -> None:
        wait_for(app, until, timeout, what)

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def save(pixmap: QPixmap, name: str) -> None:
        path = out / name
        pixmap.save(str(path))
        print(f"wrote {path}")

    def states() -> dict[str, str]:
        return {Path(j.path).name: str(getattr(j.state, "value", j.state)) for j in window.job_model.jobs()}

    haus = SAMPLES / "ifc4_archicad20_fzk_haus.ifc"
    edited = work / "imports" / "AC20-FZK-Haus rev3.ifc"
    edited.parent.mkdir(parents=True)
    edit_haus(haus, edited)

    def shoot_compare(model_id: int, older: int, newer: int) -> None:
        window.show_comparison(model_id, older, newer)
        panel = window.compare_panel
        pump(lambda: panel.result is not None and not panel.is_busy(), what="comparison")
        window.splitter.setSizes([240, WINDOW_SIZE[0] - 240])
        panel.splitter.setSizes([236, 600])
        panel.table_splitter.setSizes([700, 400])
        panel.select_change(RENAMED_WALL)
        settle()
        save(window.grab(), "compare.png")

    # 1. First start.
    pump(lambda: window._jobs_known and window._models_known, what="start")
    if only == "compare":
        for path in (haus, edited):
            window.import_paths([str(path)])
            pump(lambda p=path: states().get(p.name) == "SUCCESS", what=path.name)
        pump(lambda: any(m.version_count == 2 for m in window.model_list.models()), what="two versions")
        model = next(m for m in window.model_list.models() if m.version_count == 2)
        window.models_panel.select_model(model.id)
        pump(lambda: window.history_panel.versions.counts_text(2).startswith("+"), what="change counts")
        shoot_compare(model.id, 1, 2)
        window.shutdown()
        window.close()
        return 0
    settle()
    save(window.grab(), "empty-state.png")

    # 2. Jobs running: a large synthetic tower, real samples, one broken file.
    tower = work / "imports" / "Tower block (synthetic).ifc"
    write_model(tower, elements=12000, seed=7, project_name="Tower block")
    files = [
        tower,
        SAMPLES / "ifc2x3_tekla2019_mini_project_steel.ifc",
        SAMPLES / "ifc4_archicad20_fzk_haus.ifc",
        SAMPLES / "ifc2x3_revit2011_duplex_apartment_A.ifc",
        SAMPLES / "bad_ifc4_illegal_char_and_INF_reals.ifc",
        SAMPLES / "ifc2x3_renga_house.ifc",
    ]
    window.import_paths([str(f) for f in files])
    pump(lambda: len(states()) == len(files), what="jobs queued")

    def running_nicely() -> bool:
        summary = window.job_model.summary()
        return summary.running >= 2 and (summary.succeeded + summary.failed) >= 1 and 0.25 < summary.overall < 0.8

    pump(running_nicely, timeout=180, what="jobs running")
    settle(0.25)
    save(window.grab(), "jobs.png")
    pump(lambda: not window.job_model.summary().active, timeout=600, what="jobs finished")

    # 3. Elements: the house's spatial tree, a wall with its property sets.
    haus_job = next(j for j in window.job_model.jobs() if j.path.endswith("ifc4_archicad20_fzk_haus.ifc"))
    haus_model = next(m for m in window.model_list.models() if m.id == haus_job.model_id)
    window.models_panel.select_model(haus_model.id)
    window.show_tab(1)
    panel = window.elements_panel
    pump(lambda: panel.version is not None and panel.version.model_id == haus_model.id, what="house version")
    pump(lambda: panel.tree_model is not None and not panel.tree_model.is_loading(), what="tree")
    tree = panel.tree_model

    def find_storey():
        stack = list(tree.root.children)
        while stack:
            node = stack.pop(0)
            if node.row is not None and node.row.ifc_class == "IfcBuildingStorey" and node.count:
                return node
            stack.extend(node.children)
        return None

    pump(lambda: find_storey() is not None, what="storey")
    storey = find_storey()
    storey_index = tree._index_of(storey)
    panel.tree.expand(storey_index)
    pump(lambda: len(storey.children) > 0 and not storey.loading, what="storey elements")
    wall = next((c for c in storey.children if c.row and c.row.ifc_class.startswith("IfcWall")), storey.children[0])
    wall_index = tree._index_of(wall)
    panel.tree.setCurrentIndex(wall_index)
    panel.tree.scrollTo(wall_index)
    pump(lambda: panel.details.element is not None, what="element details")
    panel.splitter.setSizes([560, 640])
    settle()
    save(window.grab(), "elements.png")

    # 4. A failed job's details, as a dialog over the window.
    window.show_tab(0)
    failed = next(j for j in window.job_model.jobs() if str(getattr(j.state, "value", j.state)) == "FAILURE")
    window.jobs_panel.select_job(failed.id)
    settle()
    window.show_job_details(failed)
    dialog = window._details
    dialog.technical_toggle.setChecked(True)  # the traceback is one click away: show that click's result
    dialog.resize(720, 640)
    settle()
    background = window.grab()
    shot = QPixmap(background.size())
    painter = QPainter(shot)
    painter.drawPixmap(0, 0, background)
    painter.fillRect(shot.rect(), QColor(0, 0, 0, 70))
    panel_pixmap = dialog.grab()
    top_left = QPoint(
        (shot.width() - panel_pixmap.width()) // 2,
        (shot.height() - panel_pixmap.height()) // 2,
    )
    for spread, alpha in ((14, 10), (9, 16), (5, 26), (2, 40)):
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, alpha))
        rect = QRect(top_left, panel_pixmap.size()).adjusted(-spread, -spread + 4, spread, spread + 4)
        painter.drawRoundedRect(rect, 10, 10)
    painter.drawPixmap(top_left, panel_pixmap)
    painter.setPen(QColor("#c8c8c8"))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(QRect(top_left, panel_pixmap.size()).adjusted(0, 0, -1, -1))
    painter.end()
    save(shot, "failed-job.png")
    dialog.close()

    # 5. History: the same export again, then an edited one, then back to the second one.
    copy = work / "imports" / "AC20-FZK-Haus rev2.ifc"
    copy.write_bytes(haus.read_bytes().replace(b"\nDATA;", b"\nDATA;\n/* revision 2 */", 1))
    for n, path in ((2, copy), (3, edited)):
        window.import_paths([str(path)])
        pump(lambda c=path: states().get(c.name) == "SUCCESS", what=f"revision {n}")
    pump(lambda: any(m.version_count == 3 for m in window.model_list.models()), what="three versions")
    model = next(m for m in window.model_list.models() if m.version_count == 3)
    window.models_panel.select_model(model.id)
    window.show_tab(2)
    pump(lambda: window.history_panel.versions.rowCount() == 3, what="history")
    window.confirm = lambda *_args: True
    window.revert(model.id, 2)
    pump(lambda: any(m.id == model.id and m.current_version_number == 2 for m in window.model_list.models()))
    pump(lambda: window.history_panel.activity.count() == 4, what="revert in the activity")
    window.history_panel.select_number(2)
    pump(lambda: window.history_panel.versions.counts_text(3).startswith("+"), what="change counts")
    settle()
    save(window.grab(), "history.png")

    # 6. Compare: what the edited export changed.
    shoot_compare(model.id, 2, 3)

    window.shutdown()
    window.close()
    return 0


RENAMED_WALL = "2XPyKWY018sA1ygZKgQPtU"  # Wand-Int-ERDG-4: renamed and moved by 1 m


def edit_haus(source: Path, target: Path) -> None:
    """A week's worth of edits to the FZK house, made with ifcopenshell the way an authoring tool would."""
    import ifcopenshell
    import ifcopenshell.api.geometry
    import ifcopenshell.api.material
    import ifcopenshell.api.pset
    import ifcopenshell.api.root
    import ifcopenshell.api.spatial
    import ifcopenshell.util.placement
    import numpy as np

    ifc = ifcopenshell.open(str(source))

    def own_set(global_id: str, name: str):
        element = ifc.by_guid(global_id)
        return next(
            rel.RelatingPropertyDefinition
            for rel in element.IsDefinedBy
            if rel.is_a("IfcRelDefinesByProperties") and rel.RelatingPropertyDefinition.Name == name
        )

    # A wall renamed and moved by one metre.
    wall = ifc.by_guid(RENAMED_WALL)
    wall.Name = "Wand-Int-ERDG-4 (Küche)"
    matrix = ifcopenshell.util.placement.get_local_placement(wall.ObjectPlacement)
    matrix[:3, 3] += (1.0, 0.0, 0.0)
    ifcopenshell.api.geometry.edit_object_placement(ifc, product=wall, matrix=matrix, is_si=False)
    # A door's U-value changed and an acoustic rating added (fresh property instances: exporters share them).
    door_set = own_set("0pGAjlJMP3ifYPATVF5xAR", "Pset_DoorCommon")  # Innentuer-2
    old = next(p for p in door_set.HasProperties if p.Name == "ThermalTransmittance")
    u_value = ifc.createIfcPropertySingleValue(
        old.Name, None, ifc.create_entity("IfcThermalTransmittanceMeasure", 1.3), None
    )
    rating = ifc.createIfcPropertySingleValue("AcousticRating", None, ifc.create_entity("IfcLabel", "32 dB"), None)
    door_set.HasProperties = [u_value if p == old else p for p in door_set.HasProperties] + [rating]
    # A door deleted, another wall in new material with a new volume.
    ifcopenshell.api.root.remove_product(ifc, product=ifc.by_guid("1Oms875aH3Wg$9l65H2ZGw"))  # Innentuer-1
    other = ifc.by_guid("3PfS__Y_DBAfq5naM6zD2Z")  # Wand-Int-ERDG-2
    ifcopenshell.api.material.unassign_material(ifc, products=[other])
    concrete = ifcopenshell.api.material.add_material(ifc, name="Stahlbeton C30/37")
    ifcopenshell.api.material.assign_material(ifc, products=[other], type="IfcMaterial", material=concrete)
    ifcopenshell.api.pset.edit_qto(ifc, qto=own_set(other.GlobalId, "BaseQuantities"), properties={"NetVolume": 2.5})
    # A new floor slab in the attic.
    storey = ifc.by_guid("273g3wqLzDtfYIl7qqkgcO")  # Dachgeschoss
    slab = ifcopenshell.api.root.create_entity(ifc, ifc_class="IfcSlab", name="Galerie", predefined_type="FLOOR")
    ifcopenshell.api.spatial.assign_container(ifc, products=[slab], relating_structure=storey)
    placement = np.eye(4)
    placement[:3, 3] = (2.0, 4.0, 2.9)
    ifcopenshell.api.geometry.edit_object_placement(ifc, product=slab, matrix=placement, is_si=False)
    qto = ifcopenshell.api.pset.add_qto(ifc, product=slab, name="Qto_SlabBaseQuantities")
    ifcopenshell.api.pset.edit_qto(ifc, qto=qto, properties={"NetVolume": 2.16, "NetArea": 10.8})
    ifc.write(str(target))


if __name__ == "__main__":
    sys.exit(main())
