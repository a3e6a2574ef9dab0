/*
 * curl_lazy.c -- loads libcurl on first use (see curl_lazy.h for why).
 */
#include "curl_lazy.h"
#include "util/pe_dl.h"

pe_curl_api pe_curl;

static const pe_dl_sym curl_syms[] = {
    {"curl_global_init", (void *)&pe_curl.global_init},
    {"curl_easy_init", (void *)&pe_curl.easy_init},
    {"curl_easy_cleanup", (void *)&pe_curl.easy_cleanup},
    {"curl_easy_reset", (void *)&pe_curl.easy_reset},
    {"curl_easy_setopt", (void *)&pe_curl.easy_setopt},
    {"curl_easy_perform", (void *)&pe_curl.easy_perform},
    {"curl_easy_getinfo", (void *)&pe_curl.easy_getinfo},
    {"curl_easy_strerror", (void *)&pe_curl.easy_strerror},
    {"curl_slist_append", (void *)&pe_curl.slist_append},
    {"curl_slist_free_all", (void *)&pe_curl.slist_free_all},
};

static pe_dl_lib libcurl = PE_DL_LIB("libcurl.so.4", curl_syms);

bool pe_curl_load(char *err, size_t errlen) { return pe_dl_load(&libcurl, err, errlen); }
