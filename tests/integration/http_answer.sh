#!/usr/bin/env bash
# NAME
#	http_answer.sh - answers written from the handler, keep-alive
# DESCRIPTION
#	mq serve writes an answer as soon as its handler has made it, with
#	one writev, on a socket registered once (edge-triggered) and read
#	with one recv a request.  What must hold with that:
#	- requests sent together on one connection (pipelined) are each
#	  answered, in order, with their own answer;
#	- 300 requests one after the other on one keep-alive connection
#	  are all answered right;
#	- HTTP/1.0 without keep-alive and HTTP/1.1 with "Connection:
#	  close" are answered and the connection closed; a request sent
#	  with the client's FIN (half-closed) is answered and closed too;
#	- the system calls a request costs, counted with strace over those
#	  300 requests: one writev, one read (recvfrom; evhttp's readv
#	  and ioctl FIONREAD before), and no epoll_ctl but the
#	  connection's own (evhttp turned reading off and on around each
#	  request: 300).  Skipped when strace cannot attach.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

export MQ_STORE_PATH=$TMP/mq.mdb
command -v python3 > /dev/null || { skip "http answer" "python3 not installed"; finish; }

# client MODE N - a python client on one connection to $PORT:
#	pipelined N: N lookups in one write, every answer read;
#	sequential N: N lookups one after the other;
#	close REQUEST: REQUEST (printf escapes), then all until the server
#	closes (prints EOF) or 2 s pass.
#	Prints each answer's status line and its domain_maxconnections.
client() {
	python3 - "$PORT" "$@" <<'EOF'
import re, socket, sys, time
port, mode, arg = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(5)
buf = b""

def lookup(i):
    return ("GET /v1/lookup/capacity?localip=192.0.2.1&domain=d%d.example "
            "HTTP/1.1\r\nHost: localhost\r\n\r\n" % (i % 3)).encode()

def answer():
    """One answer off the connection: its status line and limit."""
    global buf
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            sys.exit("closed before an answer")
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    length = re.search(rb"\r\nContent-Length: (\d+)", head)
    while length is None and (d := s.recv(65536)):
        buf += d	# no length (HTTP/1.0): the body ends at the close
    n = int(length.group(1)) if length else len(buf)
    while len(buf) < n:
        buf += s.recv(65536)
    body, buf = buf[:n], buf[n:]
    m = re.search(rb'"domain_maxconnections":(\d+)', body)
    print(head.split(b"\r\n")[0].decode(), m.group(1).decode() if m else "-")

if mode == "halfclosed":
    s.sendall(arg.encode().decode("unicode_escape").encode("latin-1"))
    s.shutdown(socket.SHUT_WR)
    s.settimeout(2)
    try:
        answer()
        print("EOF" if not s.recv(65536) else "more")
    except socket.timeout:
        print("open")
elif mode == "pipelined":
    s.sendall(b"".join(lookup(i) for i in range(int(arg))))
    for _ in range(int(arg)):
        answer()
elif mode == "sequential":
    for i in range(int(arg)):
        s.sendall(lookup(i))
        answer()
else:
    s.sendall(arg.encode().decode("unicode_escape").encode("latin-1"))
    s.settimeout(2)
    try:
        answer()
        while True:
            if not s.recv(65536):
                print("EOF")
                break
    except socket.timeout:
        print("open")
EOF
}

# the limits of d0, d1 and d2: 10, 11 and 12
printf 'localip\tdomain\tdomain_maxconnections\n192.0.2.1\td0.example\t10
192.0.2.1\td1.example\t11\n192.0.2.1\td2.example\t12\n' |
	"$MQ" set capacity - > /dev/null
serve_start "$TMP/serve.log" || exit 1

client pipelined 5 > "$TMP/pipelined" 2>&1
expect_eq "5 pipelined requests: 5 answers, in order, each its own" \
	"$(printf 'HTTP/1.1 200 OK %s\n' 10 11 12 10 11)" "$(cat "$TMP/pipelined")"

client sequential 300 > "$TMP/seq" 2>&1
expect_eq "300 requests on one keep-alive connection all answered" \
	300 "$(grep -c '^HTTP/1.1 200 OK 1[012]$' "$TMP/seq")"
expect_eq "each with its own row" "$(for i in $(seq 0 299); do
	echo "HTTP/1.1 200 OK $((10 + i % 3))"; done)" "$(cat "$TMP/seq")"

client close 'GET /v1/lookup/capacity?localip=192.0.2.1&domain=d2.example HTTP/1.0\r\n\r\n' \
	> "$TMP/http10" 2>&1
expect_eq "HTTP/1.0 without keep-alive: answered, then closed" \
	"$(printf 'HTTP/1.0 200 OK 12\nEOF')" "$(cat "$TMP/http10")"
client close 'GET /v1/lookup/capacity?localip=192.0.2.1&domain=d1.example HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' \
	> "$TMP/close" 2>&1
expect_eq "Connection: close: answered, then closed" \
	"$(printf 'HTTP/1.1 200 OK 11\nEOF')" "$(cat "$TMP/close")"

client halfclosed 'GET /v1/lookup/capacity?localip=192.0.2.1&domain=d0.example HTTP/1.1\r\nHost: localhost\r\n\r\n' \
	> "$TMP/half" 2>&1
expect_eq "a request with the client's FIN: answered, then closed" \
	"$(printf 'HTTP/1.1 200 OK 10\nEOF')" "$(cat "$TMP/half")"

# the system calls of the sequential client's requests, by strace
if ! command -v strace > /dev/null; then
	skip "system calls a request" "strace not installed"
else
	strace -f -c -e trace=epoll_ctl,writev,recvfrom,readv,read,ioctl \
		-o "$TMP/strace" \
		-p "$SERVE_PID" 2> "$TMP/strace.err" &
	strace_pid=$!
	sleep 1	# strace attaches to every thread
	client sequential 300 > "$TMP/seq2" 2>&1
	kill -INT "$strace_pid"
	wait "$strace_pid"
	# "% time  seconds  usecs/call  calls  [errors]  syscall"
	calls() { awk -v c="$1" '$NF == c { n = $4 } END { print n + 0 }' \
		"$TMP/strace"; }
	epoll=$(calls epoll_ctl) writes=$(calls writev)
	reads=$(( $(calls recvfrom) + $(calls readv) + $(calls read) ))
	if [ "$writes" = 0 ]; then
		skip "system calls a request" "strace counted nothing: \
$(head -c 200 "$TMP/strace.err")"
	else
		expect_eq "strace: one writev a request" 300 "$writes"
		# the last one reads the client's end; other threads read a few
		check "strace: one read a request ($reads for 300)" \
			test "$reads" -le 310
		expect_eq "strace: no ioctl (FIONREAD)" 0 "$(calls ioctl)"
		# the connection's own ADD (its close removes it)
		check "strace: no epoll_ctl a request (${epoll:-0} for 300)" \
			test "${epoll:-0}" -le 3
	fi
fi

expect_status "serve stops cleanly" 0 serve_stop
finish
