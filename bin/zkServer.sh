#!/usr/bin/env bash
# zkServer.sh for zk-ts: the same entry point Apache ZooKeeper's script offers, so tools and tests
# start either server the same way:  zkServer.sh start-foreground [path/to/zoo.cfg]
# -D settings go in SERVER_JVMFLAGS or JVMFLAGS, as with the Java server.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(dirname "$here")"
entry="$root/dist/src/cli/zk-server.js"
[ -f "$entry" ] || { echo "zk-ts is not built: run 'npm run build' in $root" >&2; exit 1; }

command="${1:-}"
shift || true
cfg="${1:-${ZOOCFGDIR:-$root/conf}/${ZOOCFG:-zoo.cfg}}"
case "$command" in
  start-foreground)
    exec node "$entry" "$cfg"
    ;;
  *)
    echo "Usage: $0 start-foreground [zoo.cfg]" >&2
    exit 1
    ;;
esac
