/*
 * pe_dl.h -- a shared library loaded the first time a service needs it.
 *
 * Linked normally, a library and everything it depends on are mapped and
 * relocated before main(): libcurl brings about thirty libraries, libpq
 * Kerberos and LDAP, libmariadb and libmosquitto their own TLS stacks.
 * That is paid on every `pyedge up` cold start, by apps that never call
 * out. So the services that use them reach them through a table of
 * function pointers that pe_dl_load fills with dlopen/dlsym on first use;
 * the library then stays loaded for the life of the process.
 *
 *   static int (*my_fn)(int);
 *   static const pe_dl_sym syms[] = {{"fn", (void *)&my_fn}, ...};
 *   static pe_dl_lib lib = PE_DL_LIB("libfoo.so.1", syms);
 *   if (!pe_dl_load(&lib, err, sizeof err)) ...  // thread-safe, once
 */
#ifndef PE_DL_H
#define PE_DL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "pe_assert.h"

typedef struct pe_dl_sym {
  const char *name; /* the symbol */
  void *slot;       /* where its address goes: the address of a function pointer */
} pe_dl_sym;

typedef struct pe_dl_lib {
  const char *soname; /* "libpq.so.5": the runtime package's name, never the -dev symlink */
  const pe_dl_sym *syms;
  size_t nsyms;
  pthread_mutex_t mu;
  bool tried, loaded;
  char error[256];
} pe_dl_lib;

#define PE_DL_LIB(soname, syms)                                                                  \
  {                                                                                              \
    (soname), (syms), sizeof(syms) / sizeof((syms)[0]), PTHREAD_MUTEX_INITIALIZER, false, false, \
        ""                                                                                       \
  }

/* Loads the library and resolves every symbol, once per process (later
 * calls return the first answer). false with a message naming the library
 * and what is missing. */
PE_MUST_CHECK bool pe_dl_load(pe_dl_lib *lib, char *err, size_t errlen);

#endif /* PE_DL_H */
