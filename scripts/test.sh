#!/usr/bin/env bash
# The whole test suite, as CI runs it: system packages and the project with its
# test extras are installed first, then every test (slow ones included) runs on
# the embedded SQLite and again on the PostgreSQL at 127.0.0.1:5432 (database
# `test`; the run works in a schema of its own and drops only that schema).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r package; do
  [ -z "$package" ] && continue
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done < scripts/ci_system_packages.txt
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

pytest_args=(-m "slow or not slow" -q -p no:cacheprovider --durations=15)
echo "== SQLite =="
.venv/bin/pytest "${pytest_args[@]}" "$@"
echo "== PostgreSQL =="
HOTLINE_TEST_DATABASE_URL="${HOTLINE_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}" \
  .venv/bin/pytest "${pytest_args[@]}" "$@"
