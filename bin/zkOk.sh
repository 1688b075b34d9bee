#!/usr/bin/env bash
# zkOk.sh: the liveness and readiness probe of the k8szk image. Exits 0 if and only if the server on
# 127.0.0.1:$ZK_CLIENT_PORT (2181 by default) answers ruok with imok, and 1 otherwise; prints nothing.
# A server answers imok as soon as its client port is open, in quorum or not: the ordered start of a
# StatefulSet needs that, since zk-1 is created only once zk-0 is Ready. zkReady.sh is the stricter
# check (the server serves clients).
#
# Unlike k8szk's `echo ruok | nc`, it sends exactly the four bytes (no newline left unread on the
# server, so the server closes with a FIN rather than a reset that can eat the answer), reads until the
# server closes, then closes its side, and gives up after ZK_OK_TIMEOUT seconds (5) on its own, since
# kubelets before Kubernetes 1.20 did not enforce exec probe timeouts.

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

OK=$(four_letter_word ruok 2>/dev/null)
if [ "$OK" == "imok" ]; then
    exit 0
else
    exit 1
fi
