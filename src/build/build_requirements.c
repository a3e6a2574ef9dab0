/*
 * build_requirements.c -- a component's requirements.txt, as pyedge reads it.
 *
 * Spin's Python templates list two build tools in requirements.txt:
 *     spin-sdk == 3.4.1
 *     componentize-py == 0.16.0
 * pyedge is both (its own spin_sdk is on every sandbox's path, and it builds
 * the component itself), so lines naming either project are dropped, in any
 * spelling PEP 503 treats as the same name (Spin_SDK, spin.sdk, ...) and
 * with any version specifier, extras or marker. Everything else is kept for
 * pip, in pip's requirements-file syntax:
 *   - comments (# at the start or after a blank) and blank lines go;
 *   - a line ending in a backslash continues on the next one;
 *   - option lines (-r, -c, -f, --index-url, ...) are kept; the relative
 *     paths of -r/--requirement, -c/--constraint and -f/--find-links are
 *     made absolute against the requirements file's directory, because pip
 *     reads the filtered copy from elsewhere;
 *   - requirement lines are kept verbatim (URLs and paths too; pip runs in
 *     the component directory, so relative paths mean what they meant).
 * The files that -r/-c name are recorded (their contents belong in the
 * bundle's cache key); they are passed to pip unfiltered.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_build.h"

void pe_req_normalize(const char *name, size_t len, char *out, size_t outlen) {
  size_t o = 0;
  bool sep = false;
  if (outlen == 0) return;
  for (size_t i = 0; i < len && o + 1 < outlen; i++) {
    char c = name[i];
    if (c == '-' || c == '_' || c == '.') {
      sep = true;
      continue;
    }
    if (sep && o > 0 && o + 2 < outlen) out[o++] = '-';
    sep = false;
    out[o++] = (char)tolower((unsigned char)c);
  }
  out[o] = 0;
}

/* The project name a requirement line starts with (length 0: none, as for
 * a URL or a path). */
static size_t project_name(const char *line) {
  size_t n = 0;
  while (isalnum((unsigned char)line[n]) || line[n] == '.' || line[n] == '_' || line[n] == '-') n++;
  if (n == 0 || !isalnum((unsigned char)line[0])) return 0;
  while (n > 0 && !isalnum((unsigned char)line[n - 1])) n--;
  char next = line[n];
  if (next && !strchr(" \t[(<>=!~;@,", next)) return 0; /* "https://...", "x/y.whl" */
  return n;
}

static bool is_url(const char *v) { return strstr(v, "://") != NULL; }

/* Rewrites "-r file", "-rfile", "--requirement=file" ... with an absolute
 * path; other option lines are copied. */
static bool option_line(const char *line, const char *base_dir, pe_req_filtered *out) {
  static const struct {
    const char *shortname, *longname;
    bool include; /* its file is part of the requirements */
  } path_opts[] = {
      {"-r", "--requirement", true},
      {"-c", "--constraint", true},
      {"-f", "--find-links", false},
  };
  for (size_t k = 0; k < sizeof path_opts / sizeof *path_opts; k++) {
    const char *v = NULL;
    size_t ln = strlen(path_opts[k].longname);
    if (!strncmp(line, path_opts[k].longname, ln) &&
        (line[ln] == '=' || line[ln] == ' ' || line[ln] == '\t'))
      v = line + ln + 1;
    else if (!strncmp(line, path_opts[k].shortname, 2) && line[2] != '-')
      v = line + 2;
    if (!v) continue;
    while (*v == ' ' || *v == '\t' || *v == '=') v++;
    if (!*v) break;
    char path[PATH_MAX];
    if (v[0] == '/' || is_url(v) ||
        (size_t)snprintf(path, sizeof path, "%s/%s", base_dir, v) >= sizeof path)
      snprintf(path, sizeof path, "%s", v);
    if (path_opts[k].include && !is_url(v) && !pe_strs_push(&out->included, path)) return false;
    return pe_buf_printf(&out->text, "%s %s\n", path_opts[k].longname, path);
  }
  return pe_buf_printf(&out->text, "%s\n", line);
}

static bool one_line(char *line, const char *base_dir, pe_req_filtered *out) {
  /* comments: '#' at the start or after a blank */
  for (char *p = line; *p; p++)
    if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
      *p = 0;
      break;
    }
  char *s = line;
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
  if (!n) return true;
  if (s[0] == '-') {
    /* an editable install is a requirement too */
    bool editable = !strncmp(s, "-e", 2) || !strncmp(s, "--editable", 10);
    return (!editable || pe_strs_push(&out->kept, s)) && option_line(s, base_dir, out);
  }
  size_t len = project_name(s);
  char norm[256];
  pe_req_normalize(s, len, norm, sizeof norm);
  if (len && (!strcmp(norm, "spin-sdk") || !strcmp(norm, "componentize-py")))
    return pe_strs_push(&out->skipped, s);
  return pe_strs_push(&out->kept, s) && pe_buf_printf(&out->text, "%s\n", s);
}

bool pe_req_filter(const char *text, size_t len, const char *base_dir, pe_req_filtered *out,
                   char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (errlen) err[0] = 0;
  pe_buf logical = {0};
  bool ok = true;
  for (size_t i = 0; ok && i <= len;) {
    size_t e = i;
    while (e < len && text[e] != '\n') e++;
    size_t n = e - i;
    if (n && text[i + n - 1] == '\r') n--;
    if (memchr(text + i, 0, n)) {
      snprintf(err, errlen, "requirements.txt holds a NUL byte");
      ok = false;
      break;
    }
    bool cont = n && text[i + n - 1] == '\\';
    ok = pe_buf_append(&logical, text + i, cont ? n - 1 : n);
    if (ok && (!cont || e >= len)) {
      ok = pe_buf_append(&logical, "", 1) && one_line(logical.data, base_dir, out);
      logical.len = 0;
    }
    i = e + 1;
  }
  pe_buf_free(&logical);
  if (!ok) {
    if (errlen && !err[0]) snprintf(err, errlen, "out of memory");
    pe_req_free(out);
  }
  return ok;
}

void pe_req_free(pe_req_filtered *r) {
  pe_buf_free(&r->text);
  pe_strs_free(&r->kept);
  pe_strs_free(&r->skipped);
  pe_strs_free(&r->included);
}
