#!/usr/bin/env python3
"""http_clients.py - hostile HTTP clients for tests/integration/http_exhaustion.sh

hold PORT PID N LENGTH SECONDS [TOKEN]
    Opens N connections to 127.0.0.1:PORT, each sending the headers of a
    POST /v1/tables/capacity of Content-Length LENGTH (with the token when
    given) and then as much of the body as the server takes, all but its
    last byte, so no request ever completes.  Holds them SECONDS, reading
    whatever the server answers, while sampling the resident size of
    process PID.  Prints "closed K" (connections the server closed),
    "answered_401 K", "peak_rss_kb X", then closes what is left.

trickle PORT TOKEN LENGTH
    One POST whose body of LENGTH bytes arrives a byte a second.  Prints
    "closed_after S" (seconds until the server closed the connection) and
    "answered CODE" (0: no answer).

idle PORT N
    Opens N connections that send nothing; then one more, and prints
    "extra closed_after S" when the server closes it at once (within 2 s;
    "extra open" otherwise).  Then closes the first and prints "after
    CODE": the status a new connection's GET /health gets.
"""
import socket
import sys
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def head(length, token):
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST /v1/tables/capacity HTTP/1.1\r\nHost: localhost\r\n{auth}"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
            ).encode()


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    return s


def read_some(conn):
    """True when the server closed; answers are kept in conn['got']."""
    try:
        d = conn["s"].recv(65536)
    except BlockingIOError:
        return False
    except OSError:
        return True
    if not d:
        return True
    conn["got"] += d
    return False


def hold(port, pid, n, length, seconds, token=None):
    chunk = b"x" * (256 << 10)
    conns = []
    for _ in range(n):
        s = connect(port)
        s.setblocking(True)
        s.sendall(head(length, token))
        s.setblocking(False)
        conns.append({"s": s, "left": length - 1, "got": b"", "closed": False})
    peak = rss_kb(pid)
    end = time.time() + seconds
    while time.time() < end:
        for c in conns:
            if c["closed"]:
                continue
            while c["left"] > 0:
                try:
                    sent = c["s"].send(chunk[:min(len(chunk), c["left"])])
                except BlockingIOError:
                    break
                except OSError:
                    c["closed"] = True
                    break
                c["left"] -= sent
            if not c["closed"] and read_some(c):
                c["closed"] = True
        peak = max(peak, rss_kb(pid))
        time.sleep(0.02)
    print("closed", sum(c["closed"] for c in conns))
    print("answered_401", sum(c["got"].startswith(b"HTTP/1.1 401") for c in conns))
    print("peak_rss_kb", peak)
    for c in conns:
        c["s"].close()


def trickle(port, token, length):
    s = connect(port)
    s.setblocking(True)
    s.sendall(head(length, token))
    s.setblocking(False)
    conn = {"s": s, "got": b""}
    start = next_byte = time.time()
    while time.time() - start < length:
        if read_some(conn):
            break
        if time.time() >= next_byte:
            next_byte += 1
            try:
                s.send(b"x")
            except OSError:
                break
        time.sleep(0.05)
    print("closed_after", round(time.time() - start, 1))
    code = conn["got"][9:12].decode() if conn["got"] else "0"
    print("answered", code)


def idle(port, n):
    first = [connect(port) for _ in range(n)]
    time.sleep(0.3)
    extra = {"s": connect(port), "got": b""}
    start = time.time()
    while time.time() - start < 2 and not read_some(extra):
        time.sleep(0.02)
    if time.time() - start < 2:
        print("extra closed_after", round(time.time() - start, 2))
    else:
        print("extra open")
    for s in first:
        s.close()
    time.sleep(0.3)
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except OSError:
        pass
    print("after", got[9:12].decode() if got else "0")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "hold":
        hold(int(args[0]), int(args[1]), int(args[2]), int(args[3]),
             float(args[4]), args[5] if len(args) > 5 else None)
    elif cmd == "trickle":
        trickle(int(args[0]), args[1], int(args[2]))
    elif cmd == "idle":
        idle(int(args[0]), int(args[1]))
    else:
        sys.exit(f"unknown command {cmd}")
