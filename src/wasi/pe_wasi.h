/*
 * pe_wasi.h -- the WASI preview1 host: what the CLI and the runtime use.
 *
 * A pe_wasi is one guest's view of the outside world: its arguments and
 * environment, its descriptor table (stdio, preopened directories, whatever
 * it opened beneath them) and where its stdio goes. Generated module code
 * calls the `wasi_snapshot_preview1` imports (declared in pe_wasi_abi.h) with
 * a pointer to this context as the import instance; wasm2c names that type
 * `struct Z_wasi_snapshot_preview1_instance_t`, so the context *is* that
 * struct and pe_wasi is merely a shorter name for it.
 *
 * Security model (the sandbox boundary):
 *  - The guest reaches the host file system only beneath its preopened
 *    directories. Every path is resolved by the kernel with openat2(2)
 *    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS relative to the descriptor the
 *    guest names; the final operation uses *at() calls on a directory
 *    descriptor obtained that way. `..` above that descriptor, absolute
 *    paths and symlinks that lead out all fail with ENOTCAPABLE.
 *  - Rights (fs_rights_base / fs_rights_inheriting) are enforced per
 *    descriptor. A read-only preopen simply lacks every right that writes,
 *    creates, removes, renames, links, truncates or sets times, and so does
 *    everything opened beneath it: such calls fail with ENOTCAPABLE (76).
 *  - Guest pointers are checked against the current memory size on every
 *    call; a bad one yields EFAULT and nothing is written.
 *
 * Needs Linux >= 5.6 (openat2); on older kernels every path call fails with
 * ENOSYS rather than resolving paths less safely.
 *
 * A context is used by one call at a time (the runtime guarantees it for the
 * instance it belongs to); different contexts are independent and may be
 * used from different threads at once.
 */
#ifndef PE_WASI_H
#define PE_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/wasm-rt.h"

struct Z_wasi_snapshot_preview1_instance_t;
typedef struct Z_wasi_snapshot_preview1_instance_t pe_wasi;

typedef enum {
  PE_WASI_STDIO_INHERIT, /* the host's own descriptor (a duplicate of it) */
  PE_WASI_STDIO_CAPTURE, /* an in-memory buffer, read with pe_wasi_captured() */
  PE_WASI_STDIO_NULL     /* writes vanish, reads see end of file */
} pe_wasi_stdio_mode;

typedef struct {
  const char *host_path;  /* directory on the host */
  const char *guest_path; /* the name the guest sees; NULL: host_path */
  bool read_only;
  /* when has_dir_fd: open the directory as openat(dir_fd, ".") instead of
   * by host_path (cheaper per context, and immune to the path being
   * swapped on the host after start-up); host_path stays for messages */
  bool has_dir_fd;
  int dir_fd;
} pe_wasi_preopen;

typedef struct {
  int argc;
  const char *const *argv; /* argv[0] included */
  int envc;
  const char *const *envp; /* "K=V" */
  int npreopens;
  const pe_wasi_preopen *preopens; /* guest fds 3, 4, ... in this order */
  pe_wasi_stdio_mode stdout_mode, stderr_mode;
  /* stdin: the host's unless stdin_data != NULL (those bytes, copied) or
   * stdin_null (immediately at end of file). */
  const uint8_t *stdin_data;
  size_t stdin_len;
  bool stdin_null;
  size_t capture_limit; /* bytes per captured stream; 0: 16 MiB */
} pe_wasi_config;

#define PE_WASI_DEFAULT_CAPTURE_LIMIT ((size_t)16 << 20)

/* Creates a context; opens every preopen now (a failure names the path in
 * err). Strings in cfg are copied. NULL on failure. */
pe_wasi *pe_wasi_new(const pe_wasi_config *cfg, char *err, size_t errlen);

/* The instance's linear memory, once instantiated. Until then every call that
 * touches guest memory fails with EFAULT. */
void pe_wasi_attach_memory(pe_wasi *w, wasm_rt_memory_t *mem);

/* What the guest wrote to captured stream `fd` (1 or 2, the original stream
 * even if the guest renumbered it). NULL with *len 0 if that stream is not
 * captured or nothing was written yet. Valid until the next guest call. */
const uint8_t *pe_wasi_captured(const pe_wasi *w, int fd, size_t *len);
/* True if output to captured stream `fd` was dropped at the limit. */
bool pe_wasi_capture_truncated(const pe_wasi *w, int fd);
/* How many bytes written to captured stream `fd` were dropped (0 if none). */
uint64_t pe_wasi_capture_dropped(const pe_wasi *w, int fd);

/* Makes a used context equal to a new one made with the same configuration,
 * without reopening anything: descriptors the guest opened are closed,
 * captured output and stdin's position start over, the host data is
 * cleared. Only possible while stdio and the preopens are as they were made
 * (not closed, renumbered, restricted, or changed in offset or flags): false
 * otherwise, and then the context must be freed. Costs nothing per preopen,
 * where pe_wasi_new opens each. */
bool pe_wasi_reset(pe_wasi *w);

/* Closes every descriptor the guest still holds. NULL is fine. */
void pe_wasi_free(pe_wasi *w);

/* An opaque pointer for other host modules (e.g. the `pyedge` imports). */
void pe_wasi_set_host_data(pe_wasi *w, void *data);
void *pe_wasi_host_data(pe_wasi *w);

/* Parses a --dir argument "HOST[::GUEST]" (split at the first "::"; GUEST
 * defaults to HOST). On success returns 0 and fills *out with pointers into
 * ONE malloc'd block that the caller releases with free((void *)out->host_path).
 * Returns -1 (nothing allocated) if HOST or GUEST is empty or on ENOMEM. */
int pe_wasi_parse_dir(const char *spec, bool read_only, pe_wasi_preopen *out);

#endif /* PE_WASI_H */
