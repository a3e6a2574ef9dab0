/*
 * host_pyedge.c -- the "pyedge" import module: host calls that our guest
 * embedding (guest/) makes through the builtin Python module `_pyedge`.
 *
 * Guest memory is reached through the instance whose call is running on this
 * thread, and every (ptr, len) is checked against the live memory size with
 * 64-bit arithmetic before it is touched. A bad pointer is a guest bug, not a
 * host one: log() ignores the line, version() returns 0.
 *
 * call()/reply(): the service runs inside call(); its reply waits in a
 * per-thread buffer until reply() copies it out (a thread runs one guest
 * call at a time, and the guest asks for the reply right away). A reply the
 * guest never collects is dropped by the next call() on the thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "pe_host_abi.h"
#include "pe_hostcall.h"
#include "runtime/pe_rt.h"
#include "util/pe_version.h"
#include "wasi/pe_wasi.h"

#define PE_LOG_MAX 65536u

static uint8_t *guest_span(uint32_t ptr, uint32_t len) {
  pe_instance *inst = pe_rt_current();
  wasm_rt_memory_t *mem = inst ? pe_instance_memory(inst) : NULL;
  if (!mem || (uint64_t)ptr + len > mem->size) return NULL;
  return mem->data + ptr;
}

static const char *level_name(uint32_t level) {
  switch (level) {
    case 0: return "debug";
    case 1: return "info";
    case 2: return "warning";
    case 3: return "error";
    default: return "critical";
  }
}

PE_RT_HOST_ENTRY void Z_pyedgeZ_log(struct Z_pyedge_instance_t *host, uint32_t level, uint32_t ptr,
                                    uint32_t len) {
  pe_rt_host_enter();
  (void)host;
  if (len > PE_LOG_MAX) len = PE_LOG_MAX;
  const uint8_t *msg = guest_span(ptr, len);
  if (!msg) return;
  /* one write, so concurrent guests do not interleave within a line */
  char line[PE_LOG_MAX + 64];
  int head = snprintf(line, sizeof line, "pyedge[guest] %s: ", level_name(level));
  size_t n = (size_t)head;
  for (uint32_t i = 0; i < len && n < sizeof line - 1; i++)
    line[n++] = (msg[i] == '\n' || msg[i] == '\r') ? ' ' : (char)msg[i];
  line[n++] = '\n';
  fwrite(line, 1, n, stderr);
}

PE_RT_HOST_ENTRY uint32_t Z_pyedgeZ_version(struct Z_pyedge_instance_t *host, uint32_t buf,
                                            uint32_t cap) {
  pe_rt_host_enter();
  (void)host;
  uint32_t n = (uint32_t)strlen(PE_VERSION);
  uint8_t *dst = guest_span(buf, cap < n ? cap : n);
  if (!dst) return 0;
  memcpy(dst, PE_VERSION, cap < n ? cap : n);
  return n;
}

static _Thread_local pe_buf pending_reply;
static _Thread_local bool reply_pending;
static _Thread_local bool reply_key_set;

/* The buffer outlives each call; a thread that ends (a worker of the pool)
 * frees it through this key's destructor. */
static pthread_once_t reply_once = PTHREAD_ONCE_INIT;
static pthread_key_t reply_key;
static bool reply_key_ready;

static void reply_buf_free(void *b) { pe_buf_free(b); }
static void reply_key_init(void) {
  reply_key_ready = pthread_key_create(&reply_key, reply_buf_free) == 0;
}
static void reply_buf_register(void) {
  if (reply_key_set || !pending_reply.data) return;
  pthread_once(&reply_once, reply_key_init);
  reply_key_set = reply_key_ready && pthread_setspecific(reply_key, &pending_reply) == 0;
}

PE_RT_HOST_ENTRY uint32_t Z_pyedgeZ_call(struct Z_pyedge_instance_t *host, uint32_t svc_ptr,
                                         uint32_t svc_len, uint32_t in_ptr, uint32_t in_len) {
  pe_rt_host_enter();
  pending_reply.len = 0;
  reply_pending = false;
  pe_host_services *hs = pe_wasi_host_data((pe_wasi *)host);
  if (!hs || !hs->call) return UINT32_MAX;
  const uint8_t *svc = guest_span(svc_ptr, svc_len);
  const uint8_t *in = guest_span(in_ptr, in_len);
  if (!svc || !in || svc_len > 256) {
    pe_hc_error(&pending_reply, PE_HC_INVALID, "service name or payload outside guest memory");
  } else {
    /* the service may block and the guest's memory stays put meanwhile:
     * the guest is suspended inside this call */
    hs->call(hs->ctx, (const char *)svc, svc_len, in, in_len, &pending_reply);
    if (pending_reply.len == 0) pe_hc_error(&pending_reply, PE_HC_BACKEND, "out of memory");
  }
  if (pending_reply.len > INT32_MAX) pe_hc_error(&pending_reply, PE_HC_LIMIT, "reply too large");
  reply_buf_register();
  reply_pending = true;
  return (uint32_t)pending_reply.len;
}

PE_RT_HOST_ENTRY uint32_t Z_pyedgeZ_reply(struct Z_pyedge_instance_t *host, uint32_t buf,
                                          uint32_t cap) {
  pe_rt_host_enter();
  (void)host;
  if (!reply_pending) return UINT32_MAX;
  reply_pending = false;
  uint32_t n = (uint32_t)pending_reply.len;
  uint32_t copied = 0;
  if (n <= cap) {
    uint8_t *dst = guest_span(buf, n);
    if (dst) {
      memcpy(dst, pending_reply.data, n);
      copied = n;
    }
  }
  pending_reply.len = 0;
  /* do not keep a large reply's buffer alive on this thread */
  if (pending_reply.cap > (1u << 20)) pe_buf_free(&pending_reply);
  return copied;
}
