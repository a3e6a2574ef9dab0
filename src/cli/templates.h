/*
 * templates.h -- the app templates of `pyedge new`, compiled into the binary.
 *
 * A template is a named list of files (path relative to the new app's
 * directory, and text). Texts may contain the placeholder {{project-name}},
 * replaced by the app's name when the file is written; nothing else is
 * special, so a template needs no files at run time.
 */
#ifndef PE_CLI_TEMPLATES_H
#define PE_CLI_TEMPLATES_H

typedef struct pe_template_file {
  const char *path; /* relative, '/'-separated; parent dirs are created */
  const char *text;
} pe_template_file;

typedef struct pe_template {
  const char *name;
  const char *summary;
  const pe_template_file *files; /* ends with {NULL, NULL} */
} pe_template;

#define PE_TEMPLATE_PLACEHOLDER "{{project-name}}"

extern const pe_template pe_templates[]; /* ends with {NULL, ...} */

/* The template called `name`, or NULL. */
const pe_template *pe_template_find(const char *name);

#endif /* PE_CLI_TEMPLATES_H */
