/*
 * pyedge guest: our embedding of CPython 3.13 in a WebAssembly module
 * (pyedge-python.wasm), compiled for wasm32-wasi with Debian's clang-19 and
 * linked against the cross-built libpython3.13.a by toolchain/link-guest.sh.
 *
 * Design
 * ------
 * CPython's own python.wasm is a WASI *command*: `_start` runs main() and the
 * instance is dead afterwards. pyedge wants to start an interpreter once, import
 * the application, snapshot the instance (linear memory + globals), and then
 * serve each request from a copy of that snapshot. So this module is a WASI
 * *reactor* (linked with -mexec-model=reactor): it has no `_start`; the host
 * calls `_initialize` exactly once (it runs the C constructors), then any of the
 * exports below. The module serves two modes, chosen by the first export the
 * host calls:
 *
 *   command mode   pyedge_command() behaves like `python3 ARGS...` and finalizes
 *                  the interpreter: one call per instance.
 *   embedded mode  pyedge_init() starts an isolated interpreter and imports the
 *                  application module; pyedge_call() may then be called any
 *                  number of times (typically on copies of a snapshot taken
 *                  after pyedge_init).
 * Mixing the modes in one instance is refused (-1 / exit status 1).
 *
 * Exports (wasm types; pointers are offsets into the exported `memory`)
 * ------------------------------------------------------------------
 *   _initialize() -> ()                  wasi-libc: run constructors, once, first
 *   pyedge_command() -> i32              python3 main: argv from WASI args_get
 *                                        (argv[0] = program name), environment
 *                                        from WASI environ_get, PYTHON* variables
 *                                        honoured as python3 does; returns the
 *                                        exit status (may also end via proc_exit)
 *   pyedge_alloc(size: i32) -> i32       guest buffer for the host to fill; 0 on
 *                                        failure; size 0 gives a valid pointer
 *   pyedge_free(ptr: i32) -> ()          releases a pyedge_alloc buffer (0: no-op)
 *   pyedge_init(name: i32, len: i32) -> i32
 *                                        starts the interpreter if needed
 *                                        (isolated config; only PYTHONHOME,
 *                                        PYTHONPATH and PYTHONDONTWRITEBYTECODE
 *                                        are read from the environment), imports
 *                                        the module named by the UTF-8 bytes
 *                                        [name, name+len) and keeps it (a later
 *                                        pyedge_init replaces it). 0, or -1 after
 *                                        printing the traceback to stderr.
 *   pyedge_call(arg: i32, len: i32) -> i32
 *                                        calls <module>.pyedge_call(arg: bytes)
 *                                        with a copy of [arg, arg+len); the
 *                                        result must be bytes-like and is copied
 *                                        into a guest buffer. 0, or -1 after
 *                                        printing the traceback to stderr (also
 *                                        for SystemExit: it does not end the
 *                                        instance in embedded mode).
 *   pyedge_result_ptr() -> i32           the last pyedge_call result: valid until
 *   pyedge_result_len() -> i32           the next pyedge_call; len 0 after -1
 * After pyedge_init/pyedge_call return, sys.stdout and sys.stderr have been
 * flushed, so the host has all output written so far.
 *
 * Imports
 * -------
 *   wasi_snapshot_preview1.*             WASI preview 1 (wasi-libc)
 *   pyedge.log(level: i32, ptr: i32, len: i32) -> ()
 *                                        a UTF-8 message for the host's log
 *   pyedge.version(buf: i32, cap: i32) -> i32
 *                                        host writes up to cap bytes of its
 *                                        UTF-8 version string at buf, returns the
 *                                        full length (the guest retries with a
 *                                        bigger buffer when it is > cap)
 *   pyedge.call(svc: i32, svc_len: i32, in: i32, in_len: i32) -> i32
 *                                        runs one request to the host service
 *                                        named by the UTF-8 [svc, svc+svc_len)
 *                                        with payload [in, in+in_len); returns
 *                                        the reply's length (the host keeps the
 *                                        reply), or -1: no services here
 *   pyedge.reply(buf: i32, cap: i32) -> i32
 *                                        copies the kept reply to buf if it fits
 *                                        in cap, drops it either way; returns the
 *                                        bytes copied (-1: none kept)
 * All are used only by the builtin module `_pyedge` (pyedge_module.c), which
 * is registered (PyImport_AppendInittab) before the interpreter starts, in both
 * modes:  _pyedge.log(level: int, message: str) -> None
 *         _pyedge.version() -> str
 *         _pyedge.call(service: str, payload: bytes) -> bytes
 *         _pyedge.freeze() -> int
 *         _pyedge.heap_bounds() -> (start, end, top)
 */
#ifndef PYEDGE_GUEST_H
#define PYEDGE_GUEST_H

#include <stddef.h>
#include <stdint.h>

#define PYEDGE_EXPORT(name) __attribute__((export_name(#name)))
#define PYEDGE_IMPORT(name)                                                   \
    __attribute__((import_module("pyedge"), import_name(#name)))

/* Host imports (module "pyedge"). */
PYEDGE_IMPORT(log) void pyedge_host_log(
    int32_t level, int32_t ptr, int32_t len);
PYEDGE_IMPORT(version) int32_t pyedge_host_version(int32_t buf, int32_t cap);
PYEDGE_IMPORT(call) int32_t pyedge_host_call(
    int32_t svc, int32_t svc_len, int32_t in, int32_t in_len);
PYEDGE_IMPORT(reply) int32_t pyedge_host_reply(int32_t buf, int32_t cap);

/* Registers the builtin module `_pyedge`; call before the interpreter starts.
 * Returns 0, or -1 (message on stderr). */
int pyedge_register_builtin_module(void);

/* Adds decode_request and encode_response (pyedge_codec.c) to `_pyedge`.
 * struct _object is CPython's PyObject. Returns 0, or -1 with an exception. */
struct _object;
int pyedge_add_codec_functions(struct _object *module);

/* From the end of pyedge_init on, the object and PyMem domains allocate from
 * a region of this many bytes first (pyedge_reqheap.c). */
#define PYEDGE_REQHEAP_BYTES (4u << 20)

/* Installs that allocator over a region of `bytes` taken from malloc; once
 * per instance (later calls do nothing). Returns 0, or -1 if malloc failed
 * (the interpreter then allocates as before). */
int pyedge_reqheap_install(size_t bytes);

/* The region's bounds and its first never-used byte; all 0 before install. */
void pyedge_reqheap_bounds(uintptr_t *lo, uintptr_t *hi, uintptr_t *top);

/* wasm32 pointers are 32-bit linear-memory offsets. */
#define PYEDGE_PTR(i32) ((void *)(uintptr_t)(uint32_t)(i32))
#define PYEDGE_I32(ptr) ((int32_t)(uint32_t)(uintptr_t)(ptr))

#endif
