#!/usr/bin/env python3
"""port_hold.py - keep a stopped server's TCP port of 127.0.0.1 its own.

usage: port_hold.py PORT

While a test's server is down, another program could bind its port (a
server of a test running beside it) or take it as a connection's own
(a client's ephemeral port, even a connection of the port to itself),
and the server could not come back on it: the test's clients would
reach the wrong server or none.  This binds 127.0.0.1:PORT and does
not listen, so a connection is refused as by the stopped server, and
keeps SO_REUSEADDR off, so every other bind of the port fails and the
kernel gives it to no connection.

Started before the server stops, it tries the bind every 2 ms until
the server's listener is gone (60 s at most), having printed "waiting"
after the first try.  A port that still has
the server's closed connections (TIME_WAIT) binds only with
SO_REUSEADDR; the option is then turned off and a second socket's bind
with it must fail, or the kernel still lets such binds share the port
and the hold starts again.  Prints "held" once it holds the port.

SIGUSR1: listen without ever accepting (a server that hangs), print
"listening".  SIGTERM ends it and lets the port go.
"""
import errno
import signal
import socket
import sys
import time


def bound(port, reuse):
    """A socket bound to 127.0.0.1:port, or None if the port is taken."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, int(reuse))
    try:
        s.bind(("127.0.0.1", port))
        return s
    except OSError as e:
        s.close()
        if e.errno != errno.EADDRINUSE:
            raise
        return None


def exclusive(s, port):
    """Turn SO_REUSEADDR off on s; True if no reusing bind gets past it."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
    probe = bound(port, True)
    if probe is None:
        return True
    probe.close()
    return False


def hold(port):
    deadline = time.monotonic() + 60
    waiting = False
    while time.monotonic() < deadline:
        s = bound(port, False) or bound(port, True)
        if s is not None and exclusive(s, port):
            return s
        if s is not None:
            s.close()
        if not waiting:
            print("waiting", flush=True)
            waiting = True
        time.sleep(0.002)
    sys.exit("port_hold.py: 127.0.0.1:%d stayed taken for 60 s" % port)


def main():
    port = int(sys.argv[1])
    s = hold(port)

    def hang(signum, frame):
        # listen() checks the port's other sockets again: those in
        # TIME_WAIT let it through only with SO_REUSEADDR, and a
        # listening socket excludes every other bind anyway.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.listen(64)
        print("listening", flush=True)

    signal.signal(signal.SIGUSR1, hang)
    print("held", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
