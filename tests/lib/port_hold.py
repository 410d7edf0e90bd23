#!/usr/bin/env python3
"""port_hold.py - keep a stopped server's TCP port of 127.0.0.1 its own;
bind, take or probe such a port; hold a UDP port that never answers.

usage: port_hold.py PORT
       port_hold.py bind PORT REUSEADDR [REUSEPORT]
       port_hold.py take PORT
       port_hold.py answer PORT [pg]
       port_hold.py silent PORT

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

What the tests check about a held port, and the other program that
takes a port nothing held:

bind: bind 127.0.0.1:PORT with SO_REUSEADDR and SO_REUSEPORT as given
(0 or 1, REUSEPORT 0 when left out) and listen; exit 0 if that worked,
1 saying why if not.

take: bind 127.0.0.1:PORT with SO_REUSEADDR (as servers do) and
listen, print "listening", and keep it until SIGTERM (60 s at most).

answer: print what a connection to 127.0.0.1:PORT gets: "refused", or
"open" once connected.  With pg it then sends a PostgreSQL SSL request
and prints "data" (an answer within 1 s), "closed" (the server closed
the connection) or "silence" (nothing within 1 s, as from a port that
listens and never accepts).

silent: bind UDP 127.0.0.1:PORT and never read: a DNS server that
never answers (a query to a port nothing bound is refused at once).
Prints "bound", and keeps it until SIGTERM (300 s at most).
"""
import errno
import signal
import socket
import sys
import time


def bound(port, reuse, reuseport=False):
    """A socket bound to 127.0.0.1:port, or None if the port is taken."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, int(reuse))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, int(reuseport))
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


def bind(port, reuseaddr, reuseport="0"):
    s = bound(int(port), int(reuseaddr), int(reuseport))
    if s is None:
        sys.exit("port_hold.py: 127.0.0.1:%s is taken" % port)
    s.listen(1)
    return s


def take(port):
    s = bind(port, "1")
    print("listening", flush=True)
    time.sleep(60)


# PostgreSQL's SSL request: a length of 8 and the code 80877103.
PG_SSL_REQUEST = b"\0\0\0\x08\x04\xd2\x16\x2f"


def connection(port, probe):
    """What a connection to 127.0.0.1:port gets (answer's words)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        if probe != "pg":
            return "open"
        s.settimeout(1)
        s.sendall(PG_SSL_REQUEST)
        return "data" if s.recv(1) else "closed"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "silence"
    finally:
        s.close()


def answer(port, probe=None):
    print(connection(int(port), probe))


def silent(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(port)))
    print("bound", flush=True)
    time.sleep(300)


def hold_until_term(port):
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


USAGE = __doc__.split("\n\n")[1]
COMMANDS = {
    "bind": (bind, (2, 3)),
    "take": (take, (1, 1)),
    "answer": (answer, (1, 2)),
    "silent": (silent, (1, 1)),
}


def main():
    args = sys.argv[1:]
    if len(args) == 1 and args[0].isdigit():
        return hold_until_term(int(args[0]))
    fn, (least, most) = COMMANDS.get(args[0] if args else "", (None, (0, 0)))
    if fn is None or not least <= len(args) - 1 <= most:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    fn(*args[1:])


if __name__ == "__main__":
    main()
