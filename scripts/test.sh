#!/usr/bin/env bash
# README's test command (`pnpm test`): typecheck, lint, proto lint, generated code up to date, then
# every vitest project. Every step runs even when an earlier one fails, so one run shows all
# problems; the last line is `N passed, N failed` (vitest tests plus these checks).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .lzy

checks_passed=0
checks_failed=0
failed_names=()
step() {
  local name=$1
  shift
  local started=$SECONDS
  echo "::: $name"
  if "$@"; then
    checks_passed=$((checks_passed + 1))
    echo "::: $name ok ($((SECONDS - started)) s)"
  else
    checks_failed=$((checks_failed + 1))
    failed_names+=("$name")
    echo "::: $name FAILED ($((SECONDS - started)) s)"
  fi
}

step "generated code up to date" bash scripts/gen.sh --check
step "proto lint" pnpm exec buf lint
step "typecheck" pnpm exec tsc -p tsconfig.json
step "typecheck (site pages)" pnpm exec tsc -p services/site/web/tsconfig.json
step "eslint" pnpm exec eslint --cache --cache-location .lzy/eslintcache .
step "prettier" pnpm exec prettier --check --log-level warn .
rm -f .lzy/vitest.json
step "vitest" pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.lzy/vitest.json "$@"

read -r tests_passed tests_failed < <(pnpm exec node scripts/count-vitest.ts .lzy/vitest.json)
[ ${#failed_names[@]} -gt 0 ] && echo "failed checks: ${failed_names[*]}"
echo "checks: $checks_passed passed, $checks_failed failed; tests: $tests_passed passed, $tests_failed failed"
echo "$((checks_passed + tests_passed)) passed, $((checks_failed + tests_failed)) failed"
[ "$checks_failed" -eq 0 ] && [ "$tests_failed" -eq 0 ]
