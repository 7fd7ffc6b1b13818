#!/usr/bin/env bash
# Fuzzes the native request parser, message analysis, request-target forms and chunked decoder
# (fuzz/parser_fuzz.cc), the HTTP/1 session fed whole against fed in pieces (fuzz/session_fuzz.cc),
# the static-files header values and URL path mapping (fuzz/headers_fuzz.cc), then the file handler on
# a fixed temp tree (fuzz/static_files_fuzz.cc) and the router with route sets of its choosing
# (fuzz/router_fuzz.cc), and the PROXY protocol header (fuzz/proxy_protocol_fuzz.cc), with libFuzzer
# under ASan+UBSan, each for a fixed
# time. A target with a dictionary of its own (fuzz/<name>.dict) gets it on top of its base one.
#
#   scripts/fuzz.sh [seconds]     per target; default 60
#
# The seed corpus is copied to a temp dir, so new inputs never land in the repository; a crash input
# is kept in fuzz-out/ (git-ignored) and the script exits non-zero.
set -euo pipefail

secs="${1:-60}"
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
  echo "usage: $0 [seconds]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v clang++ >/dev/null 2>&1; then
  # libFuzzer ships with clang only; gcc has no -fsanitize=fuzzer.
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "clang++ not found, installing clang with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y clang >&2
  else
    echo "clang++ not found: install the 'clang' package (e.g. sudo apt-get install clang)" >&2
    exit 1
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/uvhttp-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p fuzz-out

http_sources="native/http/parser.cc native/http/message.cc native/http/request_target.cc native/http/http_errors.cc"
files_sources="native/http/range.cc native/http/http_date.cc native/http/conditional.cc"
files_sources+=" native/http/content_coding.cc native/handlers/file_path.cc"
handler_sources="$http_sources $files_sources native/handlers/static_files.cc native/handlers/open_file_cache.cc"
handler_sources+=" native/handlers/mime_types.cc native/io/file_io.cc native/core/router.cc"
# Each target: name|sources|seed corpus directory|base dictionary. Header values are not requests, so
# the headers target has seeds and tokens of its own.
targets=(
  "parser_fuzz|$http_sources|fuzz/corpus|fuzz/http.dict"
  "session_fuzz|$http_sources native/http/session.cc|fuzz/corpus|fuzz/http.dict"
  "headers_fuzz|$files_sources|fuzz/corpus-headers|fuzz/headers.dict"
  "static_files_fuzz|$handler_sources|fuzz/corpus|fuzz/http.dict"
  "router_fuzz|native/core/router.cc|fuzz/corpus-router|fuzz/router.dict"
  "proxy_protocol_fuzz|native/http/proxy_protocol.cc|fuzz/corpus-proxy|fuzz/proxy.dict"
)

for entry in "${targets[@]}"; do
  IFS='|' read -r name sources seeds dict <<<"$entry"
  echo "building fuzz/$name.cc" >&2
  # shellcheck disable=SC2086
  clang++ -std=c++17 -O1 -g -Wall -Wextra -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Inative -Itest/native $sources "fuzz/$name.cc" -o "$work/$name"

  cp "$dict" "$work/$name.dict"
  if [ -f "fuzz/$name.dict" ] && [ "fuzz/$name.dict" != "$dict" ]; then cat "fuzz/$name.dict" >>"$work/$name.dict"; fi

  echo "fuzzing $name for ${secs}s" >&2
  mkdir -p "$work/corpus-$name"
  cp "$seeds/"* "$work/corpus-$name/"
  status=0
  "$work/$name" "$work/corpus-$name" -dict="$work/$name.dict" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$root/fuzz-out/$name-" >"$work/$name.log" 2>&1 || status=$?

  executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log" | tail -n 1)"
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$work/$name.log" >&2
    echo "fuzzing $name FAILED (exit $status); crash input in fuzz-out/" >&2
    exit "$status"
  fi
  grep -E '^#[0-9]+[[:space:]].*cov:' "$work/$name.log" | tail -n 1 >&2 || true
  echo "$name: ${executions:-unknown} executions in ${secs}s"
done
