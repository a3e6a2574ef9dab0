/*
 * build_cmdline.c -- the componentize-py command of a Spin Python component.
 *
 * Spin's Python templates build with
 *     componentize-py -w spin-http componentize app -o app.wasm
 * (or -w spin:up/http-trigger@4.0.0, or fermyon:spin/http-trigger@3.0.0).
 * pyedge does not run that command; it reads it for what matters to its own
 * build: the app module, the -p/--python-path directories (in order; "."
 * when none is given, as componentize-py does), the world and the output.
 *
 * componentize-py's options, as its command line defines them:
 *   global, before the subcommand: -d/--wit-path V, -w/--world V,
 *     -q/--quiet, --features V, --all-features, --import-interface-name V,
 *     --export-interface-name V
 *   componentize: APP_NAME, -p/--python-path V (repeatable),
 *     -m/--module-worlds V, -o/--output V, -s/--stub-wasi
 * Values come as "-p V", "-pV", "-p=V", "--python-path V" or
 * "--python-path=V". Options are accepted on either side of the subcommand.
 * An unknown option is ignored with a warning (taken as a flag: if it had a
 * value, two module names appear and the command is refused as ambiguous).
 *
 * A build may be several commands, or one command with ; && || between
 * parts (Spin runs commands through a shell). The first part that runs
 * `componentize-py ... componentize` (or `python3 -m componentize_py ...`)
 * is the build; other parts (pip installs, `componentize-py bindings`) are
 * not run, with a warning each. When no part is componentize-py, the
 * component is not a Python one pyedge can build (PE_CZ_NOT_OURS).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_build.h"

bool pe_strs_push(pe_strs *l, const char *s) {
  char *copy = strdup(s);
  char **items = copy ? realloc(l->items, (l->len + 1) * sizeof *items) : NULL;
  if (!items) {
    free(copy);
    return false;
  }
  l->items = items;
  l->items[l->len++] = copy;
  return true;
}

bool pe_strs_pushf(pe_strs *l, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0) return false;
  bool ok = pe_strs_push(l, s);
  free(s);
  return ok;
}

void pe_strs_free(pe_strs *l) {
  for (size_t i = 0; i < l->len; i++) free(l->items[i]);
  free(l->items);
  l->items = NULL;
  l->len = 0;
}

/* --- splitting ------------------------------------------------------------- */

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Ends the current word (if one was started) and adds it. */
static bool flush_word(pe_buf *w, bool *started, pe_strs *words, pe_strs *ops, bool is_op) {
  if (!*started) return true;
  *started = false;
  if (!pe_buf_append(w, "", 1)) return false;
  bool ok = pe_strs_push(words, w->data) && (!ops || pe_strs_push(ops, is_op ? "1" : ""));
  w->len = 0;
  return ok;
}

/* The ')' closing a "$(" whose text starts at p (nested parentheses and
 * quoted text inside counted), or NULL. */
static const char *substitution_end(const char *p) {
  int depth = 1;
  for (; *p; p++) {
    if (*p == '\'' || *p == '"') {
      const char *q = strchr(p + 1, *p);
      if (!q) return NULL;
      p = q;
    } else if (*p == '(') {
      depth++;
    } else if (*p == ')' && --depth == 0) {
      return p;
    }
  }
  return NULL;
}

bool pe_shell_split(const char *cmd, pe_strs *words, pe_strs *ops, char *err, size_t errlen) {
  pe_buf w = {0};
  bool started = false, ok = true;
  for (const char *p = cmd; ok && *p;) {
    char c = *p;
    if (is_blank(c)) {
      ok = flush_word(&w, &started, words, ops, false);
      p++;
    } else if (c == ';' || c == '&' || c == '|') {
      ok = flush_word(&w, &started, words, ops, false);
      size_t n = (p[1] == c && c != ';') ? 2 : 1;
      started = true;
      ok = ok && pe_buf_append(&w, p, n) && flush_word(&w, &started, words, ops, true);
      p += n;
    } else if (c == '\'') {
      const char *end = strchr(p + 1, '\'');
      if (!end) {
        snprintf(err, errlen, "unterminated ' in the command");
        pe_buf_free(&w);
        return false;
      }
      started = true;
      ok = pe_buf_append(&w, p + 1, (size_t)(end - p - 1));
      p = end + 1;
    } else if (c == '"') {
      started = true;
      p++;
      for (;;) {
        if (!*p) {
          snprintf(err, errlen, "unterminated \" in the command");
          pe_buf_free(&w);
          return false;
        }
        if (*p == '"') {
          p++;
          break;
        }
        if (*p == '\\' && p[1] && strchr("\\\"$`", p[1])) p++;
        if (!(ok = pe_buf_append(&w, p, 1))) break;
        p++;
      }
    } else if (c == '$' && p[1] == '(') {
      /* a command substitution stays one word, as written: pyedge runs no
       * shell, and an old template's `-p $(python3 -c '...site...')` is
       * recognised by it (parse_args) */
      const char *end = substitution_end(p + 2);
      if (!end) {
        snprintf(err, errlen, "unterminated $( in the command");
        pe_buf_free(&w);
        return false;
      }
      started = true;
      ok = pe_buf_append(&w, p, (size_t)(end + 1 - p));
      p = end + 1;
    } else if (c == '\\') {
      started = true;
      if (p[1]) {
        ok = pe_buf_append(&w, p + 1, 1);
        p += 2;
      } else {
        p++;
      }
    } else {
      started = true;
      ok = pe_buf_append(&w, p, 1);
      p++;
    }
  }
  ok = ok && flush_word(&w, &started, words, ops, false);
  pe_buf_free(&w);
  if (!ok) snprintf(err, errlen, "out of memory");
  return ok;
}

/* --- componentize-py -------------------------------------------------------- */

typedef struct {
  const char *shortname, *longname;
  bool takes_value;
  enum { OPT_IGNORE, OPT_WORLD, OPT_PATH, OPT_OUTPUT } role;
} cz_option;

static const cz_option options[] = {
    {"-d", "--wit-path", true, OPT_IGNORE},
    {"-w", "--world", true, OPT_WORLD},
    {"-q", "--quiet", false, OPT_IGNORE},
    {NULL, "--features", true, OPT_IGNORE},
    {NULL, "--all-features", false, OPT_IGNORE},
    {NULL, "--import-interface-name", true, OPT_IGNORE},
    {NULL, "--export-interface-name", true, OPT_IGNORE},
    {"-p", "--python-path", true, OPT_PATH},
    {"-m", "--module-worlds", true, OPT_IGNORE},
    {"-o", "--output", true, OPT_OUTPUT},
    {"-s", "--stub-wasi", false, OPT_IGNORE},
};

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* Whether a word is a python interpreter: python, python3, python3.13 */
static bool is_python(const char *word) {
  const char *b = base_name(word);
  if (strncmp(b, "python", 6) != 0) return false;
  for (b += 6; *b; b++)
    if (!(*b >= '0' && *b <= '9') && *b != '.') return false;
  return true;
}

/* Index of the first argument after the program in words[start..end), or
 * -1 when this part does not run componentize-py. Leading NAME=value
 * assignments are skipped. */
static long cz_program(const pe_strs *w, size_t start, size_t end) {
  size_t i = start;
  while (i < end && strchr(w->items[i], '=') && w->items[i][0] != '=' && w->items[i][0] != '-') i++;
  if (i >= end) return -1;
  if (!strcmp(base_name(w->items[i]), "componentize-py")) return (long)(i + 1);
  if (is_python(w->items[i]) && i + 2 < end && !strcmp(w->items[i + 1], "-m") &&
      !strcmp(w->items[i + 2], "componentize_py"))
    return (long)(i + 3);
  return -1;
}

static bool valid_module(const char *m) {
  bool start = true;
  if (!*m) return false;
  for (const char *p = m; *p; p++) {
    char c = *p;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (c == '.') {
      if (start) return false;
      start = true;
    } else if (alpha || (digit && !start)) {
      start = false;
    } else {
      return false;
    }
  }
  return !start;
}

/* Matches word against one option; sets *value (the inline value, or NULL
 * when it must come from the next word). */
static const cz_option *match_option(const char *word, const char **inline_value) {
  *inline_value = NULL;
  for (size_t k = 0; k < sizeof options / sizeof *options; k++) {
    const cz_option *o = &options[k];
    size_t ln = strlen(o->longname);
    if (!strncmp(word, o->longname, ln) && (word[ln] == 0 || (word[ln] == '=' && o->takes_value))) {
      if (word[ln] == '=') *inline_value = word + ln + 1;
      return o;
    }
    if (o->shortname && !strncmp(word, o->shortname, 2)) {
      if (word[2] == 0) return o;
      if (o->takes_value) {
        *inline_value = word + 2 + (word[2] == '=');
        return o;
      }
    }
  }
  return NULL;
}

static void set_str(char **slot, const char *v) {
  free(*slot);
  *slot = strdup(v);
}

/* Parses the arguments of one componentize-py invocation. */
static pe_cz_status parse_args(const pe_strs *w, size_t start, size_t end, const char *shown,
                               pe_cz_command *out, char *err, size_t errlen) {
  bool in_componentize = false, other_sub = false, unknown = false;
  pe_strs positionals = {0};
  pe_cz_status st = PE_CZ_OK;
  for (size_t i = start; i < end; i++) {
    const char *a = w->items[i];
    if (a[0] == '-' && a[1]) {
      const char *v;
      const cz_option *o = match_option(a, &v);
      if (!o) {
        unknown = true;
        if (!pe_strs_pushf(&out->warnings, "componentize-py option '%s' ignored", a)) {
          snprintf(err, errlen, "out of memory");
          st = PE_CZ_INVALID;
          break;
        }
        continue;
      }
      if (o->takes_value && !v) {
        if (i + 1 >= end) {
          snprintf(err, errlen, "componentize-py option %s needs a value in '%s'", a, shown);
          st = PE_CZ_INVALID;
          break;
        }
        v = w->items[++i];
      }
      if (o->role == OPT_WORLD)
        set_str(&out->world, v);
      else if (o->role == OPT_OUTPUT)
        set_str(&out->output, v);
      else if (o->role == OPT_PATH && !strncmp(v, "$(", 2)) {
        /* older templates: `-p $(python3 -c '...site.getsitepackages()...')`,
         * the host's own packages; pyedge installs requirements.txt instead */
        if (!pe_strs_pushf(&out->notes,
                           "-p %.200s is left out: pyedge runs no shell, and installs the "
                           "packages of requirements.txt itself",
                           v)) {
          snprintf(err, errlen, "out of memory");
          st = PE_CZ_INVALID;
          break;
        }
      } else if (o->role == OPT_PATH && !pe_strs_push(&out->python_paths, v))
        st = PE_CZ_INVALID;
      continue;
    }
    if (!in_componentize && !other_sub) {
      if (!strcmp(a, "componentize"))
        in_componentize = true;
      else
        other_sub = true; /* bindings, help, ... */
      continue;
    }
    if (!pe_strs_push(&positionals, a)) st = PE_CZ_INVALID;
  }
  if (st == PE_CZ_OK && !in_componentize) {
    snprintf(err, errlen, "'%s' does not run `componentize`", shown);
    st = PE_CZ_NOT_OURS;
  } else if (st == PE_CZ_OK && positionals.len == 0) {
    snprintf(err, errlen, "no app module in '%s' (expected `componentize MODULE`)", shown);
    st = PE_CZ_INVALID;
  } else if (st == PE_CZ_OK && positionals.len > 1) {
    snprintf(err, errlen, "cannot tell the app module in '%s': '%s' or '%s'%s", shown,
             positionals.items[0], positionals.items[1],
             unknown ? " (an unknown option may take a value)" : "");
    st = PE_CZ_INVALID;
  } else if (st == PE_CZ_OK && strlen(positionals.items[0]) > 3 &&
             !strcmp(positionals.items[0] + strlen(positionals.items[0]) - 3, ".py")) {
    snprintf(err, errlen, "'%s' in '%s' is a file name, not a Python module name (write '%.*s')",
             positionals.items[0], shown, (int)strlen(positionals.items[0]) - 3,
             positionals.items[0]);
    st = PE_CZ_INVALID;
  } else if (st == PE_CZ_OK && !valid_module(positionals.items[0])) {
    snprintf(err, errlen, "'%s' in '%s' is not a Python module name (like app or pkg.main)",
             positionals.items[0], shown);
    st = PE_CZ_INVALID;
  } else if (st == PE_CZ_OK) {
    set_str(&out->module, positionals.items[0]);
  }
  pe_strs_free(&positionals);
  return st;
}

/* Joins words[start..end) for messages. */
static void join(const pe_strs *w, size_t start, size_t end, char *out, size_t outlen) {
  size_t off = 0;
  out[0] = 0;
  for (size_t i = start; i < end && off < outlen; i++) {
    int n = snprintf(out + off, outlen - off, "%s%s", i > start ? " " : "", w->items[i]);
    if (n < 0) break;
    off += (size_t)n;
  }
}

pe_cz_status pe_cz_parse(const char *const *commands, size_t n, pe_cz_command *out, char *err,
                         size_t errlen) {
  memset(out, 0, sizeof *out);
  pe_cz_status st = PE_CZ_NOT_OURS;
  char first_other[512] = "";
  char why_not[512] = "";
  for (size_t c = 0; c < n && st != PE_CZ_OK && st != PE_CZ_INVALID; c++) {
    pe_strs words = {0}, ops = {0};
    if (!pe_shell_split(commands[c], &words, &ops, err, errlen)) {
      pe_strs_free(&words);
      pe_strs_free(&ops);
      st = PE_CZ_INVALID;
      break;
    }
    /* parts between operators */
    for (size_t s = 0; s <= words.len;) {
      size_t e = s;
      while (e < words.len && !ops.items[e][0]) e++;
      if (e > s) {
        char shown[512];
        join(&words, s, e, shown, sizeof shown);
        long args = st == PE_CZ_OK ? -1 : cz_program(&words, s, e);
        pe_cz_status part = PE_CZ_NOT_OURS;
        if (args >= 0) {
          pe_cz_command tmp = {0};
          part = parse_args(&words, (size_t)args, e, shown, &tmp, why_not, sizeof why_not);
          if (part == PE_CZ_OK) {
            /* keep the warnings about earlier parts, then this part's */
            bool kept = true;
            for (size_t k = 0; kept && k < tmp.warnings.len; k++)
              kept = pe_strs_push(&out->warnings, tmp.warnings.items[k]);
            pe_strs_free(&tmp.warnings);
            out->notes = tmp.notes;
            out->module = tmp.module;
            out->world = tmp.world;
            out->output = tmp.output;
            out->python_paths = tmp.python_paths;
            st = PE_CZ_OK;
            if (!kept) {
              snprintf(err, errlen, "out of memory");
              st = PE_CZ_INVALID;
              break;
            }
          } else {
            pe_cz_free(&tmp);
            if (part == PE_CZ_INVALID) {
              snprintf(err, errlen, "%s", why_not);
              st = PE_CZ_INVALID;
              break;
            }
          }
        }
        if (part != PE_CZ_OK) {
          if (!first_other[0]) snprintf(first_other, sizeof first_other, "%s", shown);
          if (!pe_strs_pushf(&out->warnings, "'%s' in the build command is not run: %s", shown,
                             args >= 0 ? "pyedge needs no bindings"
                                       : "pyedge builds the component itself")) {
            snprintf(err, errlen, "out of memory");
            st = PE_CZ_INVALID;
            break;
          }
        }
      }
      s = e + 1;
    }
    pe_strs_free(&words);
    pe_strs_free(&ops);
  }
  if (st == PE_CZ_NOT_OURS) {
    if (first_other[0])
      snprintf(err, errlen,
               "its build command '%s' is not componentize-py: pyedge builds Python components "
               "itself and expects `componentize-py ... componentize MODULE -o app.wasm`",
               first_other);
    else
      snprintf(err, errlen, "its build command is empty");
  }
  if (st != PE_CZ_OK) {
    pe_cz_free(out);
    return st;
  }
  if (!out->output) out->output = strdup("index.wasm");
  if (out->python_paths.len == 0 && !pe_strs_push(&out->python_paths, ".")) {
    snprintf(err, errlen, "out of memory");
    return PE_CZ_INVALID;
  }
  if (!out->module || !out->output) {
    snprintf(err, errlen, "out of memory");
    return PE_CZ_INVALID;
  }
  return PE_CZ_OK;
}

void pe_cz_free(pe_cz_command *c) {
  free(c->module);
  free(c->world);
  free(c->output);
  pe_strs_free(&c->python_paths);
  pe_strs_free(&c->warnings);
  pe_strs_free(&c->notes);
  c->module = c->world = c->output = NULL;
}
