#!/usr/bin/env bash
# zkCli.sh for zk-ts: the same command line as Apache ZooKeeper's client, for scripts and people:
#   zkCli.sh [-server host:port[,host:port...]] [-timeout ms] [cmd args...]
# Without a command it reads commands from stdin (with a prompt and history on a terminal).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(dirname "$here")"
entry="$root/dist/src/cli/zk-cli.js"
[ -f "$entry" ] || { echo "zk-ts is not built: run 'npm run build' in $root" >&2; exit 1; }
exec node "$entry" "$@"
