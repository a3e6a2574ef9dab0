/*
 * svc_labels.h -- what the "kv" and "sqlite" areas share: resources the
 * guest opens by label (key-value stores, SQLite databases) for handles
 * that last one request.
 *
 * The two areas differ only in what a label leads to (a key-value backend,
 * a SQLite connection pool), what a handle holds, and the words of their
 * messages (pe_svc_label_kind). The rest is one logic, written once here so
 * the two cannot drift apart in what a hostile guest may do:
 *
 *   start-up    the labels that exist are "default" and the runtime
 *               config's [<rc_table>.<label>] sections; each label a
 *               component lists in spin.toml (and "default" when a
 *               start-up option writes to it) is opened once: "default" is
 *               <state dir>/<default_file> (state dir: --state-dir, else
 *               <app>/.spin, made if missing) unless the runtime config
 *               defines it; labels on the same file or Redis URL share one
 *               resource; a granted label defined nowhere stops start-up,
 *               naming the component and the section to add.
 *   <area>.open [label]: 1 to 256 bytes of UTF-8 without NUL (INVALID);
 *               DENIED when the label exists but the component may not use
 *               it, NOT_FOUND when it exists nowhere, LIMIT past max_open
 *               handles; else OK [handle].
 *   handles     ids come from one counter per area for the whole process
 *               and are never reused, so a handle a recycled sandbox kept
 *               from an earlier request fails instead of reaching whatever
 *               this request opened. A request's table (rq->kv, rq->sqlite)
 *               is allocated on its first open; its entries are the area's
 *               own struct, which begins with a pe_svc_handle.
 *
 * App-wide state is built at start-up and only read afterwards, so worker
 * threads share it without a lock (resources lock themselves).
 */
#ifndef PE_SVC_LABELS_H
#define PE_SVC_LABELS_H

#include <stdatomic.h>

#include "runtime_config.h"
#include "services_int.h"

typedef struct pe_svc_label_kind {
  /* the words of messages */
  const char *area;          /* "kv": "kv.open takes one blob: ..." */
  const char *what;          /* "key-value store": "no key-value store named 'x'" */
  const char *label_name;    /* "store label" */
  const char *rc_table;      /* "key_value_store": "add [key_value_store.x] to ..." */
  const char *manifest_key;  /* "key_value_stores": the component's list in spin.toml */
  const char *handle_name;   /* "store": "expected a store handle (an 8-byte integer) first" */
  const char *handle_what;   /* "key-value store": "no open key-value store with handle 7" */
  pe_hc_status stale;        /* the status of a handle not open in this request */
  const char *default_file;  /* "default"'s file in the state directory */
  unsigned max_open;         /* handles open at once per request */
  size_t handle_size;        /* of the area's handle struct (starts with pe_svc_handle) */
  _Atomic uint64_t *last_id; /* the area's handle counter */
  /* the labels a component may open, and the runtime config's definitions */
  const pe_manifest_list *(*grants)(const pe_manifest_component *mc);
  const pe_rc_entry *(*rc_section)(const pe_runtime_config *rc, size_t *n);
  /* Opens the resource behind a SQLite file (NULL: private, in memory) or a
   * Redis URL (url non-NULL); NULL with why filled on failure. */
  void *(*open)(const char *file, const char *url, char *why, size_t whylen);
  void (*free)(void *res);
} pe_svc_label_kind;

typedef struct pe_svc_label {
  char *label;
  void *res; /* owned by the label set (shared with other labels on the same file) */
} pe_svc_label;

typedef struct pe_svc_labels pe_svc_labels;

/* Start-up, in two steps so an area can check its own options in between:
 * _new knows which labels exist (rc's section and "default"); _grant opens
 * every label a component lists, then "default" when default_for is not
 * NULL (it names the start-up option that needs it, for messages). */
pe_svc_labels *pe_svc_labels_new(const pe_svc_label_kind *k, const pe_runtime_config *rc, char *err,
                                 size_t errlen);
bool pe_svc_labels_grant(pe_svc_labels *L, const pe_services *s, const pe_runtime_config *rc,
                         const char *default_for, char *err, size_t errlen);
/* An opened (granted) label, or NULL. */
const pe_svc_label *pe_svc_labels_find(const pe_svc_labels *L, const char *label);
void pe_svc_labels_free(pe_svc_labels *L);

typedef struct pe_svc_handle {
  uint64_t id;
  const pe_svc_label *lab;
} pe_svc_handle;

/* <area>.open [label] -> OK [handle], into the request's table *table. The
 * new entry's bytes after the pe_svc_handle are zero. */
void pe_svc_labels_op_open(const pe_svc_labels *L, const pe_svc_request *rq, void **table,
                           pe_hc_reader *r, pe_buf *out);
/* Reads a handle blob from r: its open entry in table, or NULL after
 * writing the error reply. */
pe_svc_handle *pe_svc_handle_find(const pe_svc_labels *L, void *table, pe_hc_reader *r,
                                  pe_buf *out);
/* Forgets one entry (others may move: pointers into the table are stale). */
void pe_svc_handle_drop(void *table, pe_svc_handle *h);
/* The request is over: release (may be NULL) sees each entry, last first;
 * then the table is freed and *table is NULL. */
void pe_svc_handles_end(void **table, void (*release)(pe_svc_handle *h));

#endif /* PE_SVC_LABELS_H */
