/* SPDX-License-Identifier: MIT
 * read_file.h: the one whole-file reader: a file's bytes into a growable
 * mapping (mbuf.h). Suppression files at start-up (suppress.c) and
 * /proc/self/maps, with the world stopped (reach_proc.c) or at report
 * time (report_kinds.c), are read with it; small /proc files into the
 * caller's buffer with its little sibling, ls_read_small.
 *
 * Raw system calls (raw_syscall.h): no errno, no lock, no cancellation
 * point, no interposer, and memory only from mmap, so it may run while
 * the other threads are stopped.
 */
#ifndef LS_READ_FILE_H
#define LS_READ_FILE_H

#include "mbuf.h"

/* How a read that got the file open ended. */
typedef enum {
  LS_READ_WHOLE = 0,  /* up to the end of the file */
  LS_READ_CUT = 1,    /* max bytes came before the end */
  LS_READ_NO_EOF = 2, /* wait_ms passed with no data and no end */
  LS_READ_FAILED = 3, /* a read failed (*err says how) */
} ls_read_end_t;

/* Reads the file at path into m->p[0 .. m->len). m may be empty or hold
 * the buffer of an earlier read, whose capacity is used again; a new one
 * starts at first bytes. A read that fills the buffer starts over, from a
 * fresh open, in one twice the size, up to max bytes: a /proc file so
 * comes out of a single pass, made after the buffer's own mapping moved.
 * A file that cannot be read twice (a pipe) needs first == max.
 *
 * The file is opened O_NONBLOCK, so a FIFO, terminal or device at path
 * can never block: with no data yet, it waits up to wait_ms in all (in
 * steps of 100 ms), then gives what came.
 *
 * Returns an ls_read_end_t, *err set to the errno of LS_READ_FAILED (0
 * otherwise), or -errno when the file could not be opened or no memory
 * was had (m->len is then 0). */
int ls_read_file(const char *path, ls_mbuf_t *m, size_t first, size_t max, int wait_ms, int *err);

/* Reads up to cap - 1 bytes of the file at path into buf, then a NUL: a
 * small file (a /proc status or name) in the caller's memory, no mapping.
 * Returns the length, or -errno when it cannot be opened. */
long ls_read_small(const char *path, char *buf, size_t cap);

#endif
