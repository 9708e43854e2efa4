# SPDX-License-Identifier: GPL-2.0-or-later
# A stand-in syslog daemon for the tests: binds a datagram socket at PATH, writes each message to OUT
# (one per line) and exits after COUNT messages or TIMEOUT seconds.
import socket
import sys

path, out, count, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(timeout)
with open(out, "w") as f:
    for _ in range(count):
        try:
            msg = s.recv(65536)
        except socket.timeout:
            break
        f.write(msg.decode("utf-8", "replace").rstrip("\n") + "\n")
        f.flush()
