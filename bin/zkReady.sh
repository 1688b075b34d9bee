#!/usr/bin/env bash
# zkReady.sh: a stricter readiness probe than zkOk.sh (not in the k8szk image). Exits 0 only when the
# server on 127.0.0.1:$ZK_CLIENT_PORT serves clients: its srvr answer has a "Mode:" line saying
# leader, follower, observer or standalone. A member that is not in quorum answers "This ZooKeeper
# instance is not currently serving requests" and fails, as does a read-only one; the reason is
# printed, which the kubelet keeps in the pod's events.
#
# Do not use it as the readiness probe of an OrderedReady StatefulSet: zk-0 would wait for a quorum
# that cannot form before zk-1 exists. Use it with podManagementPolicy: Parallel (see
# docs/kubernetes.md), or from scripts that must wait for a serving ensemble.

ZK_CLIENT_PORT=${ZK_CLIENT_PORT:-2181}
ZK_OK_TIMEOUT=${ZK_OK_TIMEOUT:-5}

# four_letter_word WORD: prints the server's whole answer; fails if it cannot connect or times out.
four_letter_word() {
    local reply="" status
    { exec 3<>"/dev/tcp/127.0.0.1/$ZK_CLIENT_PORT"; } 2>/dev/null || return 1
    if ! printf '%s' "$1" >&3; then
        exec 3<&-
        return 1
    fi
    IFS= read -r -d '' -t "$ZK_OK_TIMEOUT" reply <&3
    status=$?
    exec 3<&-
    (( status <= 128 )) || return 1
    printf '%s' "$reply"
}

if ! SRVR=$(four_letter_word srvr); then
    echo "no answer to srvr on 127.0.0.1:$ZK_CLIENT_PORT"
    exit 1
fi
MODE=$(printf '%s\n' "$SRVR" | sed -n 's/^Mode: *//p' | head -n 1)
case "$MODE" in
    leader|follower|observer|standalone)
        exit 0
        ;;
    "")
        printf 'not serving: %s\n' "$(printf '%s' "$SRVR" | head -n 1)"
        exit 1
        ;;
    *)
        echo "not serving clients: mode $MODE"
        exit 1
        ;;
esac
