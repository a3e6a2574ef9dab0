/*
 * curl_lazy.h -- libcurl, loaded when the first outbound request is made.
 *
 * libcurl pulls about thirty shared libraries into the process (TLS, HTTP/2,
 * IDN, LDAP, SSH, compression...). Linked normally, the dynamic loader maps
 * and relocates all of them before main(), ~4 ms of every `pyedge up` cold
 * start, for apps that may never call out. So svc_http.c reaches libcurl
 * through this table, filled by dlopen("libcurl.so.4") on first use; the
 * macros below keep its code written against libcurl's own names.
 *
 * Include this instead of <curl/curl.h>. libcurl's type-checking macros are
 * turned off (they would wrap the names redefined here); the option values
 * passed are the same.
 */
#ifndef PE_CURL_LAZY_H
#define PE_CURL_LAZY_H

#include <stdbool.h>
#include <stddef.h>

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

typedef struct pe_curl_api {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *h);
  void (*easy_reset)(CURL *h);
  CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL *h);
  CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
  const char *(*easy_strerror)(CURLcode code);
  struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
  void (*slist_free_all)(struct curl_slist *list);
} pe_curl_api;

/* Loads libcurl once (thread-safe); false with the loader's message. */
bool pe_curl_load(char *err, size_t errlen);
/* Valid after pe_curl_load returned true. */
extern pe_curl_api pe_curl;

/* curl.h defines these two as argument-count checks: replaced here */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (pe_curl.global_init)
#define curl_easy_init (pe_curl.easy_init)
#define curl_easy_cleanup (pe_curl.easy_cleanup)
#define curl_easy_reset (pe_curl.easy_reset)
#define curl_easy_setopt (pe_curl.easy_setopt)
#define curl_easy_perform (pe_curl.easy_perform)
#define curl_easy_getinfo (pe_curl.easy_getinfo)
#define curl_easy_strerror (pe_curl.easy_strerror)
#define curl_slist_append (pe_curl.slist_append)
#define curl_slist_free_all (pe_curl.slist_free_all)

#endif /* PE_CURL_LAZY_H */
