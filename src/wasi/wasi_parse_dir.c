/*
 * wasi_parse_dir.c -- "HOST[::GUEST]" command-line directory specs.
 *
 * Split at the first "::", so HOST cannot contain "::" but GUEST can. Both
 * strings live in one allocation (HOST\0GUEST\0) owned by the caller through
 * out->host_path, which keeps the preopen struct of plain const pointers.
 */
#include <stdlib.h>
#include <string.h>

#include "pe_wasi.h"

int pe_wasi_parse_dir(const char *spec, bool read_only, pe_wasi_preopen *out) {
  if (spec == NULL || out == NULL) return -1;
  const char *sep = strstr(spec, "::");
  size_t host_len = sep ? (size_t)(sep - spec) : strlen(spec);
  const char *guest = sep ? sep + 2 : spec;
  size_t guest_len = strlen(guest);
  if (host_len == 0 || guest_len == 0) return -1;
  char *buf = malloc(host_len + 1 + guest_len + 1);
  if (buf == NULL) return -1;
  memcpy(buf, spec, host_len);
  buf[host_len] = '\0';
  memcpy(buf + host_len + 1, guest, guest_len + 1);
  out->host_path = buf;
  out->guest_path = buf + host_len + 1;
  out->read_only = read_only;
  out->has_dir_fd = false;
  out->dir_fd = -1;
  return 0;
}
