#!/usr/bin/env python3
"""fault_proxy.py - a TCP proxy on loopback that breaks the stream.

usage: fault_proxy.py LISTEN_PORT TARGET_PORT CONTROL_FILE

Relays 127.0.0.1:LISTEN_PORT to 127.0.0.1:TARGET_PORT.  Before each new
connection it reads CONTROL_FILE, one word and an optional number, and
applies it to the bytes from the target to the client (the primary's
side):
  pass           relay as is
  delay MS       hold each chunk MS milliseconds
  drop N         swallow the chunks after the first N bytes, keep open
  cut N          close both sides after N bytes (mid-frame)
  duplicate N    send the chunk holding byte N twice
  reorder N      swap the chunk holding byte N with the next one
  corrupt N      flip the bits of byte N
Prints "listening" once ready; runs until killed.
"""
import socket
import sys
import threading
import time


def mode_of(path):
    try:
        words = open(path).read().split()
    except OSError:
        words = []
    return (words[0] if words else "pass",
            int(words[1]) if len(words) > 1 else 0)


def close(*socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def upstream(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    close(src, dst)


def downstream(src, dst, mode, n):
    seen, held = 0, None
    try:
        while True:
            data = src.recv(16384)
            if not data:
                break
            start, seen = seen, seen + len(data)
            hit = start <= n < seen
            if mode == "delay":
                time.sleep(n / 1000.0)
            elif mode == "drop" and seen > n:
                continue
            elif mode == "cut" and seen > n:
                dst.sendall(data[:n - start] if n > start else b"")
                break
            elif mode == "corrupt" and hit:
                b = bytearray(data)
                b[n - start] ^= 0xFF
                data = bytes(b)
            elif mode == "duplicate" and hit:
                dst.sendall(data)
            elif mode == "reorder" and hit:
                held = data
                continue
            dst.sendall(data)
            if held is not None and not hit:
                dst.sendall(held)
                held = None
    except OSError:
        pass
    close(src, dst)


def serve(conn, target, control):
    mode, n = mode_of(control)
    try:
        up = socket.create_connection(("127.0.0.1", target))
    except OSError:
        close(conn)
        return
    threading.Thread(target=upstream, args=(conn, up), daemon=True).start()
    downstream(up, conn, mode, n)


def main():
    port, target, control = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(8)
    print("listening", flush=True)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn, target, control),
                         daemon=True).start()


if __name__ == "__main__":
    main()
