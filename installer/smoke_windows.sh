#!/usr/bin/env bash
# Smoke test of the Windows installer under Wine:
#   1. build the installer (installer/build_windows.sh; cached downloads make a rebuild faster)
#   2. install it silently (/S /CurrentUser /D=...) into a fresh, temporary Wine prefix
#   3. the installed console program runs `selftest` and `process` of a real sample;
#      its main code must run once, never again in the spawned workers
#   4. check shortcut, file association and Add/Remove Programs entry
#   5. uninstall silently: the install folder, shortcut and registry entries are
#      gone, the user's data folder is kept
# Every step prints its time. Exit status is non-zero on any failure.
#
# Environment: IFC_SAMPLES_DIR (default: ../shared/samples next to the repo),
# IFC_SMOKE_SKIP_BUILD=1 (test the installer already built), IFC_SMOKE_KEEP=1
# (keep the temporary Wine prefix).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
CACHE="${IFC_BUILD_CACHE:-$HERE/cache}"
OUT="${IFC_BUILD_OUT:-$HERE/build/windows}"
SAMPLES="${IFC_SAMPLES_DIR:-$ROOT/../shared/samples}"
SAMPLE="$SAMPLES/ifc2x3_revit2021_simple_wall.ifc"

INSTDIR_WIN='C:\Apps\IFC Desktop smoke'
INSTDIR_REL='Apps/IFC Desktop smoke'

T0=$SECONDS
timing() { printf '[smoke-windows] %-34s %4d s\n' "$1" "$2"; }
log() { echo "[smoke-windows] $*"; }
fail() { echo "[smoke-windows] FAILED: $*" >&2; exit 1; }

TMP=""
XVFB_PID=""
cleanup() {
    if [[ -n "$TMP" ]]; then
        WINEPREFIX="$TMP/prefix" wineserver -k 2>/dev/null || true
        [[ "${IFC_SMOKE_KEEP:-0}" == 1 ]] && log "kept $TMP" || rm -rf "$TMP"
    fi
    [[ -n "$XVFB_PID" ]] && kill "$XVFB_PID" 2>/dev/null || true
}
trap cleanup EXIT

# Windows console programs under Wine need real pipes as standard streams.
wrun() { wine "$@" </dev/null 2>&1 | cat; }

start_display() {
    # The installer is a GUI-subsystem program; give Wine a display even in CI.
    [[ -n "${DISPLAY:-}" ]] && return 0
    command -v Xvfb >/dev/null || return 0
    local fifo="$TMP/displayfd"
    mkfifo "$fifo"
    Xvfb -displayfd 3 -nolisten tcp -screen 0 1024x768x24 3>"$fifo" >/dev/null 2>&1 &
    XVFB_PID=$!
    local num
    read -r -t 20 num <"$fifo" || fail "Xvfb did not start"
    export DISPLAY=":$num"
}

# The windowed program, started with a sample the way "Open with" starts it
# ("IFC Desktop.exe" "%1"): it must import the file through its spawned workers,
# and its main code must run once (a worker re-running it would open another
# window). Offscreen Qt (the only platform that works under Wine); the program is
# stopped once the model is in the history. Runs once the app has its window.
window_check() {
    if [[ ! -e "$ROOT/ifc_desktop/app.py" && ! -d "$ROOT/ifc_desktop/app" ]]; then
        log "window check skipped: the app has no window module yet"
        return 0
    fi
    local t=$SECONDS data trace="$TMP/window-trace.txt" name imported=0 models
    name="$(basename "$SAMPLE" .ifc)"
    mkdir -p "$TMP/window data"
    data="$(winepath -w "$TMP/window data")"
    log "\"IFC Desktop.exe\" \"$(basename "$SAMPLE")\" (offscreen)"
    # Piped, not redirected to a file: with a file as a standard handle even the
    # windowed program's Python fails to start under Wine.
    (IFC_DESKTOP_DATA_DIR="$data" IFC_DESKTOP_ENTRY_TRACE="$(winepath -w "$trace")" \
        wine "$INSTDIR_WIN\\IFC Desktop.exe" "$(winepath -w "$SAMPLE")" </dev/null 2>&1 | cat >"$TMP/window.log") &
    local pid=$!
    for _ in $(seq 90); do
        sleep 2
        models="$(wrun "$INSTDIR_WIN\\ifc-desktop.exe" models --data-dir "$data" || true)"
        if grep -qF "$name" <<<"$models"; then
            imported=1
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
    done
    local running=0
    kill -0 "$pid" 2>/dev/null && running=1
    # Ends every program in this throwaway prefix: the window and its workers.
    wineserver -k || true
    wait "$pid" 2>/dev/null || true
    ((running)) || fail "the window program exited early: $(tail -n 20 "$TMP/window.log")"
    ((imported)) || fail "the window did not import the file it was given: $(tail -n 20 "$TMP/window.log")"
    local runs
    runs="$(tr -d '\r' <"$trace" | grep -c .)"
    [[ "$runs" == 1 ]] || fail "window main code ran $runs times (workers re-ran it): $(cat "$trace")"
    timing "window imports a file (offscreen)" $((SECONDS - t))
    log "window imported the file; its main code ran once"
}

main() {
    [[ -f "$SAMPLE" ]] || fail "sample not found: $SAMPLE"
    local t=$SECONDS
    if [[ "${IFC_SMOKE_SKIP_BUILD:-0}" != 1 ]]; then
        "$HERE/build_windows.sh"
    fi
    timing "build" $((SECONDS - t))
    local setup
    setup="$(cat "$OUT/installer-path.txt")"
    [[ -f "$setup" ]] || fail "no installer at $setup"

    TMP="$(mktemp -d)"
    export WINEPREFIX="$TMP/prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
    # Qt's real "windows" platform aborts under Wine; the CLI needs none, but
    # anything that starts Qt must use offscreen (Wine passes WINEQT_* on as QT_*).
    export WINEQT_QPA_PLATFORM=offscreen
    start_display

    t=$SECONDS
    wineboot --init >/dev/null 2>&1 || true
    wineserver -w
    # Wine-only stand-in for Windows' icuuc.dll (Qt6Core imports it); it goes into
    # this throwaway prefix's system32, never into the app folder.
    cp "$CACHE/icuuc-stub/icuuc.dll" "$WINEPREFIX/drive_c/windows/system32/icuuc.dll"
    timing "fresh Wine prefix" $((SECONDS - t))

    # ------------------------------------------------------------ install
    t=$SECONDS
    log "silent install: $(basename "$setup") /S /CurrentUser /D=$INSTDIR_WIN"
    # NSIS reads /D= only unquoted and last on the command line, while Wine quotes
    # every argument with a space: hand cmd the raw command line instead.
    cp "$setup" "$WINEPREFIX/drive_c/ifc-desktop-setup.exe"
    wrun cmd /c "C:\\ifc-desktop-setup.exe /S /CurrentUser /D=$INSTDIR_WIN"
    wineserver -w
    rm "$WINEPREFIX/drive_c/ifc-desktop-setup.exe"
    timing "silent install" $((SECONDS - t))
    local inst="$WINEPREFIX/drive_c/$INSTDIR_REL"
    [[ -f "$inst/ifc-desktop.exe" && -f "$inst/IFC Desktop.exe" && -f "$inst/uninstall.exe" ]] ||
        fail "installed programs missing in $inst"
    if [[ -n "$(find "$inst" -iname 'icuuc*.dll' -print -quit)" ]]; then fail "icuuc.dll stub was installed"; fi
    log "installed: $(du -sh "$inst" | cut -f1) in $INSTDIR_WIN"

    # ------------------------------------------------------------ run
    local cli="$INSTDIR_WIN\\ifc-desktop.exe" data trace
    data="$(winepath -w "$TMP/data dir")"
    trace="$TMP/entry-trace.txt"
    mkdir -p "$TMP/data dir"

    t=$SECONDS
    log "ifc-desktop selftest (default data folder)"
    wrun "$cli" selftest || fail "selftest exited with $?"
    timing "installed selftest" $((SECONDS - t))

    t=$SECONDS
    log "ifc-desktop process --data-dir \"$data\" $(basename "$SAMPLE")"
    IFC_DESKTOP_ENTRY_TRACE="$(winepath -w "$trace")" \
        wrun "$cli" process --data-dir "$data" "$(winepath -w "$SAMPLE")" || fail "process exited with $?"
    timing "installed process (spawned worker)" $((SECONDS - t))
    local name models
    name="$(basename "$SAMPLE" .ifc)"
    models="$(wrun "$cli" models --data-dir "$data")" || fail "models exited with $?"
    echo "$models"
    grep -qF "$name" <<<"$models" || fail "the imported model is not in the history"
    local runs
    runs="$(tr -d '\r' <"$trace" | grep -c .)"
    [[ "$runs" == 1 ]] || fail "main code ran $runs times (expected once, workers re-ran it): $(cat "$trace")"
    log "main code ran once; workers did not re-run it"

    window_check

    # ------------------------------------------------------------ integration
    local menu="$WINEPREFIX/drive_c/users/$(id -un)/AppData/Roaming/Microsoft/Windows/Start Menu/Programs"
    [[ -f "$menu/IFC Desktop.lnk" ]] || fail "no Start menu shortcut"
    local cmd
    cmd="$(wrun reg query 'HKCU\Software\Classes\SystemFileAssociations\.ifc\shell\IFCDesktop.Model\command' /ve)"
    grep -qF "IFC Desktop.exe\" \"%1\"" <<<"$cmd" || fail "no 'Open with IFC Desktop' command for .ifc: $cmd"
    # (outputs are captured first: grep -q closing a pipe early would fail it under pipefail)
    cmd="$(wrun reg query 'HKCU\Software\Classes\.ifczip\OpenWithProgids')"
    grep -qF IFCDesktop.Model <<<"$cmd" || fail ".ifczip is not associated: $cmd"
    cmd="$(wrun reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\IFC Desktop' /v UninstallString)"
    grep -qF 'uninstall.exe" /CurrentUser' <<<"$cmd" || fail "no Add/Remove Programs entry: $cmd"
    log "Start menu shortcut, .ifc/.ifczip association and uninstall entry present"

    # The selftest above used the default data folder under %LOCALAPPDATA%.
    local userdata="$WINEPREFIX/drive_c/users/$(id -un)/AppData/Local/IFC Desktop"
    local had_userdata=0
    [[ -d "$userdata" ]] && had_userdata=1

    # ------------------------------------------------------------ uninstall
    t=$SECONDS
    log "silent uninstall"
    # The uninstaller copies itself to %TEMP% and returns at once; wait for the copy.
    wrun "$INSTDIR_WIN\\uninstall.exe" /S
    wineserver -w
    timing "silent uninstall" $((SECONDS - t))
    [[ ! -e "$inst" ]] || fail "install folder still there: $(find "$inst" | head -n 5)"
    [[ ! -e "$menu/IFC Desktop.lnk" ]] || fail "Start menu shortcut still there"
    if wrun reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\IFC Desktop' >/dev/null; then
        fail "uninstall entry still in the registry"
    fi
    if wrun reg query 'HKCU\Software\Classes\IFCDesktop.Model' >/dev/null; then
        fail "file type still registered"
    fi
    if ((had_userdata)); then
        [[ -d "$userdata" ]] || fail "uninstall removed the user's data folder"
        log "user data folder kept: %LOCALAPPDATA%\\IFC Desktop"
    fi
    log "install folder, shortcut and registry entries removed"

    timing "total" $((SECONDS - T0))
    log "installer: $setup ($(stat -c %s "$setup") bytes, sha256 $(sha256sum "$setup" | cut -d' ' -f1))"
    log "OK"
}

main "$@"; exit $?
