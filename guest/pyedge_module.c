/*
 * The builtin module `_pyedge`: Python's view of the pyedge host.
 *
 *   _pyedge.log(level: int, message: str) -> None
 *       hands the UTF-8 message to the host import pyedge.log
 *   _pyedge.version() -> str
 *       the host's version string (host import pyedge.version)
 *
 * The module has no state, so it is safe in subinterpreters and without the
 * GIL. See pyedge_guest.h for the ABI of the host imports.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "pyedge_guest.h"

PyDoc_STRVAR(log_doc,
"log($module, level, message, /)\n--\n\n"
"Send message (str) to the host's log at the given level (int).");

static PyObject *
pyedge_log(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "log() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    int overflow = 0;
    long level = PyLong_AsLongAndOverflow(args[0], &overflow);
    if (level == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (overflow || level < INT32_MIN || level > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "log level does not fit in 32 bits");
        return NULL;
    }
    if (!PyUnicode_Check(args[1])) {
        PyErr_Format(PyExc_TypeError, "log() argument 2 must be str, not %T", args[1]);
        return NULL;
    }
    Py_ssize_t len;
    const char *msg = PyUnicode_AsUTF8AndSize(args[1], &len);
    if (msg == NULL) {
        return NULL;
    }
    if (len > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "log message too long");
        return NULL;
    }
    pyedge_host_log((int32_t)level, PYEDGE_I32(msg), (int32_t)len);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(version_doc,
"version($module, /)\n--\n\n"
"Return the version string of the pyedge host.");

static PyObject *
pyedge_version(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    (void)module;
    char small[64];
    int32_t n = pyedge_host_version(PYEDGE_I32(small), (int32_t)sizeof small);
    if (n < 0) {
        PyErr_SetString(PyExc_RuntimeError, "pyedge host: version() failed");
        return NULL;
    }
    if ((size_t)n <= sizeof small) {
        return PyUnicode_DecodeUTF8(small, n, "replace");
    }
    /* Larger than the first buffer: ask again with the announced size. The
     * host may change its answer in between; take at most what fits. */
    char *big = PyMem_Malloc((size_t)n);
    if (big == NULL) {
        return PyErr_NoMemory();
    }
    int32_t m = pyedge_host_version(PYEDGE_I32(big), n);
    PyObject *res;
    if (m < 0) {
        PyErr_SetString(PyExc_RuntimeError, "pyedge host: version() failed");
        res = NULL;
    }
    else {
        res = PyUnicode_DecodeUTF8(big, m < n ? m : n, "replace");
    }
    PyMem_Free(big);
    return res;
}

static PyMethodDef pyedge_methods[] = {
    {"log", (PyCFunction)(void (*)(void))pyedge_log, METH_FASTCALL, log_doc},
    {"version", pyedge_version, METH_NOARGS, version_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot pyedge_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

PyDoc_STRVAR(module_doc, "Calls into the pyedge host that runs this sandbox.");

static struct PyModuleDef pyedge_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_pyedge",
    .m_doc = module_doc,
    .m_size = 0,
    .m_methods = pyedge_methods,
    .m_slots = pyedge_slots,
};

static PyObject *
PyInit__pyedge(void)
{
    return PyModuleDef_Init(&pyedge_module);
}

int
pyedge_register_builtin_module(void)
{
    if (PyImport_AppendInittab("_pyedge", PyInit__pyedge) != 0) {
        fputs("pyedge: cannot register the _pyedge module\n", stderr);
        return -1;
    }
    return 0;
}
