/*
 * curl_lazy.c -- loads libcurl on first use (see curl_lazy.h for why).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "curl_lazy.h"

pe_curl_api pe_curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_error[256];

/* dlsym returns void *; the table's members are function pointers. */
#define RESOLVE(field, name)                                             \
  do {                                                                   \
    void *sym_ = dlsym(lib, name);                                       \
    if (!sym_) {                                                         \
      snprintf(load_error, sizeof load_error, "libcurl lacks %s", name); \
      return;                                                            \
    }                                                                    \
    memcpy(&pe_curl.field, &sym_, sizeof sym_);                          \
  } while (0)

static void load(void) {
  void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    snprintf(load_error, sizeof load_error, "cannot load libcurl.so.4: %s",
             why ? why : "unknown error");
    return;
  }
  RESOLVE(global_init, "curl_global_init");
  RESOLVE(easy_init, "curl_easy_init");
  RESOLVE(easy_cleanup, "curl_easy_cleanup");
  RESOLVE(easy_reset, "curl_easy_reset");
  RESOLVE(easy_setopt, "curl_easy_setopt");
  RESOLVE(easy_perform, "curl_easy_perform");
  RESOLVE(easy_getinfo, "curl_easy_getinfo");
  RESOLVE(easy_strerror, "curl_easy_strerror");
  RESOLVE(slist_append, "curl_slist_append");
  RESOLVE(slist_free_all, "curl_slist_free_all");
  /* the library stays loaded for the life of the process */
  loaded = true;
}

bool pe_curl_load(char *err, size_t errlen) {
  pthread_once(&load_once, load);
  if (!loaded) snprintf(err, errlen, "%s", load_error);
  return loaded;
}
