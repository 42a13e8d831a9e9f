#!/usr/bin/env bash
# Generates the TypeScript stubs of proto/ into libs/proto/src/gen/ (STYLE.md §8).
#
#   bash scripts/gen.sh           regenerate (buf.gen.yaml has `clean: true`: the output
#                                 directory is emptied first, so deleted .proto files vanish)
#   bash scripts/gen.sh --check   regenerate into a temporary directory and exit 1, naming the
#                                 stale files, if libs/proto/src/gen differs from it
#
# Offline: buf compiles proto/ itself and runs the local ts-proto plugin from node_modules.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly out=libs/proto/src/gen

case "${1:-}" in
  '')
    pnpm exec buf generate
    ;;
  --check)
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    # -o prefixes the template's `out`, so the fresh copy lands in $tmp/$out.
    pnpm exec buf generate -o "$tmp"
    if [[ ! -d "$out" ]]; then
      echo "gen: $out is missing; run 'pnpm gen'" >&2
      exit 1
    fi
    (cd "$tmp/$out" && find . -type f | sort) >"$tmp/fresh.txt"
    (cd "$out" && find . -type f | sort) >"$tmp/current.txt"
    stale=()
    while read -r f; do stale+=("missing: $out/${f#./}"); done < <(comm -23 "$tmp/fresh.txt" "$tmp/current.txt")
    while read -r f; do stale+=("extra:   $out/${f#./}"); done < <(comm -13 "$tmp/fresh.txt" "$tmp/current.txt")
    while read -r f; do
      if ! cmp -s "$tmp/$out/$f" "$out/$f"; then stale+=("changed: $out/${f#./}"); fi
    done < <(comm -12 "$tmp/fresh.txt" "$tmp/current.txt")
    if ((${#stale[@]} > 0)); then
      echo "gen: $out is stale; run 'pnpm gen'." >&2
      printf '  %s\n' "${stale[@]}" >&2
      exit 1
    fi
    echo "gen: $out is up to date"
    ;;
  *)
    echo "usage: bash scripts/gen.sh [--check]" >&2
    exit 2
    ;;
esac
