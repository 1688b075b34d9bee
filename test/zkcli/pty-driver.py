#!/usr/bin/env python3
# Plays a conversation with a program on a pseudo-terminal, for the zkCli interactive tests.
# argv[1] is JSON: {"argv": [...], "env": {...}, "steps": [{"send": "...", "expect": "regex" | null,
# "timeout": seconds}]}. For each step the input is written, then the output is read until the
# regex matches what arrived since the step began. Prints JSON: {"output", "status", "failedStep"}.
import json
import os
import pty
import re
import select
import struct
import sys
import time
import fcntl
import termios

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(spec.get("env", {}))
    os.execvp(spec["argv"][0], spec["argv"])

fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
output = b""
eof = False


def read_until(pattern, timeout):
    global output, eof
    start = len(output)
    deadline = time.time() + timeout
    while True:
        text = output[start:].decode("utf8", "replace")
        if pattern is not None and re.search(pattern, text):
            return True
        if eof or time.time() > deadline:
            return pattern is None
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                eof = True
            output += data


failed = None
for index, step in enumerate(spec["steps"]):
    if step.get("send"):
        os.write(fd, step["send"].encode("utf8"))
    if not read_until(step.get("expect"), step.get("timeout", 10)):
        failed = index
        break

read_until(None, 0.3)
deadline = time.time() + 5
status = None
while time.time() < deadline:
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(code)
        break
    read_until(None, 0.05)
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({"output": output.decode("utf8", "replace"), "status": status, "failedStep": failed}))
