/*
 * cmd_new.c -- `pyedge new TEMPLATE NAME`: create an app from a template.
 *
 * The templates are C strings (templates.c), so this needs nothing on disk.
 * NAME must be a Spin component id (kebab-case) because it is used as the
 * app name, the component id and the directory, which must not exist yet.
 * Every file is written in full or the half-made directory is removed, so
 * a failed run leaves nothing behind. There are no prompts, so
 * --accept-defaults (Spin's flag) is accepted and changes nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "templates.h"

static void print_usage(FILE *f) {
  fputs(
      "Usage: pyedge new TEMPLATE NAME [--accept-defaults]\n"
      "       pyedge new -t TEMPLATE NAME   (Spin's spelling; also --template)\n"
      "\n"
      "Creates the directory NAME holding a new app made from TEMPLATE. NAME is\n"
      "also the app and component name: kebab-case words of ASCII letters and\n"
      "digits, each starting with a letter (e.g. hello-world).\n"
      "\n"
      "Templates:\n",
      f);
  for (const pe_template *t = pe_templates; t->name; t++)
    fprintf(f, "  %-15s %s\n", t->name, t->summary);
  fputs(
      "  (http-py-async, pyedge's earlier name for http-py, still works)\n"
      "\nThen: pyedge up -f NAME (or pyedge watch -f NAME)\n",
      f);
}

/* Spin's rule for component ids: words separated by single '-', each word
 * starting with a letter and either all lower or all upper case. */
static bool valid_name(const char *s) {
  if (!*s || strlen(s) > 100) return false;
  const char *w = s;
  for (;;) {
    const char *e = w;
    while (*e && *e != '-') e++;
    if (e == w || !isalpha((unsigned char)*w)) return false;
    bool lower = false, upper = false;
    for (const char *p = w; p < e; p++) {
      unsigned char c = (unsigned char)*p;
      if (c >= 'a' && c <= 'z')
        lower = true;
      else if (c >= 'A' && c <= 'Z')
        upper = true;
      else if (!(c >= '0' && c <= '9'))
        return false;
    }
    if (lower && upper) return false;
    if (!*e) return true;
    w = e + 1;
  }
}

/* Writes `text` with every placeholder replaced by `name`. */
static bool write_file(const char *path, const char *text, const char *name) {
  FILE *f = fopen(path, "w");
  if (!f) return false;
  size_t plen = strlen(PE_TEMPLATE_PLACEHOLDER);
  const char *p = text, *hit;
  while ((hit = strstr(p, PE_TEMPLATE_PLACEHOLDER))) {
    fwrite(p, 1, (size_t)(hit - p), f);
    fputs(name, f);
    p = hit + plen;
  }
  fputs(p, f);
  bool ok = !ferror(f);
  return fclose(f) == 0 && ok;
}

/* mkdir -p for the parents of dir/rel (rel is '/'-separated). */
static bool make_parents(const char *dir, const char *rel) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path) return false;
  for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
    *s = 0;
    if (mkdir(path, 0777) != 0 && errno != EEXIST) return false;
    *s = '/';
  }
  return true;
}

/* Removes what a failed run created: the template's files, then its
 * directories deepest first (only empty ones go). */
static void undo(const char *dir, const pe_template *t) {
  char path[PATH_MAX];
  for (const pe_template_file *f = t->files; f->path; f++) {
    snprintf(path, sizeof path, "%s/%s", dir, f->path);
    unlink(path);
    char *s;
    while ((s = strrchr(path, '/')) && s > path + strlen(dir)) {
      *s = 0;
      rmdir(path);
    }
  }
  rmdir(dir);
}

int cmd_new(int argc, char **argv) {
  const char *pos[2], *template = NULL;
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      print_usage(stdout);
      return 0;
    } else if (!strcmp(a, "--accept-defaults") || !strcmp(a, "-a")) {
      continue;
    } else if (!strcmp(a, "-t") || !strcmp(a, "--template")) {
      if (i + 1 >= argc || template) {
        fprintf(stderr, "pyedge new: %s\n", template ? "one template only" : "-t wants a template");
        return PE_EXIT_USAGE;
      }
      template = argv[++i];
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "pyedge new: unknown option '%s' (see pyedge new --help)\n", a);
      return PE_EXIT_USAGE;
    } else if (npos == 2) {
      fprintf(stderr, "pyedge new: unexpected argument '%s'\n", a);
      return PE_EXIT_USAGE;
    } else {
      pos[npos++] = a;
    }
  }
  /* -t TEMPLATE NAME, or TEMPLATE NAME */
  int want = template ? 1 : 2;
  if (npos != want) {
    fprintf(stderr, "pyedge new: %s\n\n",
            npos > want ? "unexpected argument"
            : npos      ? "missing NAME"
            : template  ? "missing NAME"
                        : "missing TEMPLATE and NAME");
    print_usage(stderr);
    return PE_EXIT_USAGE;
  }
  const char *tname = template ? template : pos[0], *name = pos[npos - 1];
  const pe_template *t = pe_template_find(tname);
  if (!t) {
    fprintf(stderr, "pyedge new: unknown template '%s'; the templates are:\n", tname);
    for (const pe_template *u = pe_templates; u->name; u++)
      fprintf(stderr, "  %-15s %s\n", u->name, u->summary);
    return PE_EXIT_USAGE;
  }
  if (!valid_name(name)) {
    fprintf(stderr,
            "pyedge new: '%s' is not a valid app name: use kebab-case words of ASCII\n"
            "letters and digits, each starting with a letter (e.g. hello-world)\n",
            name);
    return PE_EXIT_USAGE;
  }
  if (mkdir(name, 0777) != 0) {
    if (errno == EEXIST) {
      fprintf(stderr, "pyedge new: '%s' already exists; choose another name or remove it\n", name);
      return 1;
    }
    fprintf(stderr, "pyedge new: cannot create directory '%s': %s\n", name, strerror(errno));
    return PE_EXIT_HOST_ERROR;
  }
  char path[PATH_MAX];
  for (const pe_template_file *f = t->files; f->path; f++) {
    bool ok = make_parents(name, f->path) &&
              snprintf(path, sizeof path, "%s/%s", name, f->path) < (int)sizeof path &&
              write_file(path, f->text, name);
    if (!ok) {
      fprintf(stderr, "pyedge new: cannot write %s/%s: %s\n", name, f->path, strerror(errno));
      undo(name, t);
      return PE_EXIT_HOST_ERROR;
    }
  }
  printf("Created %s from template %s:\n", name, t->name);
  for (const pe_template_file *f = t->files; f->path; f++) printf("  %s/%s\n", name, f->path);
  printf("Run it: pyedge up -f %s\n", name);
  return 0;
}
