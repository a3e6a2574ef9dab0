/*
 * http_chunked.c -- a strict decoder for chunked request bodies (RFC 9112
 * section 7.1).
 *
 * Why not http_parser's: Debian builds libhttp_parser with
 * HTTP_PARSER_STRICT=0, which skips every CR/LF check in chunk framing
 * ("5\rXhelloYZ" passes) and reads chunk extensions without a length
 * limit. Framing is exactly where two HTTP implementations disagreeing
 * becomes request smuggling, so the body of a chunked request is decoded
 * here, byte-exact, and http_parser only sees heads and Content-Length
 * bodies (http_parse.c re-initialises it after a chunked body). A size
 * line is hex digits and nothing else before its CRLF or its extensions:
 * no sign, no "0x", no blanks but those before a ';', and no value beyond
 * 64 bits (leading zeros are fine: the line length is bounded anyway).
 *
 * Limits: the decoded body against max_body_bytes, decided from each chunk
 * size before its data is read (413); a chunk-size line, with extensions,
 * and the trailer section each against max_header_bytes (431 for
 * trailers, 400 for a size line, which no honest client makes long).
 * Trailers are checked for syntax and dropped: nothing in a request's
 * trailer is worth trusting after the handler has seen the head.
 */
#include <string.h>

#include "http_int.h"

enum {
  CH_SIZE0,      /* first hex digit of a chunk size */
  CH_SIZE,       /* more digits, ';' or blanks, CR */
  CH_SIZE_BWS,   /* blanks after the size: more of them, or ';' */
  CH_EXT,        /* extensions, up to CR */
  CH_SIZE_LF,    /* LF after the size line */
  CH_DATA,       /* `left` bytes of data */
  CH_DATA_CR,    /* CR after data */
  CH_DATA_LF,    /* LF after data */
  CH_TRAILER0,   /* start of a trailer line, or CR of the end */
  CH_TNAME,      /* a trailer's name, up to ':' */
  CH_TVALUE,     /* its value, up to CR */
  CH_TRAILER_LF, /* LF after a trailer line */
  CH_END_LF,     /* the final LF */
};

void hx_chunked_init(hx_chunked *d) { memset(d, 0, sizeof *d); }

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Field-value and extension bytes: visible ASCII, blanks, obs-text. */
static bool text_byte(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

/* One byte of a size line after its first digit. The grammar (RFC 9112
 * 7.1.1) is chunk-size [ BWS ";" ext ] CRLF: blanks may only lead to a ';',
 * so "1 0" is refused rather than read as 0x10 or as 1, the two ways other
 * parsers have read it -- a body framed differently by a proxy in front is
 * a smuggled request. False when the byte breaks the grammar. */
static bool size_line_byte(hx_chunked *d, unsigned char c) {
  bool blank = c == ' ' || c == '\t';
  if (d->state == CH_EXT) {
    if (c == '\r') d->state = CH_SIZE_LF;
    return c == '\r' || text_byte(c);
  }
  if (c == ';') {
    d->state = CH_EXT;
    return true;
  }
  if (blank) {
    d->state = CH_SIZE_BWS;
    return true;
  }
  if (d->state == CH_SIZE_BWS) return false; /* a digit, CR or junk after blanks */
  if (c == '\r') {
    d->state = CH_SIZE_LF;
    return true;
  }
  int v = hexval(c);
  if (v < 0 || d->size > (UINT64_MAX >> 4)) return false; /* no uint64 holds it */
  d->size = d->size << 4 | (uint64_t)v;
  return true;
}

size_t hx_chunked_feed(hx_chunked *d, const char *data, size_t len, pe_buf *body,
                       const pe_http_config *cfg, int *status, bool *done) {
  size_t i = 0;
  *status = 0;
  *done = false;
  while (i < len) {
    unsigned char c = (unsigned char)data[i];
    switch (d->state) {
      case CH_SIZE0:
        if (hexval(c) < 0) goto bad;
        d->size = (uint64_t)hexval(c);
        d->line = 1;
        d->state = CH_SIZE;
        i++;
        break;
      case CH_SIZE:
      case CH_SIZE_BWS:
      case CH_EXT:
        if (++d->line > cfg->max_header_bytes) goto bad;
        if (!size_line_byte(d, c)) goto bad;
        i++;
        break;
      case CH_SIZE_LF:
        if (c != '\n') goto bad;
        i++;
        if (d->size == 0) {
          d->state = CH_TRAILER0;
          break;
        }
        if (d->size > cfg->max_body_bytes - body->len) {
          *status = 413;
          return i;
        }
        d->state = CH_DATA;
        break;
      case CH_DATA: {
        size_t n = len - i < d->size ? len - i : (size_t)d->size;
        if (!pe_buf_append(body, data + i, n)) {
          *status = 500;
          return i;
        }
        i += n;
        d->size -= n;
        if (d->size == 0) d->state = CH_DATA_CR;
        break;
      }
      case CH_DATA_CR:
      case CH_TRAILER_LF:
        if (c != (d->state == CH_DATA_CR ? '\r' : '\n')) goto bad;
        d->state = d->state == CH_DATA_CR ? CH_DATA_LF : CH_TRAILER0;
        i++;
        break;
      case CH_DATA_LF:
        if (c != '\n') goto bad;
        d->state = CH_SIZE0;
        i++;
        break;
      case CH_TRAILER0:
      case CH_TNAME:
      case CH_TVALUE:
        if (++d->trailer > cfg->max_header_bytes) {
          *status = 431;
          return i;
        }
        if (d->state == CH_TRAILER0 && c == '\r')
          d->state = CH_END_LF;
        else if (d->state != CH_TVALUE && hx_tchar(c))
          d->state = CH_TNAME;
        else if (d->state == CH_TNAME && c == ':')
          d->state = CH_TVALUE;
        else if (d->state == CH_TVALUE && c == '\r')
          d->state = CH_TRAILER_LF;
        else if (d->state != CH_TVALUE || !text_byte(c))
          goto bad; /* includes obs-fold and a line without a name */
        i++;
        break;
      case CH_END_LF:
        if (c != '\n') goto bad;
        *done = true;
        return i + 1;
      default: goto bad;
    }
  }
  return i;
bad:
  *status = 400;
  return i;
}
