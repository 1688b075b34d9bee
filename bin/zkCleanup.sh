#!/usr/bin/env bash
# zkCleanup.sh for zk-ts: deletes old snapshots and txn logs by ZooKeeper 3.8's rules, as Apache
# ZooKeeper's script of the same name does. It reads dataDir and dataLogDir from zoo.cfg (in
# ZOOCFGDIR, default conf/ next to bin/, or the directory given with --config) and keeps the newest
# <count> snapshots (at least 3) and the txn logs they need:
#   zkCleanup.sh [--config <conf dir>] -n <count>
# Any other arguments go to the purge command as 3.8's go to PurgeTxnLog (dataLogDir [snapDir] -n count).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(dirname "$here")"
entry="$root/dist/src/cli/zk-cleanup.js"
[ -f "$entry" ] || { echo "zk-ts is not built: run 'npm run build' in $root" >&2; exit 1; }

if [ $# -gt 1 ] && [ "$1" = "--config" ]; then
  ZOOCFGDIR="$2"
  shift 2
fi
cfg="${ZOOCFGDIR:-$root/conf}/${ZOOCFG:-zoo.cfg}"
[ -r "$cfg" ] || { echo "zkCleanup.sh: cannot read $cfg (set ZOOCFGDIR/ZOOCFG or use --config <dir>)" >&2; exit 1; }

# The same extraction as 3.8's script: the text after the last '=' of the dataDir= and dataLogDir= lines.
datadir="$(grep "^[[:space:]]*dataDir=" "$cfg" | sed -e 's/.*=//' || true)"
datalogdir="$(grep "^[[:space:]]*dataLogDir=" "$cfg" | sed -e 's/.*=//' || true)"

if [ -z "$datalogdir" ]; then
  exec node "$entry" "$datadir" "$@"
else
  exec node "$entry" "$datalogdir" "$datadir" "$@"
fi
