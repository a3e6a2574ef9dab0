/*
 * toml_number.c -- integers (decimal, 0x, 0o, 0b) and floats (fraction,
 * exponent, inf, nan).
 *
 * The number is first cut out as a token (the characters a number may
 * contain) and then checked against the grammar piece by piece, so each
 * mistake gets its own message: leading zeros, a misplaced underscore, a
 * sign on a prefixed integer, overflow. Integers are accumulated in
 * unsigned 64 bits with an explicit bound check (no signed overflow);
 * floats go through strtod in the "C" locale after the grammar is known to
 * match, with underscores removed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "toml_int.h"

static bool token_char(int c) { return toml_is_bare(c) || c == '+' || c == '.'; }

static int digit_value(int c, int base) {
  int d;
  if (c >= '0' && c <= '9')
    d = c - '0';
  else if (c >= 'a' && c <= 'f')
    d = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F')
    d = c - 'A' + 10;
  else
    return -1;
  return d < base ? d : -1;
}

typedef struct number_ctx {
  toml_parser *p;
  const char *t; /* the token */
  size_t n, start;
} number_ctx;

static bool bad(number_ctx *x, const char *why) {
  int len = x->n > 60 ? 60 : (int)x->n;
  return toml_fail(x->p, x->start, "%s '%.*s%s'", why, len, x->t, x->n > 60 ? "..." : "");
}

/* Digits of `base` with single underscores between them, from t[*i].
 * Returns the number of digits, 0 if there are none (t[*i] is no digit),
 * or -1 after reporting a misplaced underscore. */
static int digits(number_ctx *x, size_t *i, int base) {
  int count = 0;
  size_t k = *i;
  if (k < x->n && x->t[k] == '_') return bad(x, "an underscore must be between two digits in"), -1;
  while (k < x->n) {
    if (digit_value(x->t[k], base) >= 0) {
      count++;
      k++;
    } else if (x->t[k] == '_') {
      if (k + 1 >= x->n || digit_value(x->t[k + 1], base) < 0)
        return bad(x, "an underscore must be between two digits in"), -1;
      k++;
    } else {
      break;
    }
  }
  *i = k;
  return count;
}

/* Accumulates the digits in t[from, to) (underscores skipped). */
static bool accumulate(number_ctx *x, size_t from, size_t to, int base, uint64_t limit,
                       uint64_t *out) {
  uint64_t v = 0;
  for (size_t k = from; k < to; k++) {
    int d = digit_value(x->t[k], base);
    if (d < 0) continue;
    if (v > (limit - (uint64_t)d) / (uint64_t)base)
      return bad(x, "integer out of range (64 bits) in");
    v = v * (uint64_t)base + (uint64_t)d;
  }
  *out = v;
  return true;
}

static bool prefixed(number_ctx *x, pe_toml_value *v, bool has_sign) {
  char kind = x->t[1];
  int base = kind == 'x' ? 16 : kind == 'o' ? 8 : 2;
  if (has_sign) return bad(x, "a sign is not allowed on hexadecimal, octal or binary integers:");
  size_t i = 2;
  int nd = digits(x, &i, base);
  if (nd < 0) return false;
  if (nd == 0 || i != x->n) return bad(x, "invalid number");
  uint64_t u = 0;
  if (!accumulate(x, 2, x->n, base, (uint64_t)INT64_MAX, &u)) return false;
  v->type = PE_TOML_INTEGER;
  v->u.i = (int64_t)u;
  return true;
}

static bool to_float(number_ctx *x, pe_toml_value *v) {
  toml_parser *p = x->p;
  p->buflen = 0;
  for (size_t k = 0; k < x->n; k++)
    if (x->t[k] != '_' && !toml_buf_put(p, x->t + k, 1)) return false;
  if (!toml_buf_put(p, "", 1)) return false;
  if (!p->c_locale) {
    p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!p->c_locale) return toml_fail(p, x->start, "out of memory");
  }
  errno = 0;
  char *end;
  double d = strtod_l(p->buf, &end, p->c_locale);
  if (end != p->buf + p->buflen - 1) return bad(x, "invalid float");
  if (errno == ERANGE && isinf(d)) return bad(x, "float out of range in");
  v->type = PE_TOML_FLOAT;
  v->u.f = d;
  return true;
}

bool toml_parse_number(toml_parser *p, pe_toml_value *v) {
  number_ctx x = {p, p->src + p->pos, 0, p->pos};
  while (x.n < p->len - p->pos && token_char((unsigned char)x.t[x.n])) x.n++;
  p->pos += x.n;
  if (x.n == 0) return toml_fail(p, x.start, "expected a value");

  size_t i = 0;
  bool neg = false, has_sign = false;
  if (x.t[0] == '+' || x.t[0] == '-') {
    neg = x.t[0] == '-';
    has_sign = true;
    i = 1;
  }
  size_t rest = x.n - i;
  if (rest == 3 && (memcmp(x.t + i, "inf", 3) == 0 || memcmp(x.t + i, "nan", 3) == 0)) {
    v->type = PE_TOML_FLOAT;
    v->u.f = x.t[i] == 'i' ? (neg ? -INFINITY : INFINITY) : copysign(NAN, neg ? -1.0 : 1.0);
    return true;
  }
  if (x.n >= 2 && x.t[0] == '0' && (x.t[1] == 'x' || x.t[1] == 'o' || x.t[1] == 'b'))
    return prefixed(&x, v, false);
  if (rest >= 2 && x.t[i] == '0' && (x.t[i + 1] == 'x' || x.t[i + 1] == 'o' || x.t[i + 1] == 'b'))
    return prefixed(&x, v, has_sign);

  /* decimal: int-part [ '.' digits ] [ ('e'|'E') [sign] digits ] */
  size_t int_start = i;
  int nd = digits(&x, &i, 10);
  if (nd < 0) return false;
  if (nd == 0) return bad(&x, "invalid number");
  if (x.t[int_start] == '0' && nd > 1) return bad(&x, "leading zeros are not allowed in");
  size_t int_end = i;
  bool is_float = false;
  if (i < x.n && x.t[i] == '.') {
    i++;
    int fd = digits(&x, &i, 10);
    if (fd < 0) return false;
    if (fd == 0) return bad(&x, "a decimal point must be followed by digits in");
    is_float = true;
  }
  if (i < x.n && (x.t[i] == 'e' || x.t[i] == 'E')) {
    i++;
    if (i < x.n && (x.t[i] == '+' || x.t[i] == '-')) i++;
    int ed = digits(&x, &i, 10);
    if (ed < 0) return false;
    if (ed == 0) return bad(&x, "an exponent needs digits in");
    is_float = true;
  }
  if (i != x.n) return bad(&x, "invalid number");
  if (is_float) return to_float(&x, v);

  uint64_t u = 0;
  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  if (!accumulate(&x, int_start, int_end, 10, limit, &u)) return false;
  v->type = PE_TOML_INTEGER;
  /* -2^63 has no positive counterpart to negate */
  if (neg)
    v->u.i = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
  else
    v->u.i = (int64_t)u;
  return true;
}
