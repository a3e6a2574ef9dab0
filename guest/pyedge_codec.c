/*
 * pyedge_codec.c -- the request and response buffers of docs/abi.md, in C,
 * for the two functions every request runs:
 *
 *   _pyedge.decode_request(buf) -> (method, uri, headers, body) | None
 *   _pyedge.encode_response(status, headers, body) -> bytes | None
 *
 * Both are fast paths of pure-Python functions in sdk/python/pyedge_entry.py
 * (decode_request; normalize_response + encode_response) and answer None
 * whenever they meet something they do not handle, whether it is wrong
 * (a truncated buffer, a bad header name) or merely unusual (an int subclass
 * as status, headers as a list of pairs, a bytearray body). The Python code
 * then does the work again and raises the error with its full message, or
 * accepts the unusual input. So these functions never decide what is an
 * error; they only must not accept anything the Python code refuses, nor
 * produce anything different from it. tests/sdk/test_abi.py compares the two
 * on valid buffers and thousands of mutations.
 *
 * Why C: in the sandbox the Python versions were about half of a hello
 * request's time inside the interpreter (a bytecode round per field).
 *
 * Byte-level checks stand in for the Python ones on decoded text: a token is
 * ASCII, so checking bytes before decoding gives the same answer; CR, LF,
 * NUL, space, DEL and other controls are single bytes in UTF-8 that never
 * occur inside a multi-byte sequence, so a byte search finds exactly the
 * characters a search of the decoded text would.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#include "pyedge_guest.h"

/* RFC 9110 tchar: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA */
static int
is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z')) {
        return 1;
    }
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_token(const unsigned char *p, size_t n)
{
    if (n == 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_tchar(p[i])) {
            return 0;
        }
    }
    return 1;
}

static int
has_cr_lf_nul(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0') {
            return 1;
        }
    }
    return 0;
}

static int
has_uri_forbidden(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] <= 0x20 || p[i] == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/* ---- decode ------------------------------------------------------------ */

typedef struct {
    const unsigned char *p;
    size_t pos, end;
} cursor;

/* The next length-prefixed field: 1 and its bytes, or 0 if the buffer
 * cannot hold the length or the bytes. */
static int
next_field(cursor *c, const unsigned char **field, size_t *len)
{
    if (c->end - c->pos < 4) {
        return 0;
    }
    const unsigned char *q = c->p + c->pos;
    uint32_t n = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
        (uint32_t)q[3] << 24;
    c->pos += 4;
    if (n > c->end - c->pos) {
        return 0;
    }
    *field = c->p + c->pos;
    *len = n;
    c->pos += n;
    return 1;
}

static int
next_u32(cursor *c, uint32_t *v)
{
    if (c->end - c->pos < 4) {
        return 0;
    }
    const unsigned char *q = c->p + c->pos;
    *v = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
        (uint32_t)q[3] << 24;
    c->pos += 4;
    return 1;
}

/* str from UTF-8; NULL with no exception set when the bytes are not UTF-8,
 * NULL with the exception set on any other failure (no memory). */
static PyObject *
utf8_or_null(const unsigned char *p, size_t n)
{
    PyObject *s =
        PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)n, "strict");
    if (s == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();
    }
    return s;
}

/* A header name known to be a token, lower-cased (tokens are ASCII). */
static PyObject *
lower_ascii(const unsigned char *p, size_t n)
{
    PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
    if (s == NULL) {
        return NULL;
    }
    Py_UCS1 *d = PyUnicode_1BYTE_DATA(s);
    for (size_t i = 0; i < n; i++) {
        d[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (Py_UCS1)(p[i] + 32) : p[i];
    }
    return s;
}

/* Fills *headers with count pairs; 1 on success, 0 on a malformed buffer
 * (no exception), -1 with an exception set. */
static int
decode_headers(cursor *c, uint32_t count, PyObject *headers)
{
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *name, *value;
        size_t name_len, value_len;
        if (!next_field(c, &name, &name_len) ||
            !next_field(c, &value, &value_len) || !is_token(name, name_len) ||
            has_cr_lf_nul(value, value_len)) {
            return 0;
        }
        PyObject *v = utf8_or_null(value, value_len);
        if (v == NULL) {
            return PyErr_Occurred() ? -1 : 0;
        }
        PyObject *k = lower_ascii(name, name_len);
        int rc = k != NULL ? PyDict_SetItem(headers, k, v) : -1;
        Py_XDECREF(k);
        Py_DECREF(v);
        if (rc != 0) {
            return -1;
        }
    }
    return 1;
}

static PyObject *
decode(const unsigned char *p, size_t n)
{
    cursor c = {p, 0, n};
    const unsigned char *method, *uri, *body;
    size_t method_len, uri_len, body_len;
    uint32_t count;
    if (n < 4 || memcmp(p, "PEQ1", 4) != 0) {
        Py_RETURN_NONE;
    }
    c.pos = 4;
    if (!next_field(&c, &method, &method_len) ||
        !next_field(&c, &uri, &uri_len) || !is_token(method, method_len) ||
        has_uri_forbidden(uri, uri_len) || !next_u32(&c, &count) ||
        (uint64_t)count * 8 > c.end - c.pos) {
        Py_RETURN_NONE;
    }
    PyObject *m = PyUnicode_FromStringAndSize(
        (const char *)method, (Py_ssize_t)method_len);
    PyObject *u = m == NULL ? NULL
        : uri_len == 0      ? PyUnicode_FromString("/")
                            : utf8_or_null(uri, uri_len);
    PyObject *h = u == NULL ? NULL : PyDict_New();
    PyObject *result = NULL;
    if (h != NULL) {
        int rc = decode_headers(&c, count, h);
        if (rc == 1 && next_field(&c, &body, &body_len) && c.pos == c.end) {
            PyObject *b = PyBytes_FromStringAndSize(
                (const char *)body, (Py_ssize_t)body_len);
            result = b == NULL ? NULL : PyTuple_Pack(4, m, u, h, b);
            Py_XDECREF(b);
        }
        else if (rc >= 0) {
            result = Py_NewRef(Py_None);
        }
    }
    else if (!PyErr_Occurred()) {
        result = Py_NewRef(Py_None); /* the uri was not UTF-8 */
    }
    Py_XDECREF(m);
    Py_XDECREF(u);
    Py_XDECREF(h);
    return result;
}

PyDoc_STRVAR(decode_request_doc,
    "decode_request($module, buf, /)\n--\n\n"
    "Decode a request buffer into (method, uri, headers, body), or return None\n"
    "if it is not a well-formed one (pyedge_entry.decode_request then says why).");

static PyObject *
pyedge_decode_request(PyObject *module, PyObject *arg)
{
    (void)module;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) != 0) {
        return NULL;
    }
    PyObject *r = decode(view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return r;
}

/* ---- encode ------------------------------------------------------------ */

typedef struct {
    const char *name, *value;
    Py_ssize_t name_len, value_len;
} out_header;

static void
put_u32(unsigned char **d, size_t v)
{
    unsigned char *q = *d;
    q[0] = (unsigned char)v;
    q[1] = (unsigned char)(v >> 8);
    q[2] = (unsigned char)(v >> 16);
    q[3] = (unsigned char)(v >> 24);
    *d = q + 4;
}

static void
put_blob(unsigned char **d, const char *p, size_t n)
{
    put_u32(d, n);
    memcpy(*d, p, n);
    *d += n;
}

/* 1 when value is what normalize_response accepts as a content-length:
 * ASCII decimal digits, at least one. */
static int
is_decimal(const char *p, Py_ssize_t n)
{
    if (n == 0) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
    }
    return 1;
}

/* Fills out[] (room for cap headers) from the dict, names lower-cased into
 * lower (room for lower_cap bytes); returns the count, 0 with *unhandled set
 * when a header is one to leave to Python, or -1 with an exception set.
 * Nothing here runs Python code, so the dict cannot change since encode()
 * sized the arrays; the capacities are checked all the same. */
static Py_ssize_t
collect_headers(PyObject *headers, out_header *out, Py_ssize_t cap,
    char *lower, Py_ssize_t lower_cap, int *has_length, int *unhandled)
{
    Py_ssize_t pos = 0, n = 0;
    PyObject *k, *v;
    while (PyDict_Next(headers, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k) || !PyUnicode_IS_ASCII(k) ||
            !PyUnicode_CheckExact(v) || n == cap ||
            PyUnicode_GET_LENGTH(k) > lower_cap) {
            *unhandled = 1;
            return 0;
        }
        Py_ssize_t kl = PyUnicode_GET_LENGTH(k), vl;
        const unsigned char *kp = PyUnicode_1BYTE_DATA(k);
        const char *vp = PyUnicode_AsUTF8AndSize(v, &vl);
        if (vp == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
                return -1;
            }
            PyErr_Clear(); /* a lone surrogate: Python raises the error */
            *unhandled = 1;
            return 0;
        }
        if (!is_token(kp, (size_t)kl) ||
            has_cr_lf_nul((const unsigned char *)vp, (size_t)vl)) {
            *unhandled = 1;
            return 0;
        }
        for (Py_ssize_t i = 0; i < kl; i++) {
            lower[i] = (kp[i] >= 'A' && kp[i] <= 'Z') ? (char)(kp[i] + 32)
                                                      : (char)kp[i];
        }
        if (kl == 14 && memcmp(lower, "content-length", 14) == 0) {
            if (*has_length || !is_decimal(vp, vl)) {
                *unhandled = 1;
                return 0;
            }
            *has_length = 1;
        }
        out[n] = (out_header){lower, vp, kl, vl};
        lower += kl;
        lower_cap -= kl;
        n++;
    }
    return n;
}

static PyObject *
encode(long status, PyObject *headers, const char *body, Py_ssize_t body_len)
{
    Py_ssize_t count = headers == Py_None ? 0 : PyDict_GET_SIZE(headers);
    Py_ssize_t names = 0;
    PyObject *k, *v;
    for (Py_ssize_t pos = 0;
         headers != Py_None && PyDict_Next(headers, &pos, &k, &v);) {
        if (!PyUnicode_CheckExact(k)) {
            Py_RETURN_NONE;
        }
        names += PyUnicode_GET_LENGTH(k);
    }
    out_header *hs = PyMem_Malloc((size_t)(count + 1) * sizeof *hs);
    char *lower = PyMem_Malloc((size_t)names + 1);
    PyObject *result = NULL;
    if (hs == NULL || lower == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int has_length = 0, unhandled = 0;
    Py_ssize_t n = headers == Py_None
        ? 0
        : collect_headers(
              headers, hs, count, lower, names, &has_length, &unhandled);
    if (n < 0 || unhandled) {
        result = n < 0 ? NULL : Py_NewRef(Py_None);
        goto done;
    }
    char digits[24];
    if (!has_length) {
        int dl = snprintf(digits, sizeof digits, "%zd", body_len);
        hs[n++] = (out_header){"content-length", digits, 14, dl};
    }
    /* every length fits in a u32 here: wasm32 objects are under 4 GiB, and
     * the total is checked against PY_SSIZE_T_MAX as it grows */
    Py_ssize_t total = 4 + 4 + 4 + 4 + body_len;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t add = 8 + hs[i].name_len + hs[i].value_len;
        if (add < 0 || total > PY_SSIZE_T_MAX - add) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        total += add;
    }
    result = PyBytes_FromStringAndSize(NULL, total);
    if (result == NULL) {
        goto done;
    }
    unsigned char *d = (unsigned char *)PyBytes_AS_STRING(result);
    memcpy(d, "PES1", 4);
    d += 4;
    put_u32(&d, (size_t)status);
    put_u32(&d, (size_t)n);
    for (Py_ssize_t i = 0; i < n; i++) {
        put_blob(&d, hs[i].name, (size_t)hs[i].name_len);
        put_blob(&d, hs[i].value, (size_t)hs[i].value_len);
    }
    put_blob(&d, body, (size_t)body_len);
done:
    PyMem_Free(hs);
    PyMem_Free(lower);
    return result;
}

PyDoc_STRVAR(encode_response_doc,
    "encode_response($module, status, headers, body, /)\n--\n\n"
    "The response buffer for an int status, a dict of str headers and a bytes,\n"
    "str or None body, as normalize_response + encode_response build it; None\n"
    "for anything else (pyedge_entry then does it in Python).");

static PyObject *
pyedge_encode_response(
    PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError,
            "encode_response() takes exactly 3 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *status = args[0], *headers = args[1], *body = args[2];
    if (!PyLong_CheckExact(status) ||
        (headers != Py_None && !PyDict_CheckExact(headers))) {
        Py_RETURN_NONE;
    }
    int overflow = 0;
    long code = PyLong_AsLongAndOverflow(status, &overflow);
    if (overflow || code < 100 || code > 999) {
        Py_RETURN_NONE;
    }
    const char *b;
    Py_ssize_t bl;
    if (body == Py_None) {
        b = "";
        bl = 0;
    }
    else if (PyBytes_CheckExact(body)) {
        b = PyBytes_AS_STRING(body);
        bl = PyBytes_GET_SIZE(body);
    }
    else if (PyUnicode_CheckExact(body)) {
        b = PyUnicode_AsUTF8AndSize(body, &bl);
        if (b == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
                return NULL;
            }
            PyErr_Clear();
            Py_RETURN_NONE;
        }
    }
    else {
        Py_RETURN_NONE;
    }
    return encode(code, headers, b, bl);
}

static PyMethodDef codec_methods[] = {
    {"decode_request", pyedge_decode_request, METH_O, decode_request_doc},
    {"encode_response", (PyCFunction)(void (*)(void))pyedge_encode_response,
        METH_FASTCALL, encode_response_doc},
    {NULL, NULL, 0, NULL},
};

int
pyedge_add_codec_functions(PyObject *module)
{
    return PyModule_AddFunctions(module, codec_methods);
}
