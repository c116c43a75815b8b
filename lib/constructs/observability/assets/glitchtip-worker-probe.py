"""Probe of the GlitchTip worker, which serves no health endpoint: can it reach what it works on?

The worker takes its tasks from Valkey/Redis and writes to PostgreSQL. It exits 0 when a TCP
connection to both opens within the timeout, 1 (naming the one it could not reach) otherwise.
Hosts and ports come from the worker's environment (GLITCHTIP_PROBE_TARGETS="host:port,host:port").
"""

import os
import socket
import sys

TIMEOUT_SECONDS = 3


def targets(spec):
    result = []
    for item in [t.strip() for t in spec.split(",") if t.strip()]:
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("GLITCHTIP_PROBE_TARGETS: got %r; expected host:port" % item)
        result.append((host, int(port)))
    if not result:
        raise ValueError("GLITCHTIP_PROBE_TARGETS is empty; expected host:port,host:port")
    return result


def main():
    try:
        for host, port in targets(os.environ.get("GLITCHTIP_PROBE_TARGETS", "")):
            try:
                socket.create_connection((host, port), TIMEOUT_SECONDS).close()
            except OSError as error:
                print("cannot reach %s:%s: %s" % (host, port, error), file=sys.stderr)
                return 1
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
