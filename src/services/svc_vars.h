/*
 * svc_vars.h -- application and component variables (Spin semantics), the
 * "vars" service area, and what other areas need from it: template
 * expansion against app variables (allowed_outbound_hosts may say
 * "https://{{ api_host }}") and scrubbing secret values out of messages.
 *
 * Values are resolved once, at start-up, in Spin's provider order:
 *   1. --variable name=value (pe_services_options.variables; the last wins)
 *   2. the environment variable SPIN_VARIABLE_<NAME> (name upper-cased)
 *   3. the manifest's `default`
 * A `required` variable with none of these stops the app (pe_services_new
 * fails with a message naming it and how to set it). Component variables
 * are the names a guest may ask for; their values are templates over app
 * variables, expanded here. A component variable built from a `secret` app
 * variable is secret too.
 *
 * Guest call (docs/hostcall.md):
 *   vars.get   [name]  ->  OK [value] | INVALID (bad name) | NOT_FOUND
 */
#ifndef PE_SVC_VARS_H
#define PE_SVC_VARS_H

#include "services_int.h"

bool pe_svc_vars_open(pe_services *s, char *err, size_t errlen);
void pe_svc_vars_close(pe_services *s);
void pe_svc_vars_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n, pe_buf *out);

/* Expands `{{ name }}` templates in tmpl against the resolved app
 * variables; *secret (may be NULL) says whether a secret one was used.
 * Returns a malloc'd string, or NULL with a message (which never contains
 * a value). */
char *pe_svc_vars_expand(const pe_services *s, const char *tmpl, bool *secret, char *err,
                         size_t errlen);

/* A component variable's resolved value, or NULL. */
const char *pe_svc_vars_component(const pe_services *s, const char *component, const char *name);

/* Replaces every occurrence of a secret value in msg (NUL-terminated, in
 * place) with "***". Values shorter than 3 bytes are left alone. */
void pe_svc_vars_redact(const pe_services *s, char *msg);

/* Spin's rule for a variable name: lower-case ASCII letters, digits and
 * '_', starting with a letter, no "__", not ending in '_'. NULL when valid,
 * else why not. */
const char *pe_svc_vars_name_problem(const char *name, size_t len);

#endif /* PE_SVC_VARS_H */
