# Runs a command in a real pseudo-terminal and relays bytes: our stdin goes to
# the terminal as keystrokes, the terminal's screen output comes to our stdout.
# Exits with the command's exit code (128+N for a signal, like a shell).
import os, pty, select, sys, struct, fcntl, termios

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
stdin_open = True
while True:
    rlist = [fd] + ([0] if stdin_open else [])
    r, _, _ = select.select(rlist, [], [], 0.1)
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        os.write(1, data)
    if 0 in r:
        data = os.read(0, 1024)
        if data:
            os.write(fd, data)
        else:
            stdin_open = False
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
