#!/usr/bin/env bash
# Runs the vitest suite against an AddressSanitizer + UndefinedBehaviorSanitizer build of the addon.
#
#   scripts/asan.sh                   the whole suite, except test/package (see below)
#   scripts/asan.sh test/hardening    only some files (any vitest arguments)
#
# test/package is left out: those tests pack the tarball and install it into clean environments (their
# own PATH and env, no LD_PRELOAD) where the prebuild, never the sanitized addon, is loaded, so they test
# nothing under the sanitizers and only break on the copied tree. UVHTTP_ASAN_ALL=1 keeps them.
#
# The working tree (sources and tests, not node_modules, build/ or .git) is copied to a temp dir and the
# addon is built THERE with -fsanitize=address,undefined, so build/Release/uvhttp.node of the checkout is
# never touched. vitest then runs in the copy, whose loader finds the copy's build/Release; the script
# checks from inside Node (/proc/self/maps) that the sanitized addon is the one actually mapped.
#
# Node itself is not instrumented, so the ASan runtime is LD_PRELOADed (it must come first in the
# process's library list); every process vitest starts inherits it.
#
# Sanitizer options, and why:
#   detect_leaks=0      Node and V8 do not free their heap at exit, and every allocation stack starts in
#                       the node binary, so LeakSanitizer reports thousands of leaks that are not ours, and
#                       a suppression file cannot single out the addon (a "leak:node" rule would also hide
#                       the addon's leaks, whose stacks begin in node too). Leaks in the parser are covered
#                       by the standalone C++ unit tests (test/native), which run with LSan on.
#   halt_on_error=1     the first report aborts the process (UBSan too: -fno-sanitize-recover=all).
#   log_path=...        ASan reports go to files, one per process, which this script checks and prints
#                       after the run: a report is caught even when it comes from a child process or
#                       vitest swallows the worker's stderr. GCC's UBSan runtime ignores log_path when
#                       combined with ASan and writes to stderr, so vitest's output is also kept and
#                       scanned for "runtime error:" and "ERROR: ...Sanitizer".
#   quarantine_size_mb  32 instead of 256, so freed memory held for use-after-free detection does not
#                       dominate the RSS measurements of the hardening tests.
#
# Exits non-zero when the build fails, vitest fails, or any sanitizer report was written.
# KEEP=1 keeps the temp dir (its path is printed).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "$(uname -s)" != "Linux" ]; then
  echo "scripts/asan.sh: Linux only (LD_PRELOAD of the ASan runtime)" >&2
  exit 2
fi

cxx="${CXX:-g++}"
libasan="$("$cxx" -print-file-name=libasan.so)"
libubsan="$("$cxx" -print-file-name=libubsan.so)"
if [ ! -e "$libasan" ] || [ "$libasan" = "libasan.so" ]; then
  echo "scripts/asan.sh: $cxx has no libasan.so (install the compiler's sanitizer runtime, e.g. libasan8)" >&2
  exit 2
fi
# libubsan is loaded by the addon (DT_NEEDED); preloading it too keeps its interceptors first.
preload="$libasan"
if [ -e "$libubsan" ] && [ "$libubsan" != "libubsan.so" ]; then preload="$preload:$libubsan"; fi

work="$(mktemp -d "${TMPDIR:-/tmp}/uvhttp-asan.XXXXXX")"
cleanup() {
  if [ "${KEEP:-0}" = "1" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "== copying the tree to $work" >&2
tar -C "$root" --exclude=./node_modules --exclude=./build --exclude=./.git --exclude=./prebuilds \
  --exclude=./fuzz-out --exclude='./bench/results/*.json' -cf - . | tar -C "$work" -xf -
ln -s "$root/node_modules" "$work/node_modules"

# node-gyp: on PATH, else the copy bundled with npm (what `npm run` uses).
if command -v node-gyp >/dev/null 2>&1; then
  gyp=(node-gyp)
else
  npm_root="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
  gyp=(node "$npm_root/node_modules/node-gyp/bin/node-gyp.js")
fi
gyp_args=(rebuild)
nodedir="$(npm config get nodedir 2>/dev/null || true)"
if [ -n "$nodedir" ] && [ "$nodedir" != "undefined" ] && [ "$nodedir" != "null" ]; then
  gyp_args+=("--nodedir=$nodedir")
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
echo "== building the addon with $san" >&2
# gyp's Makefiles append $CXXFLAGS after the target's own flags (so -O1 wins over -O3) and $LDFLAGS to the
# link line.
(cd "$work" && CXX="$cxx" CXXFLAGS="$san -O1 -g" CFLAGS="$san -O1 -g" LDFLAGS="-fsanitize=address,undefined" \
  "${gyp[@]}" "${gyp_args[@]}" >"$work/build.log" 2>&1) || {
  tail -n 60 "$work/build.log" >&2
  echo "scripts/asan.sh: the sanitized build failed" >&2
  exit 1
}
addon="$work/build/Release/uvhttp.node"
if ! nm -D "$addon" 2>/dev/null | grep '__asan_report' >/dev/null; then
  echo "scripts/asan.sh: $addon has no ASan instrumentation (CXXFLAGS ignored?)" >&2
  exit 1
fi

reports="$work/sanitizer-reports"
mkdir -p "$reports"
export LD_PRELOAD="$preload"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:quarantine_size_mb=32:log_path=$reports/asan:log_exe_name=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$reports/ubsan:log_exe_name=1"
# Loader overrides (whichever the loader supports) all point at the copy; the copy's own build/ is
# also where the default lookup goes.
export UVHTTP_ADDON_PATH="$addon"
export UVHTTP_PREBUILD="$work"
# Tests may loosen memory bounds that the sanitizer's allocator (redzones, quarantine) inflates.
export UVHTTP_SANITIZER=asan

echo "== checking that Node loads the sanitized addon" >&2
cat >"$work/asan-probe.ts" <<'EOF'
import { readFileSync } from 'node:fs';
import { createServer } from './lib/index.js';
const app = createServer();
const maps = readFileSync('/proc/self/maps', 'utf8');
const mapped = [...new Set(maps.split('\n').filter((l) => l.includes('uvhttp.node')).map((l) => l.trim().split(/\s+/).pop()))];
const asan = maps.includes('libasan');
console.log(JSON.stringify({ mapped, asan }));
void app;
EOF
probe="$(cd "$work" && node_modules/.bin/vite-node asan-probe.ts 2>&1 | tail -n 1)" || true
echo "   $probe" >&2
if ! grep -q "\"mapped\":\[\"$addon\"\]" <<<"$probe" || ! grep -q '"asan":true' <<<"$probe"; then
  echo "scripts/asan.sh: Node did not load $addon under ASan (got: $probe)" >&2
  exit 1
fi

echo "== running vitest under ASan+UBSan" >&2
status=0
exclude=()
if [ "${UVHTTP_ASAN_ALL:-0}" != "1" ]; then exclude=(--exclude 'test/package/**'); fi
set +e
(cd "$work" && node_modules/.bin/vitest run "${exclude[@]}" "$@") 2>&1 | tee "$work/vitest.log"
status="${PIPESTATUS[0]}"
set -e

found=0
if grep -E -n ': runtime error: |ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)' "$work/vitest.log" >"$work/stderr-reports"; then
  found=1
  echo "== sanitizer reports in the test output" >&2
  cat "$work/stderr-reports" >&2
fi
for f in "$reports"/*; do
  [ -e "$f" ] || continue
  if [ -s "$f" ]; then
    found=1
    echo "== sanitizer report $f" >&2
    cat "$f" >&2
  fi
done

if [ "$found" -ne 0 ]; then
  echo "scripts/asan.sh: FAILED: sanitizer reports above" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "scripts/asan.sh: FAILED: vitest exited $status (no sanitizer report)" >&2
  exit "$status"
fi
echo "scripts/asan.sh: clean (no ASan/UBSan reports; vitest passed)" >&2
