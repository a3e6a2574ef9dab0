/*
 * The builtin module `_pyedge`: Python's view of the pyedge host.
 *
 *   _pyedge.log(level: int, message: str) -> None
 *       hands the UTF-8 message to the host import pyedge.log
 *   _pyedge.version() -> str
 *       the host's version string (host import pyedge.version)
 *   _pyedge.call(service: str, payload: bytes) -> bytes
 *       one request to a host service (outbound HTTP, key-value, ...): the
 *       host import pyedge.call runs it and keeps the reply, which
 *       pyedge.reply then copies into a new bytes object. What the payload
 *       and reply mean is each service's business (docs/hostcall.md); this
 *       module only moves bytes. RuntimeError when the host offers no
 *       services (pyedge python / run).
 *   _pyedge.freeze() -> int
 *       called once at the end of start-up, before the host snapshots the
 *       instance: collects garbage, then makes every live object immortal
 *       and moves it to the collector's permanent generation. Requests run
 *       in copy-on-write clones, so a reference count change or a collector
 *       pass over a start-up object would copy its page for nothing; after
 *       freeze() neither happens. Objects are never freed in a clone anyway
 *       (the clone is discarded). Returns how many objects it made immortal.
 *   _pyedge.heap_bounds() -> (start, end, top)
 *       where objects allocated after start-up go (pyedge_reqheap.c): the
 *       region [start, end) and its first never-used byte; (0, 0, 0) before
 *       start-up ends and in command mode. For tests and diagnostics.
 *   _pyedge.decode_request(buf), _pyedge.encode_response(status, headers, body)
 *       the request and response buffers in C (pyedge_codec.c).
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
        PyErr_Format(PyExc_TypeError,
            "log() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    int overflow = 0;
    long level = PyLong_AsLongAndOverflow(args[0], &overflow);
    if (level == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (overflow || level < INT32_MIN || level > INT32_MAX) {
        PyErr_SetString(
            PyExc_OverflowError, "log level does not fit in 32 bits");
        return NULL;
    }
    if (!PyUnicode_Check(args[1])) {
        PyErr_Format(
            PyExc_TypeError, "log() argument 2 must be str, not %T", args[1]);
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

PyDoc_STRVAR(call_doc,
    "call($module, service, payload, /)\n--\n\n"
    "Send payload (bytes) to the host service named service (str); return its reply (bytes).");

static PyObject *
pyedge_call_host(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError,
            "call() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (!PyUnicode_Check(args[0])) {
        PyErr_Format(
            PyExc_TypeError, "call() argument 1 must be str, not %T", args[0]);
        return NULL;
    }
    Py_ssize_t svc_len;
    const char *svc = PyUnicode_AsUTF8AndSize(args[0], &svc_len);
    if (svc == NULL) {
        return NULL;
    }
    Py_buffer in;
    if (PyObject_GetBuffer(args[1], &in, PyBUF_SIMPLE) != 0) {
        return NULL;
    }
    if (svc_len > INT32_MAX || in.len > INT32_MAX) {
        PyBuffer_Release(&in);
        PyErr_SetString(PyExc_OverflowError, "host call payload too large");
        return NULL;
    }
    int32_t n = pyedge_host_call(PYEDGE_I32(svc), (int32_t)svc_len,
        PYEDGE_I32(in.buf), (int32_t)in.len);
    PyBuffer_Release(&in);
    if (n < 0) {
        PyErr_Format(PyExc_RuntimeError,
            "pyedge: the host service '%s' is not available here "
            "(host services exist under `pyedge up`)",
            svc);
        return NULL;
    }
    PyObject *reply = PyBytes_FromStringAndSize(NULL, n);
    if (reply == NULL) {
        (void)pyedge_host_reply(0, 0); /* let the host drop it */
        return NULL;
    }
    int32_t m = pyedge_host_reply(PYEDGE_I32(PyBytes_AS_STRING(reply)), n);
    if (m != n) {
        Py_DECREF(reply);
        PyErr_SetString(
            PyExc_RuntimeError, "pyedge: the host lost a service reply");
        return NULL;
    }
    return reply;
}

/* ---- freeze: see the module comment ---------------------------------------- */

typedef struct {
    PyObject **items;
    size_t len, cap;
    Py_ssize_t made;
    int failed;
} object_stack;

static void
make_immortal(object_stack *st, PyObject *op)
{
    if (_Py_IsImmortal(op)) {
        return;
    }
    op->ob_refcnt = _Py_IMMORTAL_REFCNT;
    st->made++;
    if (Py_TYPE(op)->tp_traverse == NULL) {
        return;
    }
    if (st->len == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 4096;
        PyObject **items = realloc(st->items, cap * sizeof *items);
        if (items == NULL) {
            st->failed = 1;
            return;
        }
        st->items = items;
        st->cap = cap;
    }
    st->items[st->len++] = op;
}

static int
visit_referent(PyObject *op, void *arg)
{
    if (op != NULL) {
        make_immortal(arg, op);
    }
    return 0;
}

PyDoc_STRVAR(freeze_doc,
    "freeze($module, /)\n--\n\n"
    "Collect garbage, make every live object immortal and freeze the collector.");

static PyObject *
pyedge_freeze(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    (void)module;
    PyObject *gc = PyImport_ImportModule("gc");
    if (gc == NULL) {
        return NULL;
    }
    PyObject *r = PyObject_CallMethod(gc, "collect", NULL);
    Py_XDECREF(r);
    PyObject *all = r ? PyObject_CallMethod(gc, "get_objects", NULL) : NULL;
    if (all == NULL || !PyList_Check(all)) {
        Py_XDECREF(all);
        Py_DECREF(gc);
        return NULL;
    }
    object_stack st = {0};
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(all) && !st.failed; i++) {
        make_immortal(&st, PyList_GET_ITEM(all, i));
        /* depth-first over what it refers to; containers the collector does
         * not track (tuples and dicts of atoms) are reached only this way */
        while (st.len > 0 && !st.failed) {
            PyObject *op = st.items[--st.len];
            Py_TYPE(op)->tp_traverse(op, visit_referent, &st);
        }
    }
    free(st.items);
    Py_DECREF(all);
    if (st.failed) {
        Py_DECREF(gc);
        return PyErr_NoMemory();
    }
    r = PyObject_CallMethod(gc, "freeze", NULL);
    Py_DECREF(gc);
    if (r == NULL) {
        return NULL;
    }
    Py_DECREF(r);
    return PyLong_FromSsize_t(st.made);
}

PyDoc_STRVAR(heap_bounds_doc,
    "heap_bounds($module, /)\n--\n\n"
    "(start, end, top) of the region that objects allocated after start-up\n"
    "come from: [start, end), first never-used byte top; (0, 0, 0) if none.");

static PyObject *
pyedge_heap_bounds(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    uintptr_t lo, hi, top;
    pyedge_reqheap_bounds(&lo, &hi, &top);
    return Py_BuildValue(
        "(kkk)", (unsigned long)lo, (unsigned long)hi, (unsigned long)top);
}

static PyMethodDef pyedge_methods[] = {
    {"call", (PyCFunction)(void (*)(void))pyedge_call_host, METH_FASTCALL,
        call_doc},
    {"freeze", pyedge_freeze, METH_NOARGS, freeze_doc},
    {"heap_bounds", pyedge_heap_bounds, METH_NOARGS, heap_bounds_doc},
    {"log", (PyCFunction)(void (*)(void))pyedge_log, METH_FASTCALL, log_doc},
    {"version", pyedge_version, METH_NOARGS, version_doc},
    {NULL, NULL, 0, NULL},
};

static int
pyedge_exec(PyObject *module)
{
    return pyedge_add_codec_functions(module);
}

static PyModuleDef_Slot pyedge_slots[] = {
    {Py_mod_exec, pyedge_exec},
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
