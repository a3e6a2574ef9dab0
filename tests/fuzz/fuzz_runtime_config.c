/*
 * fuzz_runtime_config.c -- the runtime config file
 * (`--runtime-config-file`, src/services/runtime_config.c) from bytes: the
 * TOML parser under it, the section checks and the Redis URL parser
 * (kv_redis.c) it calls.
 *
 * Input: one byte choosing the file's name (which decides how relative
 * paths resolve), then the document. Refusals name the file and leave the
 * config empty; an accepted config has a non-empty label per entry, each
 * found again by its label, a path for files that is absolute or starts
 * in the file's directory, and a URL exactly when the type is "redis".
 */
#include "fuzz_common.h"
#include "services/runtime_config.h"

static void check_entries(const pe_runtime_config *c, const pe_rc_entry *e, size_t n, bool kv,
                          const char *dir) {
  for (size_t i = 0; i < n; i++) {
    FZ_CHECK(e[i].label && e[i].label[0]);
    FZ_CHECK(e[i].line >= 1);
    FZ_CHECK((e[i].kind == PE_RC_REDIS) == (e[i].url != NULL));
    if (!kv) FZ_CHECK(e[i].kind == PE_RC_SPIN);
    if (e[i].kind == PE_RC_REDIS) FZ_CHECK(e[i].path == NULL);
    if (e[i].path) FZ_CHECK(e[i].path[0] == '/' || strncmp(e[i].path, dir, strlen(dir)) == 0);
    const pe_rc_entry *f = kv ? pe_runtime_config_kv(c, e[i].label)
                              : pe_runtime_config_sqlite(c, e[i].label);
    FZ_CHECK(f == &e[i]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const files[][2] = {{"rc.toml", "./"},
                                         {"/etc/app/rc.toml", "/etc/app/"},
                                         {"conf/rc.toml", "conf/"}};
  size_t which = size ? data[0] % 3 : 0;
  const char *file = files[which][0];
  size_t n = size ? size - 1 : 0;
  char *text = (char *)fz_dup(size ? data + 1 : data, n);
  pe_runtime_config c;
  char err[1024];
  if (pe_runtime_config_parse(text, n, file, &c, err, sizeof err)) {
    FZ_CHECK(c.file && !strcmp(c.file, file));
    check_entries(&c, c.kv, c.nkv, true, files[which][1]);
    check_entries(&c, c.sqlite, c.nsqlite, false, files[which][1]);
    pe_runtime_config_free(&c);
  } else {
    FZ_CHECK(strncmp(err, file, strlen(file)) == 0);
    FZ_CHECK(c.file == NULL && c.kv == NULL && c.sqlite == NULL && c.nkv == 0 && c.nsqlite == 0);
  }
  free(text);
  return 0;
}
