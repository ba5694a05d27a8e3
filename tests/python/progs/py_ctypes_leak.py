# SPDX-License-Identifier: MIT
# py_ctypes_leak.py: a C allocation made from Python (ctypes) and never
# freed. The exit report must name the Python function and line.
import ctypes

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]


def leak_buffers(n):
    for _ in range(n):
        libc.malloc(1000)  # /* LEAK:ctypes */


def freed_buffers(n):
    for _ in range(n):
        libc.free(libc.malloc(3000))  # /* LEAK:freed */


def main():
    leak_buffers(3)
    freed_buffers(5)


main()
