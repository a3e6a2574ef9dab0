/*
 * host_pyedge.c -- the "pyedge" import module: host calls that our guest
 * embedding (guest/) makes through the builtin Python module `_pyedge`.
 *
 * Guest memory is reached through the instance whose call is running on this
 * thread, and every (ptr, len) is checked against the live memory size with
 * 64-bit arithmetic before it is touched. A bad pointer is a guest bug, not a
 * host one: log() ignores the line, version() returns 0.
 */
#include <stdio.h>
#include <string.h>

#include "pe_host_abi.h"
#include "pe_rt.h"
#include "pe_version.h"

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

PE_RT_HOST_ENTRY void Z_pyedgeZ_log(struct Z_pyedge_instance_t *host, uint32_t level, uint32_t ptr, uint32_t len) {
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

PE_RT_HOST_ENTRY uint32_t Z_pyedgeZ_version(struct Z_pyedge_instance_t *host, uint32_t buf, uint32_t cap) {
  pe_rt_host_enter();
  (void)host;
  uint32_t n = (uint32_t)strlen(PE_VERSION);
  uint8_t *dst = guest_span(buf, cap < n ? cap : n);
  if (!dst) return 0;
  memcpy(dst, PE_VERSION, cap < n ? cap : n);
  return n;
}
