/*
 * build_glob.c -- glob patterns as Spin reads them in `files` and
 * `exclude_files` (the syntax of Rust's glob crate, which Spin uses):
 *
 *   ?        one character          [abc] [a-z]  one of them
 *   *        any run of characters  [!abc]       none of them
 *   **       a whole path component: any number of directories, none
 *            included (so "a", "**", "x" joined by slashes matches a/x and
 *            a/b/c/x); a trailing ** matches everything below
 *   [*] [?] [[]  the character itself
 *
 * `**` next to anything else in a component ("a**", "**b") and "***" are
 * errors, as is an unclosed '['. With literal_sep (how Spin expands
 * `files`), * ? and classes stop at '/'; without it (how Spin matches
 * `exclude_files`, glob's default), they do not.
 *
 * Matching is a search over (pattern token, path offset) with a table of
 * pairs already known to fail, each pair taking constant work (a star
 * either ends or takes one more character), so it takes at most
 * |tokens| x |path| steps whatever the pattern. The recursion is at most
 * |tokens| + |path| deep (paths are bounded by PATH_MAX).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_build.h"

enum { G_LIT, G_ONE, G_STAR, G_REC, G_REC_END, G_CLASS };

typedef struct {
  int type;
  char c;
  const char *cls; /* class body, without [ ] and the leading ! */
  size_t cls_len;
  bool neg;
} gtok;

/* Tokenizes; returns the count or -1 with a message. toks may be NULL
 * (count only). */
static long tokenize(const char *p, gtok *toks, char *err, size_t errlen) {
  long n = 0;
  bool comp_start = true;
  for (size_t i = 0; p[i];) {
    gtok t = {0};
    if (p[i] == '*' && p[i + 1] == '*') {
      if (!comp_start || (p[i + 2] && p[i + 2] != '/')) {
        snprintf(err, errlen, "'**' must be a whole path component in '%s'", p);
        return -1;
      }
      t.type = p[i + 2] == '/' ? G_REC : G_REC_END;
      i += p[i + 2] == '/' ? 3 : 2;
      comp_start = true;
    } else if (p[i] == '*') {
      t.type = G_STAR;
      i++;
      comp_start = false;
    } else if (p[i] == '?') {
      t.type = G_ONE;
      i++;
      comp_start = false;
    } else if (p[i] == '[') {
      size_t j = i + 1;
      t.type = G_CLASS;
      if (p[j] == '!') {
        t.neg = true;
        j++;
      }
      size_t body = j;
      if (p[j] == ']') j++; /* a leading ] is literal */
      while (p[j] && p[j] != ']') j++;
      if (!p[j] || j == body) {
        snprintf(err, errlen, "unclosed '[' in '%s'", p);
        return -1;
      }
      t.cls = p + body;
      t.cls_len = j - body;
      i = j + 1;
      comp_start = false;
    } else {
      t.type = G_LIT;
      t.c = p[i];
      comp_start = p[i] == '/';
      i++;
    }
    if (toks) toks[n] = t;
    n++;
  }
  return n;
}

bool pe_glob_valid(const char *pattern, char *err, size_t errlen) {
  return tokenize(pattern, NULL, err, errlen) >= 0;
}

bool pe_glob_has_magic(const char *pattern) { return strpbrk(pattern, "*?[") != NULL; }

static bool class_has(const gtok *t, char c) {
  bool in = false;
  for (size_t k = 0; k < t->cls_len && !in; k++) {
    char a = t->cls[k];
    if (k + 2 < t->cls_len && t->cls[k + 1] == '-') {
      char b = t->cls[k + 2];
      in = (unsigned char)c >= (unsigned char)a && (unsigned char)c <= (unsigned char)b;
      k += 2;
    } else {
      in = c == a;
    }
  }
  return in != t->neg;
}

typedef struct {
  const gtok *t;
  size_t nt;
  const char *s;
  size_t ns;
  unsigned char *failed; /* bit (ti * (ns + 1) + si) */
  bool lit_sep;
} matcher;

static bool m(matcher *x, size_t ti, size_t si) {
  for (;;) {
    size_t bit = ti * (x->ns + 1) + si;
    if (x->failed[bit / 8] & (1u << (bit % 8))) return false;
    bool ok;
    if (ti == x->nt) {
      ok = si == x->ns;
    } else {
      const gtok *t = &x->t[ti];
      char c = si < x->ns ? x->s[si] : 0;
      bool sep_ok = !(x->lit_sep && c == '/');
      switch (t->type) {
        case G_LIT:
          if (si < x->ns && c == t->c) {
            ti++, si++;
            continue;
          }
          ok = false;
          break;
        case G_ONE:
        case G_CLASS:
          if (si < x->ns && sep_ok && (t->type == G_ONE || class_has(t, c))) {
            ti++, si++;
            continue;
          }
          ok = false;
          break;
        case G_STAR: /* nothing more, or one more character */
          ok = m(x, ti + 1, si) || (si < x->ns && sep_ok && m(x, ti, si + 1));
          break;
        case G_REC: { /* nothing more, or one more whole component */
          const char *slash = si < x->ns ? memchr(x->s + si, '/', x->ns - si) : NULL;
          ok = m(x, ti + 1, si) || (slash && m(x, ti, (size_t)(slash - x->s) + 1));
          break;
        }
        default: /* G_REC_END */ ok = true;
      }
    }
    if (!ok) x->failed[bit / 8] |= (unsigned char)(1u << (bit % 8));
    return ok;
  }
}

bool pe_glob_match(const char *pattern, const char *path, bool literal_sep) {
  char err[8];
  long n = tokenize(pattern, NULL, err, sizeof err);
  if (n < 0) return false;
  size_t ns = strlen(path);
  gtok *toks = calloc((size_t)n + 1, sizeof *toks);
  size_t bits = ((size_t)n + 1) * (ns + 1);
  unsigned char *failed = calloc(bits / 8 + 1, 1);
  bool ok = false;
  if (toks && failed && tokenize(pattern, toks, err, sizeof err) == n) {
    matcher x = {toks, (size_t)n, path, ns, failed, literal_sep};
    ok = m(&x, 0, 0);
  }
  free(toks);
  free(failed);
  return ok;
}
