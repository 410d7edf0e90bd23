#!/usr/bin/env python3
"""
NAME
    repl_load.py - replication lag under a write rate, and throughput

SYNOPSIS
    bench/repl_load.py PRIMARY_PORT REPLICA_PORT TOKEN

DESCRIPTION
    Called by bench/replication.sh with a primary and a replica already
    in step.  Two change feeds (GET /v1/changes), one on each node, note
    the moment each sequence arrives; the lag of a commit is the
    replica's moment minus the primary's, so the feeds' own delivery
    cancels out and what remains is shipping, applying and committing
    on the replica.

    Rate phases: for each rate in MQ_BENCH_REPL_RATES (rows a second,
    default "1000 10000"), MQ_BENCH_REPL_SECONDS (default 5) of API
    writes to mtanames, paced in batches of rate/1000 rows (at least
    one) each millisecond slot: p50, p99 and the largest lag.

    Throughput phase: MQ_BENCH_REPL_BULK rows (default 200000) written
    as fast as one client can, in batches of 1000: the primary's rate
    (rows over the time its API took) beside the replicated rate (rows
    over the time until the replica's feed shows the last one).

    Exits 1 when a sequence the primary committed never reaches the
    replica (within 60 s), so the figures cannot silently measure
    nothing.
"""
import http.client
import json
import os
import sys
import threading
import time


def feed(port, since, seen, cond):
    """Read one node's change feed; note when each sequence arrives."""
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/v1/changes?since=%d&table=mtanames" % since)
    r = c.getresponse()
    if r.status != 200:
        sys.exit("feed on port %d: HTTP %d" % (port, r.status))
    while True:
        line = r.readline()
        if not line:
            return
        t = time.monotonic()
        seq = json.loads(line)["seq"]
        with cond:
            seen[seq] = t
            cond.notify_all()


class Node:
    def __init__(self, port, since):
        self.seen, self.cond = {}, threading.Condition()
        threading.Thread(target=feed, daemon=True,
                         args=(port, since, self.seen, self.cond)).start()

    def wait_for(self, seq, timeout=60):
        end = time.monotonic() + timeout
        with self.cond:
            while seq not in self.seen:
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.seen[seq]


def post(conn, token, rows):
    conn.request("POST", "/v1/tables/mtanames", body=json.dumps(rows),
                 headers={"Authorization": "Bearer " + token,
                          "Content-Type": "application/json"})
    r = conn.getresponse()
    body = r.read()
    if r.status not in (200, 201):
        sys.exit("write: HTTP %d %s" % (r.status, body[:200]))


def newest_seq(port):
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/metrics")
    for line in c.getresponse().read().decode().splitlines():
        if line.startswith("mq_store_sequence "):
            return int(float(line.split()[1]))
    sys.exit("no mq_store_sequence in /metrics on port %d" % port)


counter = [0]


def rows(n):
    out = []
    for _ in range(n):
        i = counter[0]
        counter[0] += 1
        out.append({"localip": "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255,
                                                i & 255),
                    "hostname": "mx%d.example" % (i >> 24)})
    return out


def pct(v, p):
    return v[min(len(v) - 1, len(v) * p // 100)]


def rate_phase(pw, token, prim, repl, rate, seconds):
    batch = max(1, rate // 1000)
    slots = rate // batch		# batches a second
    conn = http.client.HTTPConnection("127.0.0.1", pw)
    first = newest_seq(pw) + 1
    start = time.monotonic()
    sent = 0
    while sent < slots * seconds:
        due = start + sent / slots
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        post(conn, token, rows(batch))
        sent += 1
    took = time.monotonic() - start
    last = newest_seq(pw)
    if repl.wait_for(last) is None or prim.wait_for(last) is None:
        sys.exit("sequence %d never reached the replica" % last)
    lags = sorted((repl.seen[s] - prim.seen[s]) * 1000
                  for s in range(first, last + 1)
                  if s in repl.seen and s in prim.seen)
    if not lags:
        sys.exit("no sequence seen on both nodes")
    print("lag at %d rows/s (%d sent in %.1f s, %d rows a batch): "
          "p50 %.2f ms, p99 %.2f ms, max %.2f ms"
          % (rate, sent * batch, took, batch, pct(lags, 50), pct(lags, 99),
             lags[-1]))


def bulk_phase(pw, token, repl, n):
    conn = http.client.HTTPConnection("127.0.0.1", pw)
    start = time.monotonic()
    for _ in range(n // 1000):
        post(conn, token, rows(1000))
    primary_done = time.monotonic()
    last = newest_seq(pw)
    t = repl.wait_for(last)
    if t is None:
        sys.exit("sequence %d never reached the replica" % last)
    local = n / (primary_done - start)
    replicated = n / (t - start)
    print("throughput, %d rows in batches of 1000: primary %.0f rows/s, "
          "replicated %.0f rows/s, ratio %.2f"
          % (n, local, replicated, replicated / local))


def main():
    pw, rw, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rates = [int(x) for x in
             os.environ.get("MQ_BENCH_REPL_RATES", "1000 10000").split()]
    seconds = int(os.environ.get("MQ_BENCH_REPL_SECONDS", "5"))
    bulk = int(os.environ.get("MQ_BENCH_REPL_BULK", "200000"))
    since = newest_seq(pw)
    prim, repl = Node(pw, since), Node(rw, since)
    time.sleep(0.2)		# both feeds open before the first write
    for rate in rates:
        rate_phase(pw, token, prim, repl, rate, seconds)
    bulk_phase(pw, token, repl, bulk)


main()
