#!/usr/bin/env python3
"""tls_mitm.py - a man in the middle that terminates TLS itself.

usage: tls_mitm.py LISTEN_PORT TARGET_PORT CERT KEY

Accepts TLS on 127.0.0.1:LISTEN_PORT with its own certificate, opens its
own TLS session to 127.0.0.1:TARGET_PORT, and relays the plaintext both
ways: what a proxy holding a trusted certificate could do.  mq's peers
must refuse it, since each side signs its own session's exporter value.
Prints "listening" once ready; runs until killed.
"""
import socket
import ssl
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.close()
        except OSError:
            pass


def serve(conn, target, server_ctx, client_ctx):
    try:
        inner = server_ctx.wrap_socket(conn, server_side=True)
        outer = client_ctx.wrap_socket(
            socket.create_connection(("127.0.0.1", target)))
    except (OSError, ssl.SSLError):
        conn.close()
        return
    threading.Thread(target=pump, args=(inner, outer), daemon=True).start()
    pump(outer, inner)


def main():
    port, target, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(8)
    print("listening", flush=True)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn, target, server_ctx, client_ctx),
                         daemon=True).start()


if __name__ == "__main__":
    main()
