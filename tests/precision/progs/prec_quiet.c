/* SPDX-License-Identifier: MIT
 * prec_quiet.c: a correct C program that touches every libc subsystem
 * that keeps memory for the life of the process (stdio buffers, locale
 * data, thread stacks and TLS, NSS modules and the resolver, time-zone
 * data) and releases everything it owns.
 *
 * Under the library's defaults its exit report must be empty. Built again
 * with PREC_CONTROL, it also loses one block, which the report must name
 * and nothing else: the proof that the empty report is not a blind one.
 */
#include <locale.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "prog.h"

#define THREADS 4

#ifdef PREC_CONTROL
/* The only pointer to the block is overwritten: definitely lost. */
PROG_LEAKY static void lose_block(void) {
  prog_sink = malloc(77); /* LEAK:control */
  prog_sink = NULL;
}

/* Zeroes the dead stack below the caller, so no stale copy of the lost
 * address makes the conservative scan call it reachable. */
PROG_LEAKY static void scrub_stack(void) {
  volatile char area[64 * 1024];
  memset((char *)area, 0, sizeof area);
}
#endif

PROG_LEAKY static int use_stdio(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return 1;
  char line[256];
  int lines = 0;
  while (fgets(line, sizeof line, f))
    lines++;
  fclose(f);
  printf("status: %d lines\n", lines);
  return lines > 0 ? 0 : 1;
}

static void *worker(void *arg) {
  char *p = malloc(100 + (size_t)arg);
  if (p) {
    snprintf(p, 100, "worker %ld", (long)(size_t)arg);
    prog_sink = p;
    free(p);
  }
  return arg;
}

PROG_LEAKY static int use_threads(void) {
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++)
    if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
      return 1;
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  return 0;
}

/* A missing resolver configuration is not the program's fault: it says so
 * and goes on. */
PROG_LEAKY static void use_resolver(void) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
  int rc = getaddrinfo("localhost", "80", &hints, &res);
  if (rc != 0) {
    printf("getaddrinfo: %s\n", gai_strerror(rc));
    return;
  }
  int n = 0;
  for (struct addrinfo *a = res; a; a = a->ai_next)
    n++;
  freeaddrinfo(res);
  printf("localhost: %d addresses\n", n);
}

PROG_LEAKY static void use_time(void) {
  tzset();
  time_t now = time(NULL);
  struct tm *tm = localtime(&now);
  char buf[64];
  if (tm && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M %Z", tm))
    printf("now: %s\n", buf);
}

int main(void) {
#ifdef PREC_CONTROL
  lose_block();
  scrub_stack();
#endif
  setlocale(LC_ALL, "");
  int rc = use_stdio() | use_threads();
  use_resolver();
  use_time();
  return rc;
}
