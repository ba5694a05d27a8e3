# SPDX-License-Identifier: MIT
# py_fds.py: files and sockets a service keeps open, and a function that
# closes its own, seen in a dump of the running program. At exit the
# interpreter closes them all (finalization), so only a dump shows them.
import os
import socket
import sys
import tempfile

import lsdump

held = []


def open_logs(directory, n):
    for i in range(n):
        held.append(open(os.path.join(directory, "log%d.txt" % i), "w"))  # /* LEAK:files */


def open_sockets(n):
    for _ in range(n):
        held.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))  # /* LEAK:sockets */


def read_and_close(directory, n):
    for i in range(n):
        with open(os.path.join(directory, "log%d.txt" % i)) as f:  # /* LEAK:closed */
            f.read()


def main():
    directory = tempfile.mkdtemp()
    open_logs(directory, 5)
    open_sockets(3)
    read_and_close(directory, 4)
    print("dir", directory)
    sys.stdout.flush()
    lsdump.dump()


main()
