/*
 * cli_options.c -- parsing argv against an option table, and --help printed
 * from the same table (cli_options.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"

#define HELP_WIDTH 79    /* the help fits an 80-column terminal */
#define HELP_MAX_LEFT 30 /* a longer "--name VALUE" puts its text on the next line */
#define GLUE '\x1f'      /* a space the help's wrapping must not break at */

static void *field(void *base, size_t off) { return (char *)base + off; }
static const void *cfield(const void *base, size_t off) { return (const char *)base + off; }

static bool takes(const cli_command *c, const cli_option *o) { return (o->cmds & c->bit) != 0; }

static void fmt_size(char *out, size_t n, uint64_t b) {
  static const char units[] = "GMK";
  for (int i = 0; i < 3; i++) {
    uint64_t u = 1ull << (10 * (3 - i));
    if (b && b % u == 0) {
      snprintf(out, n, "%llu%c", (unsigned long long)(b / u), units[i]);
      return;
    }
  }
  snprintf(out, n, "%llu", (unsigned long long)b);
}

static void fmt_duration(char *out, size_t n, uint64_t ns) {
  if (ns % 1000000000ull == 0)
    snprintf(out, n, "%llus", (unsigned long long)(ns / 1000000000ull));
  else if (ns % 1000000ull == 0)
    snprintf(out, n, "%llums", (unsigned long long)(ns / 1000000ull));
  else
    snprintf(out, n, "%gs", (double)ns / 1e9);
}

/* "on|off|log" for --help, "on, off or log" for errors */
static void fmt_choices(char *out, size_t n, const char *const *choices, const char *sep,
                        const char *last_sep) {
  size_t len = 0;
  out[0] = 0;
  for (int i = 0; choices[i] && len < n; i++) {
    const char *s = i == 0 ? "" : choices[i + 1] ? sep : last_sep;
    len += (size_t)snprintf(out + len, n - len, "%s%s", s, choices[i]);
  }
}

/* --- parsing ----------------------------------------------------------------- */

/* The entry argument a names: a short name exactly, a long one alone or as
 * "--name=value". Entries of every command, so that one of another command
 * can be named as such. */
static const cli_option *find(const cli_command *c, const char *a) {
  for (const cli_option *o = c->options; o->name; o++) {
    if ((o->shortname && !strcmp(a, o->shortname)) || cli_is_option(a, o->name) ||
        (o->alias && cli_is_option(a, o->alias)))
      return o;
  }
  return NULL;
}

static size_t edit_distance(const char *a, size_t la, const char *b) {
  size_t lb = strlen(b), row[64];
  if (la >= 64 || lb >= 64) return SIZE_MAX;
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* Whether the words of name ("--max-instance-memory") include those of
 * word ("max-memory"), in order. */
static bool holds_words(const char *name, const char *word, size_t lw) {
  const char *n = name + strspn(name, "-"), *end = word + lw;
  while (word < end) {
    size_t w = strcspn(word, "-=");
    for (;;) {
      size_t nw = strcspn(n, "-");
      if (nw == w && !strncmp(n, word, w)) break;
      if (!n[nw]) return false;
      n += nw + 1;
    }
    n += w;
    word += w;
    word += strspn(word, "-");
  }
  return true;
}

/* The long name of c's nearest to a: within two edits (a typo), else the
 * only one holding a's words (--request-timeout for --timeout,
 * --max-instance-memory for pyedge run's --max-memory); or NULL. */
static const char *nearest(const cli_command *c, const char *a) {
  size_t la = strcspn(a, "="), best_d = 3;
  const char *word = a + strspn(a, "-"), *best = NULL, *holder = NULL;
  size_t lw = (size_t)(a + la - word);
  int holders = 0;
  for (const cli_option *o = c->options; o->name; o++) {
    if (!takes(c, o)) continue;
    const char *names[2] = {o->name, o->alias};
    for (int k = 0; k < 2 && names[k]; k++) {
      size_t d = edit_distance(a, la, names[k]);
      if (d < best_d) best_d = d, best = names[k];
    }
    bool holds = holds_words(o->name, word, lw) || (o->alias && holds_words(o->alias, word, lw));
    if (lw >= 3 && holds) holders++, holder = o->name;
  }
  return best ? best : holders == 1 ? holder : NULL;
}

static void unknown(const cli_command *c, const char *a) {
  if (a[0] != '-' || !a[1]) {
    fprintf(stderr, "pyedge %s: unexpected argument '%s' (see pyedge %s --help)\n", c->name, a,
            c->name);
    return;
  }
  const char *near = nearest(c, a);
  if (near)
    fprintf(stderr, "pyedge %s: unknown option '%s'; did you mean %s? (see pyedge %s --help)\n",
            c->name, a, near, c->name);
  else
    fprintf(stderr, "pyedge %s: unknown option '%s' (see pyedge %s --help)\n", c->name, a, c->name);
}

/* Stores v for o; false after printing why it is refused. */
static bool set_value(const cli_command *c, const cli_option *o, void *base, const char *v) {
  void *p = field(base, o->off);
  char why[300], shown[64];
  switch (o->kind) {
    case CLI_OPT_STRING:
      if (o->check && !o->check(v, why, sizeof why)) {
        fprintf(stderr, "pyedge %s: %s\n", c->name, why);
        return false;
      }
      *(const char **)p = v;
      return true;
    case CLI_OPT_SIZE: {
      uint64_t x;
      if (cli_parse_size(v, &x) && x >= o->min && x > 0) {
        *(uint64_t *)p = x;
        return true;
      }
      fmt_size(shown, sizeof shown, o->min);
      if (o->min > 1)
        fprintf(stderr, "pyedge %s: %s wants a size of at least %s, got '%s'\n", c->name, o->name,
                shown, v);
      else
        fprintf(stderr, "pyedge %s: %s wants a size like 512M or 1G, got '%s'\n", c->name, o->name,
                v);
      return false;
    }
    case CLI_OPT_DURATION:
      if (cli_parse_duration(v, (uint64_t *)p)) return true;
      fprintf(stderr, "pyedge %s: %s wants seconds > 0, got '%s'\n", c->name, o->name, v);
      return false;
    case CLI_OPT_COUNT: {
      char *end;
      unsigned long long n = strtoull(v, &end, 10);
      /* digits only: strtoull would take " 4", "+4" and wrap "-1" around */
      if (isdigit((unsigned char)v[0]) && !*end && n >= o->min && n <= o->max) {
        *(unsigned *)p = (unsigned)n;
        return true;
      }
      fprintf(stderr, "pyedge %s: %s wants %llu..%llu, got '%s'\n", c->name, o->name,
              (unsigned long long)o->min, (unsigned long long)o->max, v);
      return false;
    }
    case CLI_OPT_ENUM:
      for (int i = 0; o->choices[i]; i++)
        if (!strcmp(v, o->choices[i])) {
          *(int *)p = i;
          return true;
        }
      fmt_choices(why, sizeof why, o->choices, ", ", " or ");
      fprintf(stderr, "pyedge %s: %s wants %s, got '%s'\n", c->name, o->name, why, v);
      return false;
    case CLI_OPT_PAIRS:
      if (!strchr(v, '=') || v[0] == '=') {
        fprintf(stderr, "pyedge %s: %s wants K=V, got '%s'\n", c->name, o->name, v);
        return false;
      }
      /* fall through */
    case CLI_OPT_LIST: {
      int *n = field(base, o->count_off);
      if ((uint64_t)*n >= o->max) {
        fprintf(stderr, "pyedge %s: too many %s options (at most %llu)\n", c->name, o->name,
                (unsigned long long)o->max);
        return false;
      }
      ((const char **)p)[(*n)++] = v;
      return true;
    }
    case CLI_OPT_HELP:
    case CLI_OPT_FLAG: break;
  }
  return false;
}

int cli_options_parse(const cli_command *c, void *base, int argc, char **argv) {
  char who[64];
  snprintf(who, sizeof who, "pyedge %s", c->name);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const cli_option *o = find(c, a);
    if (!o) {
      unknown(c, a);
      return CLI_OPTIONS_ERROR;
    }
    if (!takes(c, o)) {
      fprintf(stderr, "%s: %s is not an option of pyedge %s (see pyedge %s --help)\n", who, o->name,
              c->name, c->name);
      return CLI_OPTIONS_ERROR;
    }
    if (o->kind == CLI_OPT_HELP || o->kind == CLI_OPT_FLAG) {
      if (strchr(a, '=')) {
        fprintf(stderr, "%s: %s takes no value, got '%s'\n", who, o->name, a);
        return CLI_OPTIONS_ERROR;
      }
      if (o->kind == CLI_OPT_HELP) return CLI_OPTIONS_HELP;
      *(bool *)field(base, o->off) = true;
      continue;
    }
    const char *v = cli_option_value(argc, argv, &i, who);
    if (!v || !set_value(c, o, base, v)) return CLI_OPTIONS_ERROR;
  }
  return CLI_OPTIONS_DONE;
}

/* --- help ---------------------------------------------------------------------- */

/* "-f, --from MANIFEST|DIR" */
static int left_column(const cli_option *o, char *out, size_t n) {
  char choices[128];
  const char *arg = o->arg;
  if (o->kind == CLI_OPT_ENUM && !arg) {
    fmt_choices(choices, sizeof choices, o->choices, "|", "|");
    arg = choices;
  }
  return snprintf(out, n, "%s%s%s%s%s", o->shortname ? o->shortname : "", o->shortname ? ", " : "",
                  o->name, arg ? " " : "", arg ? arg : "");
}

/* Appends "what" as one unbreakable part of the parenthesis after the help. */
static void add_part(char *out, size_t n, const char *what) {
  size_t len = strlen(out);
  snprintf(out + len, n - len, "%s%s", len ? ", " : "", what);
  for (char *s = out + len; *s; s++)
    if (*s == ' ' && s > out + len + 1) *s = GLUE;
}

/* "(at least 64K, default 16M)": the range the parser applies and the value
 * the field starts with. */
static void parts(const cli_option *o, const void *defaults, char *out, size_t n) {
  char s[160], v[64];
  const void *p = cfield(defaults, o->off);
  out[0] = 0;
  if (o->alias) {
    snprintf(s, sizeof s, "also %s", o->alias);
    add_part(out, n, s);
  }
  v[0] = 0;
  switch (o->kind) {
    case CLI_OPT_SIZE:
      if (o->min > 1) {
        fmt_size(v, sizeof v, o->min);
        snprintf(s, sizeof s, "at least %s", v);
        add_part(out, n, s);
      }
      if (*(const uint64_t *)p) fmt_size(v, sizeof v, *(const uint64_t *)p);
      break;
    case CLI_OPT_DURATION:
      if (*(const uint64_t *)p) fmt_duration(v, sizeof v, *(const uint64_t *)p);
      break;
    case CLI_OPT_COUNT:
      snprintf(s, sizeof s, "%llu..%llu", (unsigned long long)o->min, (unsigned long long)o->max);
      add_part(out, n, s);
      if (*(const unsigned *)p) snprintf(v, sizeof v, "%u", *(const unsigned *)p);
      break;
    case CLI_OPT_STRING:
      if (*(const char *const *)p) snprintf(v, sizeof v, "%s", *(const char *const *)p);
      break;
    case CLI_OPT_ENUM: snprintf(v, sizeof v, "%s", o->choices[*(const int *)p]); break;
    case CLI_OPT_LIST:
    case CLI_OPT_PAIRS: add_part(out, n, "repeatable"); break;
    case CLI_OPT_HELP:
    case CLI_OPT_FLAG: break;
  }
  if (!v[0] && o->unset) snprintf(v, sizeof v, "%s", o->unset);
  if (v[0]) {
    snprintf(s, sizeof s, "default %s", v);
    add_part(out, n, s);
  }
}

/* Prints text from column col (the cursor is there), wrapped at HELP_WIDTH
 * with continuation lines starting at col. */
static void wrap(FILE *f, const char *text, int col) {
  int at = col;
  while (*text) {
    while (*text == ' ') text++;
    int len = (int)strcspn(text, " ");
    if (!len) break;
    if (at > col && at + 1 + len > HELP_WIDTH) {
      fprintf(f, "\n%*s", col, "");
      at = col;
    }
    if (at > col) fputc(' ', f), at++;
    for (int k = 0; k < len; k++) fputc(text[k] == GLUE ? ' ' : text[k], f);
    at += len;
    text += len;
  }
  fputc('\n', f);
}

void cli_options_help(FILE *f, const cli_command *c, const void *defaults) {
  char left[160], text[1024], extra[512];
  int width = 0;
  for (const cli_option *o = c->options; o->name; o++) {
    int w = takes(c, o) ? left_column(o, left, sizeof left) : 0;
    if (w > width && w <= HELP_MAX_LEFT) width = w;
  }
  int col = 2 + width + 2;
  const char *group = NULL;
  for (const cli_option *o = c->options; o->name; o++) {
    if (!takes(c, o)) continue;
    if (!group || strcmp(group, o->group)) fprintf(f, "\n%s:\n", o->group);
    group = o->group;
    int w = left_column(o, left, sizeof left);
    if (w <= width)
      fprintf(f, "  %-*s  ", width, left);
    else
      fprintf(f, "  %s\n%*s", left, col, "");
    parts(o, defaults, extra, sizeof extra);
    snprintf(text, sizeof text, "%s%s%s%s", o->help, extra[0] ? " (" : "", extra,
             extra[0] ? ")" : "");
    wrap(f, text, col);
  }
}
