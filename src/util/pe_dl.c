/*
 * pe_dl.c -- libraries loaded on first use (see pe_dl.h for why).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "pe_dl.h"

static void load(pe_dl_lib *lib) {
  void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *why = dlerror();
    snprintf(lib->error, sizeof lib->error, "cannot load %s: %s", lib->soname,
             why ? why : "unknown error");
    return;
  }
  for (size_t i = 0; i < lib->nsyms; i++) {
    void *sym = dlsym(h, lib->syms[i].name);
    if (!sym) {
      snprintf(lib->error, sizeof lib->error, "%s lacks %s", lib->soname, lib->syms[i].name);
      dlclose(h);
      return;
    }
    /* dlsym returns void *; the slots are function pointers of the same size */
    memcpy(lib->syms[i].slot, &sym, sizeof sym);
  }
  lib->loaded = true;
}

bool pe_dl_load(pe_dl_lib *lib, char *err, size_t errlen) {
  pthread_mutex_lock(&lib->mu);
  if (!lib->tried) {
    lib->tried = true;
    load(lib);
  }
  bool ok = lib->loaded;
  pthread_mutex_unlock(&lib->mu);
  if (!ok) snprintf(err, errlen, "%s", lib->error);
  return ok;
}
