#!/usr/bin/env python3
# NAME
#	doc_examples.py - run the examples of README.md and docs/*.md
# SYNOPSIS
#	doc_examples.py REPO WORKDIR PORT FILE...
# DESCRIPTION
#	Reads the fenced code blocks of each markdown FILE and runs those
#	whose info string says they are runnable (the convention is in
#	tests/README.md, "The doc test"):
#
#	  ```sh / ```bash   each command (a line, with its \ continuations)
#	                    runs in bash in WORKDIR and must exit 0
#	  ```console        "$ " lines are commands; the lines after one,
#	                    up to the next "$ ", are its expected output
#	                    (stdout and stderr), "..." matching any text
#	  ```conf           a config file: mq --config FILE config exits 0
#
#	An HTML comment just above a block changes it:
#	<!-- doctest: skip REASON --> (not run, listed with REASON) and
#	<!-- doctest: exit N --> (each command of the block exits N).
#	An indented or untyped block whose first line reads as a command
#	(mq, curl, ./build.sh, ...) is an error: it must be typed so the
#	test runs it, or marked skip.
#
#	The test's own mq serve listens on 127.0.0.1:PORT with the token
#	"secret"; a command's "127.0.0.1:8485" becomes "127.0.0.1:PORT",
#	and a line that starts mq serve in the background ("... mq serve
#	&") is that server, checked to carry the same token.
#
#	Prints one result a line for the caller: "ok<TAB>NAME",
#	"fail<TAB>NAME<TAB>DETAIL" (DETAIL with \n escaped as \\n) or
#	"skip<TAB>NAME<TAB>REASON".

import re
import subprocess
import sys

RUNNABLE = {"sh": "sh", "bash": "sh", "console": "console", "conf": "conf"}
COMMANDLIKE = re.compile(r"^\s*(\$ |mq |build/mq |curl |\./build\.sh |make |"
                         r"docker |MQ_[A-Z_]+=\S* )")
MARK = re.compile(r"^<!--\s*doctest:\s*(skip|exit)\s*(.*?)\s*-->\s*$")
SERVE_BG = re.compile(r"^(?:(\w+=\S*)\s+)*\S*mq serve\s*&\s*(#.*)?$")
TOKEN = "secret"
TIMEOUT = 60


def blocks(path):
    """Yield (line, info, mark, lines) for each code block of path."""
    with open(path, encoding="utf-8") as f:
        text = f.read().split("\n")
    i, mark, prev_blank = 0, None, True
    while i < len(text):
        line = text[i]
        m = MARK.match(line)
        if m:
            mark = (m.group(1), m.group(2))
            i += 1
            continue
        if line.startswith("```"):
            start, info, body = i + 1, line[3:].strip(), []
            i += 1
            while i < len(text) and not text[i].startswith("```"):
                body.append(text[i])
                i += 1
            yield start, info, mark, body
            mark, prev_blank = None, False
        elif line.startswith("    ") and prev_blank and line.strip():
            start, body = i + 1, []
            while i < len(text) and (text[i].startswith("    ") or
                                     not text[i].strip()):
                body.append(text[i][4:])
                i += 1
            yield start, "indented", mark, body
            mark, prev_blank = None, True
            continue
        elif line.strip():
            mark = None
        prev_blank = not line.strip()
        i += 1


def commands(lines):
    """A sh block's commands, each joined with its continuation lines."""
    out = []
    for line in lines:
        if out and out[-1].endswith("\\"):
            out[-1] += "\n" + line
        elif line.strip():
            out.append(line)
    return out


def console_commands(lines):
    """Split a console block: [(command, expected)]."""
    out = []
    for line in lines:
        if out and out[-1][0].endswith("\\"):
            out[-1][0] += "\n" + line
        elif line.startswith("$ "):
            out.append([line[2:], []])
        elif out:
            out[-1][1].append(line)
    return [(c, "\n".join(e).strip("\n")) for c, e in out]


def matches(expected, actual):
    """Whether actual is expected with each "..." standing for any text
    (a run of spaces and tabs equals any other: a page shows TSV's tabs
    as spaces)."""
    def blanks(t):
        return re.sub(r"[ \t]+", " ", t)
    parts = [re.escape(p) for p in blanks(expected).split("...")]
    return re.fullmatch(".*?".join(parts), blanks(actual), re.S) is not None


def run(cmd, workdir, port):
    cmd = cmd.replace("127.0.0.1:8485", "127.0.0.1:%s" % port)
    try:
        p = subprocess.run(["bash", "-c", cmd], cwd=workdir, timeout=TIMEOUT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % TIMEOUT
    return p.returncode, p.stdout.decode("utf-8", "replace").strip("\n")


def report(kind, name, detail=""):
    detail = detail.replace("\n", "\\n").replace("\t", " ")
    print("%s\t%s\t%s" % (kind, name, detail), flush=True)


def serve_line(cmd, name):
    """A background mq serve line: the test's server, with its token."""
    env = dict(a.split("=", 1) for a in re.findall(r"(\w+=\S*)\s", cmd))
    if env.get("MQ_WWW_TOKEN", TOKEN) == TOKEN:
        report("ok", name + " (the test's mq serve)")
    else:
        report("fail", name, "a served token other than '%s'" % TOKEN)


def run_command(name, cmd, want_exit, expected, workdir, port):
    if SERVE_BG.match(cmd.strip()):
        return serve_line(cmd, name)
    status, out = run(cmd, workdir, port)
    detail = "command: %s\nexit status: %s\noutput:\n%s" % (cmd, status, out)
    if status != want_exit:
        report("fail", name, "expected exit status %d\n%s" % (want_exit,
                                                              detail))
    elif expected is not None and not matches(expected, out):
        report("fail", name, "expected output:\n%s\n%s" % (expected, detail))
    else:
        report("ok", name)


def run_conf(name, body, workdir):
    path = "%s/doc-example.conf" % workdir
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(body) + "\n")
    run_command(name, "mq --config doc-example.conf config >/dev/null", 0,
                None, workdir, 0)


def first_line(cmd):
    return cmd.split("\n")[0][:60]


def run_block(rel, start, info, mark, body, workdir, port):
    where = "%s:%d" % (rel, start)
    kind = RUNNABLE.get(info.split(" ")[0] if info else "")
    if kind is None:
        first = next((l for l in body if l.strip()), "")
        if COMMANDLIKE.match(first) and not (mark and mark[0] == "skip"):
            report("fail", where + ": a command in an untyped block",
                   "give it ```sh or ```console, or mark it skip: " + first)
        return
    if mark and mark[0] == "skip":
        report("skip", where, mark[1] or "no reason given")
        return
    want = int(mark[1]) if mark and mark[0] == "exit" else 0
    if kind == "conf":
        return run_conf(where + ": mq config accepts it", body, workdir)
    if kind == "sh":
        for cmd in commands(body):
            if cmd.lstrip().startswith("#"):
                continue
            run_command("%s: %s" % (where, first_line(cmd)), cmd, want, None,
                        workdir, port)
        return
    for cmd, expected in console_commands(body):
        run_command("%s: %s" % (where, first_line(cmd)), cmd, want,
                    expected, workdir, port)


def main():
    repo, workdir, port = sys.argv[1:4]
    for path in sys.argv[4:]:
        rel = path[len(repo) + 1:] if path.startswith(repo + "/") else path
        for start, info, mark, body in blocks(path):
            run_block(rel, start, info, mark, body, workdir, port)


if __name__ == "__main__":
    main()
