/*
 * pe_build.h -- what a component's sandbox is made of: pyedge's own build.
 *
 * Spin's Python templates build a component with componentize-py, which
 * bundles the interpreter, the app and its packages into one app.wasm.
 * pyedge runs the same directory unchanged, but builds differently: the
 * interpreter is shared, and the component's code is *mounted* read-only
 * into the sandbox. This header covers each step of deciding what is
 * mounted, one file each:
 *
 *   build_cmdline.c   reads the componentize-py command line of
 *                     [component.x.build] (module, -p paths, -w, -o), so
 *                     the template's build settings still apply
 *   build_requirements.c  filters requirements.txt: spin-sdk and
 *                     componentize-py are pyedge's own roles and skipped
 *   build_bundle.c    installs the remaining requirements with the host's
 *                     pip into a bundle directory cached by their hash
 *   build_glob.c      Spin's glob patterns (`files`, `exclude_files`)
 *   build_tree.c      walks a directory: content hash (snapshot key), size
 *                     (bundle limits) and native extensions (refused)
 *   build_files.c     the component's `files`, gathered into one directory
 *                     tree mounted at / (Spin's layout)
 *   build_plan.c      all of the above for one component: its mounts,
 *                     PYTHONPATH and a key over everything it can import
 *
 * What the guest sees (all read-only):
 *   /usr/local/lib          the standard library
 *   /usr/local/pyedge       the SDK (spin_sdk, pyedge_entry)
 *   /app                    the component's directory (build workdir), as a
 *                           mirror of what the key covers: no hidden entries,
 *                           no pyedge state, no links out of it
 *   /usr/local/pypath/N     the N-th -p path outside the component directory
 *   /usr/local/site-packages  the pip bundle
 *   /                       the `files` tree (only when `files` is given)
 * and sys.path = the -p paths in order (default: /app), /usr/local/pyedge,
 * /usr/local/site-packages.
 */
#ifndef PE_BUILD_H
#define PE_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "manifest/pe_manifest.h"
#include "util/pe_util.h"

/* A growable list of owned strings. */
typedef struct pe_strs {
  char **items;
  size_t len;
} pe_strs;
PE_MUST_CHECK bool pe_strs_push(pe_strs *l, const char *s);
PE_MUST_CHECK bool pe_strs_pushf(pe_strs *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pe_strs_free(pe_strs *l);

/* Informational and warning lines go through one callback ("info: ..."
 * lines are printed by the caller with the component's name). */
typedef void (*pe_build_note_fn)(void *ctx, bool warning, const char *msg);
/* build_note.c: formats and sends one note; nothing when note is NULL. */
#define PE_BUILD_NOTE_MAX 2048
void pe_build_notef(pe_build_note_fn note, void *ctx, bool warning, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --- build_cmdline.c -------------------------------------------------------- */

/* Splits a command line the way a POSIX shell splits plain words: blanks
 * separate, '...' is literal, "..." keeps blanks and honours \" \\ \$ \`,
 * a backslash outside quotes escapes the next character. Unquoted ; & |
 * (and && ||) become operator words of their own, flagged in *ops (may be
 * NULL). False on an unterminated quote. */
bool pe_shell_split(const char *cmd, pe_strs *words, pe_strs *ops, char *err, size_t errlen);

typedef enum pe_cz_status {
  PE_CZ_OK,       /* a componentize-py build: *out is filled */
  PE_CZ_NOT_OURS, /* no command is `componentize-py ... componentize` */
  PE_CZ_INVALID,  /* it is, but pyedge cannot tell what it builds */
} pe_cz_status;

typedef struct pe_cz_command {
  char *module;         /* the app module ("app") */
  char *world;          /* -w/--world, or NULL */
  char *output;         /* -o/--output ("index.wasm" unless given) */
  pe_strs python_paths; /* -p/--python-path in order; "." when none given */
  pe_strs warnings;     /* ignored options and commands, one message each */
  pe_strs notes;        /* parts left out on purpose, which need no change */
} pe_cz_command;

/* Reads the build commands (run in order by Spin) and finds the one that
 * runs componentize-py's `componentize` subcommand. On PE_CZ_NOT_OURS and
 * PE_CZ_INVALID, err says why. */
pe_cz_status pe_cz_parse(const char *const *commands, size_t n, pe_cz_command *out, char *err,
                         size_t errlen);
void pe_cz_free(pe_cz_command *c);

/* --- build_requirements.c --------------------------------------------------- */

typedef struct pe_req_filtered {
  pe_buf text;      /* what pip gets (-r/-c paths made absolute) */
  pe_strs kept;     /* requirement lines kept, for messages */
  pe_strs skipped;  /* "spin-sdk == 3.4.1" ... lines pyedge provides */
  pe_strs included; /* absolute paths of -r/-c files it refers to */
} pe_req_filtered;

/* PEP 503 name normalisation: lower case, runs of - _ . become one '-'. */
void pe_req_normalize(const char *name, size_t len, char *out, size_t outlen);
/* Filters requirements.txt text; base_dir resolves relative -r/-c paths. */
bool pe_req_filter(const char *text, size_t len, const char *base_dir, pe_req_filtered *out,
                   char *err, size_t errlen);
void pe_req_free(pe_req_filtered *r);

/* --- build_glob.c: Spin's (Rust glob crate's) pattern syntax ----------------- */

/* * ? [abc] [a-z] [!a] and ** as a whole path component (any number of
 * directories). With literal_sep, * ? and [...] never match '/' (used for
 * `files`); without, they do (Spin matches `exclude_files` that way). */
bool pe_glob_valid(const char *pattern, char *err, size_t errlen);
bool pe_glob_match(const char *pattern, const char *path, bool literal_sep);
bool pe_glob_has_magic(const char *pattern);

/* --- build_tree.c ------------------------------------------------------------ */

typedef struct pe_tree_walk {
  /* inputs */
  pe_sha256 *hash;                  /* names and contents are added, or NULL */
  bool scan_native;                 /* collect *.so, *.so.N, *.pyd, *.dylib */
  bool skip_hidden;                 /* skip names starting with '.' */
  const char *const *private_paths; /* absolute real paths never entered or read, */
  size_t nprivate;                  /* nor anything below them (pyedge's own state) */
  pe_strs *record;                  /* if set, gets "D<rel>" / "F<rel>" and, after each
                              F, the file's real path: what a mirror holds */
  /* outputs, added to */
  uint64_t bytes, files;
  pe_strs native; /* paths relative to the walked root */
} pe_tree_walk;

/* Walks every regular file below root in sorted order, always skipping
 * __pycache__ and virtual environments (directories holding pyvenv.cfg).
 * A symlink is followed only while its target stays below root: a link
 * out of the tree (absolute, or through ..) is skipped, as the guest
 * could not follow it either; loops are skipped. False on an unreadable
 * directory. */
bool pe_tree_walk_dir(pe_tree_walk *w, const char *root, char *err, size_t errlen);
void pe_tree_walk_free(pe_tree_walk *w);
/* Whether real (an absolute, resolved path) is one of paths or lies below one. */
bool pe_path_is_within(const char *real, const char *const *paths, size_t n);
/* Builds <root>/<name> from a walk's record (hard links where possible,
 * else copies) unless it exists: built under a temporary name and renamed,
 * so a tree that exists is complete and never changes. */
bool pe_tree_mirror(const pe_strs *record, const char *root, const char *name, char *out,
                    size_t outlen, char *err, size_t errlen);
/* Places one file at tmp/rel (parents created): a hard link to src, else a
 * copy; src is opened without following a final symlink. */
bool pe_tree_place(const char *tmp, const char *rel, const char *src, char *err, size_t errlen);
/* The distribution that installed rel (from *.dist-info/RECORD under root),
 * else rel's first path component. */
void pe_tree_package_of(const char *root, const char *rel, char *out, size_t outlen);
/* Whether dir holds pyvenv.cfg (a virtual environment: never walked). */
bool pe_tree_is_venv(const char *dir);
/* Whether a file name is a native extension or shared library. */
bool pe_tree_is_native(const char *name);
/* Adds a file's size and bytes to h. */
bool pe_tree_hash_file(pe_sha256 *h, const char *path, char *err, size_t errlen);
/* rm -rf (symlinks are removed, never followed). */
void pe_tree_remove(const char *path);

/* --- build_files.c ------------------------------------------------------------ */

/* Gathers the component's `files` (patterns and { source, destination })
 * into <files_root>/<id>-<hash>/, hard links where possible, else copies;
 * the directory is named by the hash of its contents, so a running server
 * never sees it change. *tree is "" when there are no files. The hash is
 * added to key when not NULL. A file or directory that resolves (through
 * a symlink) outside app_root is refused by name; one below a private
 * path (real paths: pyedge's state, logs, stores) is left out. */
bool pe_files_prepare(const pe_manifest_component *mc, const char *app_root, const char *files_root,
                      const char *const *private_paths, size_t nprivate, pe_sha256 *key,
                      pe_build_note_fn note, void *note_ctx, char *tree, size_t treelen, char *err,
                      size_t errlen);
/* Guest paths pyedge mounts itself: a `files` destination may not fall
 * under one (it would be hidden). */
bool pe_files_reserved(const char *guest_rel);

/* --- build_bundle.c ------------------------------------------------------------ */

typedef struct pe_bundle_options {
  const char *component_dir;  /* holds requirements.txt; pip runs there */
  const char *bundles_root;   /* <state>/pyedge/bundles */
  const char *python_version; /* the guest's, e.g. "3.13" */
  const char *python;         /* host interpreter; NULL: "python3" */
  pe_build_note_fn note;
  void *note_ctx;
} pe_bundle_options;

/* Installs requirements.txt (when there is one and anything is left after
 * filtering) and sets site to the bundle's directory, or "" when there is
 * nothing to install. Refuses packages with native code. */
bool pe_bundle_prepare(const pe_bundle_options *o, char *site, size_t sitelen, char *err,
                       size_t errlen);

/* --- build_plan.c ------------------------------------------------------------- */

typedef struct pe_plan_options {
  const char *manifest_dir; /* absolute */
  const char *state_dir;    /* absolute; created as needed */
  const char *sdk_dir, *stdlib_dir;
  uint64_t max_bundle;              /* refuse above (bytes); 0: no limit */
  uint64_t warn_bundle;             /* warn above (bytes); 0: never */
  const char *const *private_paths; /* absolute: logs, stores, runtime config -- */
  size_t nprivate;                  /* never visible to the guest (the state dir always) */
  pe_build_note_fn note;
  void *note_ctx;
} pe_plan_options;

/* A host directory the guest sees read-only at guest_path: what a plan
 * decides and a component's sandbox mounts (serve_component.c). */
typedef struct pe_component_mount {
  const char *host_dir, *guest_path;
} pe_component_mount;

#define PE_PLAN_MAX_MOUNTS 40

typedef struct pe_plan {
  char module[256];
  char app_dir[4096];  /* the component's directory on the host */
  char app_tree[4096]; /* what is mounted at /app: its mirror (build_tree.c) */
  pe_component_mount mounts[PE_PLAN_MAX_MOUNTS]; /* after /app, in order */
  size_t nmounts;
  pe_strs owned;         /* the strings the mounts point to */
  char *python_path;     /* PYTHONPATH */
  uint64_t bundle_bytes; /* component files + packages */
  char key[65];          /* hash of everything the guest can import or read */
} pe_plan;

bool pe_plan_component(const pe_plan_options *o, const pe_manifest_component *mc, pe_plan *out,
                       char *err, size_t errlen);
void pe_plan_free(pe_plan *p);

#endif /* PE_BUILD_H */
