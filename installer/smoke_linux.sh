#!/usr/bin/env bash
# Smoke test of the Linux one-folder build: builds it (installer/build_linux.sh),
# then the frozen CLI runs `selftest` and `process` of a real sample, with its
# workers spawned, in a temporary data folder whose path has a space and a
# non-ASCII character. Fails if the program's main code runs again in a worker.
#
# Environment: IFC_SAMPLES_DIR (default: ../shared/samples next to the repo),
# IFC_SMOKE_SKIP_BUILD=1 (test the existing build).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
SAMPLES="${IFC_SAMPLES_DIR:-$ROOT/../shared/samples}"
SAMPLE="$SAMPLES/ifc2x3_revit2021_simple_wall.ifc"
APP="${IFC_BUILD_OUT:-$HERE/build/linux}/dist/IFC Desktop"

T0=$SECONDS
timing() { printf '[smoke-linux] %-34s %4d s\n' "$1" "$2"; }
fail() { echo "[smoke-linux] FAILED: $*" >&2; exit 1; }

# The windowed program, started with a sample as "Open with" starts it: it must
# import the file through its spawned workers, and its main code must run once
# (a worker re-running it would open another window). Offscreen Qt; the program
# is stopped once the model is in the history. Runs once the app has its window.
window_check() {
    if [[ ! -e "$ROOT/ifc_desktop/app.py" && ! -d "$ROOT/ifc_desktop/app" ]]; then
        echo "[smoke-linux] window check skipped: the app has no window module yet"
        return 0
    fi
    local t=$SECONDS data="$TMP/window data" trace="$TMP/window-trace.txt" name pid imported=0
    name="$(basename "$SAMPLE" .ifc)"
    mkdir -p "$data"
    echo "[smoke-linux] IFC Desktop $(basename "$SAMPLE") (offscreen)"
    IFC_DESKTOP_DATA_DIR="$data" IFC_DESKTOP_ENTRY_TRACE="$trace" QT_QPA_PLATFORM=offscreen \
        "$APP/IFC Desktop" "$SAMPLE" </dev/null >"$TMP/window.log" 2>&1 &
    pid=$!
    for _ in $(seq 90); do
        sleep 2
        if grep -qF "$name" <<<"$("$APP/ifc-desktop" models --data-dir "$data" 2>/dev/null || true)"; then
            imported=1
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
    done
    local running=0
    kill -0 "$pid" 2>/dev/null && running=1
    for child in $(pgrep -P "$pid" || true); do kill "$child" 2>/dev/null || true; done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    ((running)) || fail "the window program exited early: $(tail -n 20 "$TMP/window.log")"
    ((imported)) || fail "the window did not import the file it was given: $(tail -n 20 "$TMP/window.log")"
    local runs
    runs="$(wc -l <"$trace")"
    [[ "$runs" == 1 ]] || fail "window main code ran $runs times (workers re-ran it): $(cat "$trace")"
    timing "window imports a file (offscreen)" $((SECONDS - t))
    echo "[smoke-linux] window imported the file; its main code ran once"
}

main() {
    [[ -f "$SAMPLE" ]] || fail "sample not found: $SAMPLE"
    local t=$SECONDS
    if [[ "${IFC_SMOKE_SKIP_BUILD:-0}" != 1 ]]; then
        "$HERE/build_linux.sh"
    fi
    timing "build" $((SECONDS - t))
    [[ -x "$APP/ifc-desktop" ]] || fail "no frozen CLI at $APP"

    local data trace
    TMP="$(mktemp -d)"
    trap 'rm -rf "$TMP"' EXIT
    data="$TMP/data dir ü"
    trace="$TMP/entry-trace.txt"
    mkdir -p "$data"

    t=$SECONDS
    echo "[smoke-linux] ifc-desktop selftest"
    "$APP/ifc-desktop" selftest --data-dir "$data" || fail "selftest exited with $?"
    timing "frozen selftest" $((SECONDS - t))

    t=$SECONDS
    echo "[smoke-linux] ifc-desktop process $(basename "$SAMPLE")"
    IFC_DESKTOP_ENTRY_TRACE="$trace" "$APP/ifc-desktop" process --data-dir "$data" "$SAMPLE" ||
        fail "process exited with $?"
    timing "frozen process (spawned worker)" $((SECONDS - t))
    local name models
    name="$(basename "$SAMPLE" .ifc)"
    models="$("$APP/ifc-desktop" models --data-dir "$data")" || fail "models exited with $?"
    echo "$models"
    grep -qF "$name" <<<"$models" || fail "the imported model is not in the history"

    # One line per run of the program's main code: workers must not add any.
    local runs
    runs="$(wc -l <"$trace")"
    [[ "$runs" == 1 ]] || fail "main code ran $runs times (expected once, workers re-ran it): $(cat "$trace")"
    echo "[smoke-linux] main code ran once; workers did not re-run it"

    window_check
    timing "total" $((SECONDS - T0))
    echo "[smoke-linux] OK"
}

main "$@"; exit $?
