// An LD_PRELOAD library for measuring when a peer issues each op: the CLOCK_MONOTONIC time (ns) and
// offset of every pread/pread64/pwrite/pwrite64 call of at least MIN bytes, written at exit to the
// file $ISSUE_TIMES_OUT as "ns offset" lines. tests/peers/replay_vs_fio.sh preloads it into fio
// (psync engine) to measure the issue lag of fio's iolog replay at microseconds, which fio's own
// logs (millisecond timestamps; write_iolog is refused while replaying) cannot show.
// Build: gcc -O2 -shared -fPIC -o issue_times.so issue_times.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define CAP (1u << 22)
#define MIN_BYTES 512

static unsigned long long stamps[CAP];
static long long offsets[CAP];
static unsigned long count;

static void note(off_t offset, size_t bytes) {
  if (bytes < MIN_BYTES) return;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  unsigned long i = __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED);
  if (i >= CAP) return;
  stamps[i] = (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
  offsets[i] = (long long)offset;
}

typedef ssize_t (*read_fn)(int, void*, size_t, off_t);
typedef ssize_t (*write_fn)(int, const void*, size_t, off_t);

#define WRAP(name, fn, ptr)                                  \
  ssize_t name(int fd, ptr buf, size_t n, off_t off) {       \
    static fn real;                                          \
    if (!real) real = (fn)dlsym(RTLD_NEXT, #name);           \
    note(off, n);                                            \
    return real(fd, buf, n, off);                            \
  }

WRAP(pread, read_fn, void*)
WRAP(pread64, read_fn, void*)
WRAP(pwrite, write_fn, const void*)
WRAP(pwrite64, write_fn, const void*)

__attribute__((destructor)) static void dump(void) {
  const char* path = getenv("ISSUE_TIMES_OUT");
  if (!path || count == 0) return;
  FILE* f = fopen(path, "w");
  if (!f) return;
  unsigned long n = count < CAP ? count : CAP;
  for (unsigned long i = 0; i < n; ++i)
    fprintf(f, "%llu %lld\n", stamps[i], offsets[i]);
  fclose(f);
}
