# SPDX-License-Identifier: MIT
# thread_per_request.py: a handler that starts a background thread for
# every request; the threads wait forever and are never joined. Each one
# holds a socket it was given. Dump it (see README.md).
import os
import socket
import sys
import threading
import time

stop = threading.Event()


def watch(sock):
    stop.wait()  # the bug: nothing ever sets it
    sock.close()


def handle(request_id):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t = threading.Thread(target=watch, args=(sock,), daemon=True)
    t.start()  # one thread per request, never joined


def main():
    for request_id in range(10):
        handle(request_id)
    print("pid", os.getpid(), "threads", threading.active_count(), flush=True)
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 30)


main()
