#!/usr/bin/env bash
# Re-records test/fixtures/seed/ (what the old module does to a fresh namespace cell for ./state),
# which the take-over and import tests replay. Needs root, python3 and the old module:
#   sudo scripts/record-seed.sh [SEED_DIR]   # default: ../shared/seed beside the clone
set -euo pipefail
cd "$(dirname "$0")/.."
seed_dir="${1:-../shared/seed}"
if [[ ! -f "$seed_dir/firewall_manager.py" ]]; then
  echo "record-seed: no firewall_manager.py in $seed_dir; nothing recorded" >&2
  exit 1
fi
PIC_SEED_DIR="$(cd "$seed_dir" && pwd)" npx vitest run --config test/helpers/record-seed.vitest.config.ts
# The suite's prettier check covers test/, fixtures included.
npx prettier --write test/fixtures/seed/recording.json
