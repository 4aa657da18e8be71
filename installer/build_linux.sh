#!/usr/bin/env bash
# Linux one-folder build of IFC Desktop from installer/ifc_desktop.spec:
#
#   installer/build_linux.sh   -> installer/build/linux/dist/IFC Desktop/{IFC Desktop,ifc-desktop}
#
# PyInstaller and the app's dependencies (from pyproject.toml) go into their own
# build venv, installer/cache/venv-linux, never into the development venv.
# Environment: PYTHON (base interpreter, python3 by default; needs a shared
# libpython), IFC_BUILD_CACHE, IFC_BUILD_OUT.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
CACHE="${IFC_BUILD_CACHE:-$HERE/cache}"
OUT="${IFC_BUILD_OUT:-$HERE/build/linux}"
PYTHON="${PYTHON:-python3}"
VENV="$CACHE/venv-linux"
PYINSTALLER_VERSION=6.22.3

T0=$SECONDS
step() { printf '\n== %s  [%ds]\n' "$*" "$((SECONDS - T0))"; }

deps() {
    # The app's runtime dependencies, straight from pyproject.toml.
    "$PYTHON" - "$ROOT/pyproject.toml" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
EOF
    echo "pyinstaller==$PYINSTALLER_VERSION"
}

mkdir -p "$CACHE" "$OUT"
want="$(deps | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.deps.sha256" 2>/dev/null)" != "$want" ]]; then
    step "build venv $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    deps >"$VENV/requirements.txt"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$VENV/requirements.txt"
    echo "$want" >"$VENV/.deps.sha256"
fi

step "PyInstaller"
rm -rf "$OUT/dist"
(cd "$ROOT" && "$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$OUT/dist" --workpath "$CACHE/pyinstaller-work-linux" "$HERE/ifc_desktop.spec")

APP="$OUT/dist/IFC Desktop"
[[ -x "$APP/ifc-desktop" && -x "$APP/IFC Desktop" ]] || { echo "build_linux: no executables in $APP" >&2; exit 1; }
step "done"
echo "bundle: $APP  ($(du -sh "$APP" | cut -f1), $(find "$APP" -type f | wc -l) files)"
echo "build time: $((SECONDS - T0)) s"
