/*
 * wasi_poll.c -- poll_oneoff.
 *
 * Three passes. (1) Every subscription is read out of guest memory into a
 * host array first, because the guest may let the event array overlap the
 * subscriptions; clock deadlines are converted to CLOCK_MONOTONIC
 * nanoseconds (absolute ones relative to their own clock's "now"). (2) One
 * ppoll() waits for the host descriptors that can block (pipes, ttys,
 * sockets) until the earliest deadline; it does not wait at all if some
 * subscription is ready at once. Ready at once: regular files and
 * directories (as poll(2) says), in-memory stdio, and subscriptions that are
 * errors (bad fd, missing right, bad clock) -- those are reported as events
 * carrying the error, as preview1 specifies. (3) Events are written in
 * subscription order.
 *
 * A deadline signal interrupts ppoll (EINTR): we trap if the runtime says
 * the call must stop, else wait again for the remaining time. Nothing is
 * allocated per call: the arrays live in the context.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_wasi_int.h"
#include "runtime/pe_rt.h"

enum { SUB_READY, SUB_CLOCK, SUB_POLL };

typedef struct {
  uint64_t userdata;
  uint64_t deadline; /* SUB_CLOCK: CLOCK_MONOTONIC ns */
  uint64_t nbytes;   /* SUB_READY */
  uint16_t error, flags;
  uint8_t type, state;
  uint32_t pollidx; /* SUB_POLL: index into pfd */
} sub;

typedef struct {
  sub subs[PE_WASI_POLL_MAX];
  struct pollfd pfd[PE_WASI_POLL_MAX];
} scratch;

static uint64_t mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return pe_wasi_ns(&ts);
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

static void ready(sub *s, uint16_t error, uint64_t nbytes, uint16_t flags) {
  s->state = SUB_READY;
  s->error = error;
  s->nbytes = nbytes;
  s->flags = flags;
}

static void parse_clock(sub *s, const uint8_t *in, uint64_t now) {
  uint32_t id = pe_wasi_ld32(in + 16);
  uint64_t timeout = pe_wasi_ld64(in + 24);
  uint16_t flags = pe_wasi_ld16(in + 40);
  clockid_t c;
  struct timespec ts;
  if ((flags & ~PE_WASI_SUBCLOCK_ABSTIME) || !pe_wasi_clock(id, &c) || clock_gettime(c, &ts) != 0) {
    ready(s, PE_WASI_EINVAL, 0, 0);
    return;
  }
  uint64_t rel = timeout;
  if (flags & PE_WASI_SUBCLOCK_ABSTIME) {
    uint64_t cnow = pe_wasi_ns(&ts);
    rel = timeout > cnow ? timeout - cnow : 0;
  }
  s->state = SUB_CLOCK;
  s->deadline = sat_add(now, rel);
}

static void parse_fd(pe_wasi *w, sub *s, const uint8_t *in, scratch *sc, uint32_t *npfd) {
  pe_wasi_fd *f;
  uint32_t e = pe_wasi_fd_get(w, pe_wasi_ld32(in + 16), PE_WASI_RIGHT_POLL_FD_READWRITE, &f);
  if (e != PE_WASI_ESUCCESS) {
    ready(s, (uint16_t)e, 0, 0);
    return;
  }
  bool rd = s->type == PE_WASI_EVENT_FD_READ;
  switch (f->kind) {
    case PE_WASI_FD_STDIN: {
      size_t left = w->stdin_len - w->stdin_pos;
      ready(s, 0, rd ? left : 0, rd && left == 0 ? PE_WASI_EVENTRW_HANGUP : 0);
      return;
    }
    case PE_WASI_FD_HOST: break;
    default: ready(s, 0, 0, 0); return;
  }
  struct stat st;
  if (fstat(f->host_fd, &st) != 0) {
    ready(s, (uint16_t)pe_wasi_errno(errno), 0, 0);
    return;
  }
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
    uint64_t left = 0;
    if (rd && S_ISREG(st.st_mode)) {
      off_t pos = lseek(f->host_fd, 0, SEEK_CUR);
      if (pos >= 0 && st.st_size > pos) left = (uint64_t)(st.st_size - pos);
    }
    ready(s, 0, left, 0);
    return;
  }
  s->state = SUB_POLL;
  s->pollidx = *npfd;
  sc->pfd[*npfd] = (struct pollfd){.fd = f->host_fd, .events = rd ? POLLIN : POLLOUT};
  (*npfd)++;
}

/* Turns a ready pollfd into an event; false if it is not ready. */
static bool polled(sub *s, const struct pollfd *p) {
  if (p->revents == 0) return false;
  if (p->revents & POLLNVAL) {
    ready(s, PE_WASI_EBADF, 0, 0);
    return true;
  }
  uint64_t nbytes = 0;
  int avail;
  if (s->type == PE_WASI_EVENT_FD_READ && ioctl(p->fd, FIONREAD, &avail) == 0 && avail > 0)
    nbytes = (uint64_t)avail;
  ready(s, 0, nbytes, (p->revents & (POLLHUP | POLLERR)) ? PE_WASI_EVENTRW_HANGUP : 0);
  return true;
}

PE_RT_HOST_ENTRY uint32_t Z_wasi_snapshot_preview1Z_poll_oneoff(pe_wasi *w, uint32_t in_ptr,
                                                                uint32_t out_ptr,
                                                                uint32_t nsubscriptions,
                                                                uint32_t nevents_ptr) {
  pe_rt_host_enter();
  if (nsubscriptions == 0 || nsubscriptions > PE_WASI_POLL_MAX) return PE_WASI_EINVAL;
  const uint8_t *in = pe_wasi_mem(w, in_ptr, (uint64_t)nsubscriptions * PE_WASI_SUBSCRIPTION_SIZE);
  uint8_t *out = pe_wasi_mem(w, out_ptr, (uint64_t)nsubscriptions * PE_WASI_EVENT_SIZE);
  uint8_t *nev = pe_wasi_mem(w, nevents_ptr, 4);
  if (in == NULL || out == NULL || nev == NULL) return PE_WASI_EFAULT;
  if (w->poll_scratch == NULL && (w->poll_scratch = malloc(sizeof(scratch))) == NULL)
    return PE_WASI_ENOMEM;
  scratch *sc = w->poll_scratch;

  /* (1) read everything */
  uint64_t now = mono_now();
  uint32_t npfd = 0;
  bool any_ready = false, any_clock = false;
  uint64_t first_deadline = UINT64_MAX;
  for (uint32_t i = 0; i < nsubscriptions; i++) {
    const uint8_t *s_in = in + (size_t)i * PE_WASI_SUBSCRIPTION_SIZE;
    sub *s = &sc->subs[i];
    *s = (sub){.userdata = pe_wasi_ld64(s_in), .type = s_in[8]};
    switch (s->type) {
      case PE_WASI_EVENT_CLOCK: parse_clock(s, s_in, now); break;
      case PE_WASI_EVENT_FD_READ:
      case PE_WASI_EVENT_FD_WRITE: parse_fd(w, s, s_in, sc, &npfd); break;
      default: return PE_WASI_EINVAL;
    }
    if (s->state == SUB_READY) any_ready = true;
    if (s->state == SUB_CLOCK) {
      any_clock = true;
      if (s->deadline < first_deadline) first_deadline = s->deadline;
    }
  }

  /* (2) wait */
  uint32_t count;
  for (;;) {
    struct timespec ts, *tp = NULL;
    if (any_ready) {
      ts = (struct timespec){0, 0};
      tp = &ts;
    } else if (any_clock) {
      uint64_t t = mono_now();
      uint64_t left = first_deadline > t ? first_deadline - t : 0;
      ts = (struct timespec){.tv_sec = (time_t)(left / 1000000000u),
                             .tv_nsec = (long)(left % 1000000000u)};
      tp = &ts;
    }
    if (ppoll(npfd ? sc->pfd : NULL, npfd, tp, NULL) < 0) {
      if (errno != EINTR) return pe_wasi_errno(errno);
      pe_wasi_interrupted();
      continue;
    }
    /* (3) collect, in subscription order */
    uint64_t t = mono_now();
    count = 0;
    for (uint32_t i = 0; i < nsubscriptions; i++) {
      sub *s = &sc->subs[i];
      bool fire = s->state == SUB_READY || (s->state == SUB_CLOCK && t >= s->deadline) ||
                  (s->state == SUB_POLL && polled(s, &sc->pfd[s->pollidx]));
      if (fire) sc->subs[count++] = *s; /* count <= i: compaction is safe */
    }
    /* Nothing fired (woken early): no entry was moved, so wait again. */
    if (count > 0) break;
  }

  for (uint32_t i = 0; i < count; i++) {
    const sub *s = &sc->subs[i];
    uint8_t *e = out + (size_t)i * PE_WASI_EVENT_SIZE;
    memset(e, 0, PE_WASI_EVENT_SIZE);
    pe_wasi_st64(e + 0, s->userdata);
    pe_wasi_st16(e + 8, s->error);
    e[10] = s->type;
    if (s->type != PE_WASI_EVENT_CLOCK) {
      pe_wasi_st64(e + 16, s->nbytes);
      pe_wasi_st16(e + 24, s->flags);
    }
  }
  pe_wasi_st32(nev, count);
  return PE_WASI_ESUCCESS;
}
