#!/usr/bin/env python3
"""lists_driver - many list requests to mq serve over one keep-alive connection.

usage: lists_driver.py URL TOKEN COMMAND N [STEP]
  create N      POST /v1/lists l0..l(N-1), then 10 subscribers to each
  check N STEP  every STEP-th list of l0..l(N-1): its listing is exactly its
                10 addresses (text), issub of one of them (any case) is 200
                with the address as stored, issub of a stranger is 404
  drop N        DELETE every second list (l0, l2, ...)
  gone N        the dropped ones answer 404, the others still list 10
Prints one line per failure and "ok COMMAND COUNT SECONDS"; exit 1 on any
failure.  The addresses of list lK are memberJ@lK.example, J 0..9.
"""
import http.client
import json
import sys
import time
import urllib.parse


def members(k):
    return ["member%d@l%d.example" % (j, k) for j in range(10)]


class Client:
    def __init__(self, url, token):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        self.auth = {"Authorization": "Bearer " + token,
                     "Content-Type": "application/json"}

    def ask_closing(self, path):
        """GET on a connection of its own, closed after the answer: a
        streamed answer then arrives at once, where on a kept-alive
        connection its last chunk can wait for the client's delayed ACK."""
        c = http.client.HTTPConnection(self.conn.host, self.conn.port,
                                       timeout=60)
        c.request("GET", path, headers={"Connection": "close"})
        r = c.getresponse()
        out = r.status, r.read()
        c.close()
        return out

    def ask(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers=self.auth)
        r = self.conn.getresponse()
        return r.status, r.read()


def create(c, n, step, bad):
    for k in range(n):
        st, body = c.ask("POST", "/v1/lists", {"name": "l%d" % k})
        if st != 201:
            bad.append("create l%d: %d %s" % (k, st, body[:200]))
    for k in range(n):
        st, body = c.ask("POST", "/v1/lists/l%d/subscribers" % k,
                         {"addresses": members(k)})
        if st != 200 or json.loads(body).get("added") != 10:
            bad.append("sub l%d: %d %s" % (k, st, body[:200]))


def listing_is(c, k, bad):
    st, body = c.ask_closing("/v1/lists/l%d/subscribers?format=text" % k)
    got = sorted(body.decode().split("\n")[:-1]) if st == 200 else None
    if got != sorted(members(k)):
        bad.append("list l%d: %d %s" % (k, st, body[:200]))


def check(c, n, step, bad):
    for k in range(0, n, step):
        listing_is(c, k, bad)
        a = "Member3@L%d.example" % k
        st, body = c.ask("GET", "/v1/lists/l%d/subscribers?address=%s"
                         % (k, urllib.parse.quote(a)))
        if st != 200 or json.loads(body).get("address") != members(k)[3]:
            bad.append("issub l%d: %d %s" % (k, st, body[:200]))
        st, body = c.ask("GET", "/v1/lists/l%d/subscribers?address="
                         "stranger@l%d.example" % (k, k + 1))
        if st != 404:
            bad.append("issub of a stranger in l%d: %d" % (k, st))


def drop(c, n, step, bad):
    for k in range(0, n, 2):
        st, body = c.ask("DELETE", "/v1/lists/l%d" % k)
        if st != 200:
            bad.append("drop l%d: %d %s" % (k, st, body[:200]))


def gone(c, n, step, bad):
    for k in range(0, n, step):
        if k % 2 == 0:
            st, _ = c.ask_closing("/v1/lists/l%d/subscribers?format=text"
                                  % k)
            if st != 404:
                bad.append("dropped l%d: %d" % (k, st))
        else:
            listing_is(c, k, bad)


def main():
    url, token, cmd, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    step = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    bad = []
    t0 = time.monotonic()
    {"create": create, "check": check, "drop": drop, "gone": gone}[cmd](
        Client(url, token), n, step, bad)
    for line in bad[:20]:
        print(line)
    print("%s %s %d %.1f" % ("ok" if not bad else "FAILED", cmd, n,
                             time.monotonic() - t0))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
