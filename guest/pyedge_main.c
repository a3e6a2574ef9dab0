/*
 * pyedge guest exports: command mode (pyedge_command) and embedded mode
 * (pyedge_init / pyedge_call), plus the buffers the host fills and reads.
 * The ABI is documented in pyedge_guest.h.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "pyedge_guest.h"

enum pyedge_mode {
    MODE_IDLE,     /* nothing started yet */
    MODE_EMBEDDED, /* pyedge_init started the interpreter; it stays up */
    MODE_FINISHED, /* pyedge_command ran (interpreter finalized) or start-up failed */
};

static enum pyedge_mode mode = MODE_IDLE;
static PyObject *app_module;      /* strong reference, embedded mode */
static unsigned char *result_buf; /* last pyedge_call result (malloc) */
static size_t result_len;

/* ---- helpers -------------------------------------------------------------- */

/* Flush Python's and C's standard streams so that the host has all output.
 * Must be called with the interpreter running (or finalized: then only C's). */
static void
flush_std_streams(void)
{
    if (Py_IsInitialized()) {
        PyObject *exc = PyErr_GetRaisedException();
        static const char *const names[] = {"stdout", "stderr"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            PyObject *f = PySys_GetObject(names[i]); /* borrowed */
            if (f == NULL || f == Py_None) {
                continue;
            }
            PyObject *r = PyObject_CallMethod(f, "flush", NULL);
            if (r == NULL) {
                PyErr_Clear();
            }
            Py_XDECREF(r);
        }
        PyErr_SetRaisedException(exc);
    }
    fflush(stdout);
    fflush(stderr);
}

/* Print the raised exception with its traceback to sys.stderr and clear it.
 * Unlike PyErr_Print(), SystemExit does not exit the process. */
static void
print_exception(void)
{
    PyObject *exc = PyErr_GetRaisedException();
    if (exc != NULL) {
        PyErr_DisplayException(exc);
        Py_DECREF(exc);
    }
    flush_std_streams();
}

static void
clear_result(void)
{
    free(result_buf);
    result_buf = NULL;
    result_len = 0;
}

/* ---- command mode ---------------------------------------------------------- */

/* Runs the interpreter like `python3`: argv from WASI args_get, environment
 * from WASI environ_get, and Py_BytesMain's handling of SystemExit, -c, -m,
 * scripts and the REPL. Returns the exit status. */
PYEDGE_EXPORT(pyedge_command) int32_t
pyedge_command(void)
{
    if (mode != MODE_IDLE) {
        fputs(
            "pyedge_command: the interpreter has already been started in this instance\n",
            stderr);
        fflush(stderr);
        return 1;
    }
    mode = MODE_FINISHED;

    __wasi_size_t argc = 0, argv_size = 0;
    if (__wasi_args_sizes_get(&argc, &argv_size) != __WASI_ERRNO_SUCCESS) {
        fputs("pyedge_command: args_sizes_get failed\n", stderr);
        return 1;
    }
    char **argv = calloc((size_t)argc + 2, sizeof *argv);
    char *argv_buf = malloc((size_t)argv_size + 1);
    if (argv == NULL || argv_buf == NULL) {
        fputs("pyedge_command: out of memory\n", stderr);
        return 1;
    }
    if (argc > 0 &&
        __wasi_args_get((uint8_t **)argv, (uint8_t *)argv_buf) !=
            __WASI_ERRNO_SUCCESS) {
        fputs("pyedge_command: args_get failed\n", stderr);
        return 1;
    }
    if (argc == 0) { /* no program name given: python3 needs one */
        argv[0] = "python3";
        argc = 1;
    }
    argv[argc] = NULL;

    if (pyedge_register_builtin_module() != 0) {
        return 1;
    }
    int status = Py_BytesMain((int)argc, argv);
    fflush(stdout);
    fflush(stderr);
    /* argv is kept: the finalized runtime may still point into it. */
    return status;
}

/* ---- host buffers ------------------------------------------------------------ */

PYEDGE_EXPORT(pyedge_alloc) int32_t
pyedge_alloc(int32_t size)
{
    if (size < 0) {
        return 0;
    }
    return PYEDGE_I32(malloc(size > 0 ? (size_t)size : 1));
}

PYEDGE_EXPORT(pyedge_free) void
pyedge_free(int32_t ptr)
{
    free(PYEDGE_PTR(ptr));
}

/* ---- embedded mode ----------------------------------------------------------- */

/* Reads an environment variable into a PyConfig string field (bytes decoded
 * like the command line). */
static PyStatus
config_from_env(PyConfig *config, wchar_t **field, const char *name)
{
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        return PyStatus_Ok();
    }
    return PyConfig_SetBytesString(config, field, value);
}

static int
prepend_pythonpath(void)
{
    const char *env = getenv("PYTHONPATH");
    if (env == NULL || env[0] == '\0') {
        return 0;
    }
    PyObject *path = PySys_GetObject("path"); /* borrowed */
    if (path == NULL || !PyList_Check(path)) {
        PyErr_SetString(PyExc_RuntimeError, "sys.path is not a list");
        return -1;
    }
    Py_ssize_t index = 0;
    for (const char *p = env;;) {
        const char *end = strchr(p, ':');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            PyObject *entry =
                PyUnicode_DecodeFSDefaultAndSize(p, (Py_ssize_t)len);
            if (entry == NULL) {
                return -1;
            }
            int r = PyList_Insert(path, index++, entry);
            Py_DECREF(entry);
            if (r != 0) {
                return -1;
            }
        }
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    return 0;
}

static int
start_interpreter(void)
{
    PyStatus status;
    PyPreConfig preconfig;
    PyPreConfig_InitIsolatedConfig(&preconfig);
    preconfig.utf8_mode = 1;
    status = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(status)) {
        goto fail;
    }
    if (pyedge_register_builtin_module() != 0) {
        return -1;
    }

    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    /* Isolated (no PYTHON* environment, no user site, no cwd on sys.path),
     * except for where the stdlib and the application live (PYTHONHOME,
     * PYTHONPATH) and whether to write .pyc files. */
    status = config_from_env(&config, &config.home, "PYTHONHOME");
    if (!PyStatus_Exception(status)) {
        const char *dont_write = getenv("PYTHONDONTWRITEBYTECODE");
        if (dont_write != NULL && dont_write[0] != '\0') {
            config.write_bytecode = 0;
        }
        status =
            PyConfig_SetBytesString(&config, &config.program_name, "python3");
    }
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        goto fail;
    }
    /* getpath ignores PYTHONPATH in an isolated config: put its entries in
     * front of sys.path ourselves, where python3 would have them. */
    if (prepend_pythonpath() != 0) {
        print_exception();
        return -1;
    }
    return 0;

fail:
    fprintf(stderr, "pyedge_init: cannot start Python: %s%s%s\n",
        status.func ? status.func : "", status.func ? ": " : "",
        status.err_msg ? status.err_msg : "(no message)");
    fflush(stderr);
    return -1;
}

PYEDGE_EXPORT(pyedge_init) int32_t
pyedge_init(int32_t name_ptr, int32_t name_len)
{
    if (mode == MODE_FINISHED) {
        fputs(
            "pyedge_init: the interpreter of this instance has ended (or failed to start)\n",
            stderr);
        fflush(stderr);
        return -1;
    }
    if (name_len < 0 || (name_len > 0 && name_ptr == 0)) {
        fputs("pyedge_init: bad module name buffer\n", stderr);
        fflush(stderr);
        return -1;
    }
    if (mode == MODE_IDLE) {
        if (start_interpreter() != 0) {
            mode = MODE_FINISHED;
            return -1;
        }
        mode = MODE_EMBEDDED;
    }

    PyObject *name =
        PyUnicode_DecodeUTF8(PYEDGE_PTR(name_ptr), name_len, "strict");
    PyObject *module = name != NULL ? PyImport_Import(name) : NULL;
    Py_XDECREF(name);
    if (module == NULL) {
        print_exception();
        return -1;
    }
    Py_XSETREF(app_module, module);
    flush_std_streams();
    /* start-up is over: what requests allocate goes to a compact region */
    (void)pyedge_reqheap_install(PYEDGE_REQHEAP_BYTES);
    return 0;
}

PYEDGE_EXPORT(pyedge_call) int32_t
pyedge_call(int32_t arg_ptr, int32_t arg_len)
{
    clear_result();
    if (mode != MODE_EMBEDDED || app_module == NULL) {
        fputs(
            "pyedge_call: no module: pyedge_init has not succeeded\n", stderr);
        fflush(stderr);
        return -1;
    }
    if (arg_len < 0 || (arg_len > 0 && arg_ptr == 0)) {
        fputs("pyedge_call: bad argument buffer\n", stderr);
        fflush(stderr);
        return -1;
    }

    PyObject *arg = PyBytes_FromStringAndSize(PYEDGE_PTR(arg_ptr), arg_len);
    PyObject *res = arg != NULL
        ? PyObject_CallMethod(app_module, "pyedge_call", "O", arg)
        : NULL;
    Py_XDECREF(arg);
    if (res == NULL) {
        print_exception();
        return -1;
    }

    int rc = -1;
    Py_buffer view;
    if (PyObject_GetBuffer(res, &view, PyBUF_SIMPLE) != 0) {
        PyErr_Format(
            PyExc_TypeError, "pyedge_call() must return bytes, not %T", res);
    }
    else {
        if (view.len > INT32_MAX) {
            PyErr_SetString(
                PyExc_OverflowError, "pyedge_call() result too large");
        }
        else if ((result_buf = malloc(view.len > 0 ? (size_t)view.len : 1)) ==
            NULL) {
            PyErr_NoMemory();
        }
        else {
            memcpy(result_buf, view.buf, (size_t)view.len);
            result_len = (size_t)view.len;
            rc = 0;
        }
        PyBuffer_Release(&view);
    }
    Py_DECREF(res);
    if (rc != 0) {
        print_exception();
        return -1;
    }
    flush_std_streams();
    return 0;
}

PYEDGE_EXPORT(pyedge_result_ptr) int32_t
pyedge_result_ptr(void)
{
    return PYEDGE_I32(result_buf);
}

PYEDGE_EXPORT(pyedge_result_len) int32_t
pyedge_result_len(void)
{
    return (int32_t)result_len;
}
