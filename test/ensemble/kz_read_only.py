# A kazoo client that accepts a read-only server (read_only=True), run by read-only.test.ts against
# the one member left of a three-member ensemble: it connects while that member serves read-only,
# reads and tries to write, prints what it saw as one JSON line, then waits for the member to rejoin
# a quorum and says what the client went through before it could write again.
#
# usage: kz_read_only.py host:port

import json
import sys
import time

from kazoo.client import KazooClient

hosts = sys.argv[1]
states = []
client = KazooClient(hosts=hosts, read_only=True, timeout=10)
client.add_listener(lambda state: states.append(str(state)))
client.start(timeout=15)
first_session = client.client_id[0]
seen = {'phase': 'read-only', 'client_state': str(client.client_state), 'session_top_byte': first_session >> 56}
seen['data'] = client.get('/ro')[0].decode()
try:
    client.create('/kazoo-ro', b'')
    seen['create'] = 'ok'
except Exception as error:  # the class name is what the test compares
    seen['create'] = type(error).__name__
print(json.dumps(seen), flush=True)

deadline = time.time() + 90
while time.time() < deadline and str(client.client_state) != 'CONNECTED':
    time.sleep(0.1)
after = {'phase': 'read-write', 'client_state': str(client.client_state), 'states': states}
after['new_session'] = client.client_id[0] != first_session
try:
    after['create'] = client.create('/kazoo-rw', b'')
except Exception as error:
    after['create'] = type(error).__name__
print(json.dumps(after), flush=True)
client.stop()
client.close()
