# Test helper: runs a command on a pseudo-terminal, answers its first "[y/N]" prompt with argv[1]
# (escape sequences allowed, e.g. "n\r" or "\x03" for Ctrl-C; "SIGTERM" sends that signal to the command's
# own process instead of typing), prints what it wrote and exits with its status (128 + n for a signal).
import os, pty, signal, sys, time, select
cmd = sys.argv[2:]
keys = sys.argv[1].encode().decode('unicode_escape').encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out = b''
sent = False
while True:
    r, _, _ = select.select([fd], [], [], 10)
    if not r: break
    try: d = os.read(fd, 4096)
    except OSError: break
    if not d: break
    out += d
    if not sent and b'[y/N]' in out:
        if keys == b'SIGTERM': os.kill(pid, signal.SIGTERM)
        else: os.write(fd, keys)
        sent = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
code = os.waitstatus_to_exitcode(st)
# A death by signal n is reported as the shell does: 128 + n.
sys.exit(128 - code if code < 0 else code)
