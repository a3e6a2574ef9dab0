/*
 * toml_datetime.c -- RFC 3339 dates and times as TOML 1.0 has them:
 * offset date-times, local date-times, local dates and local times.
 *
 * A value is recognised as a date or time by its first characters (four
 * digits and '-', or two digits and ':'), which no valid number has, and
 * then read field by field with fixed widths. Every field is range-checked,
 * days against the month and leap years; seconds may be 60 (a leap second,
 * which RFC 3339 allows). The date and time may be separated by 'T', 't' or
 * one space; a space only counts as the separator if a time follows it.
 */
#include <stdio.h>

#include "toml_int.h"

static bool digits_at(const toml_parser *p, size_t off, int n) {
  for (int i = 0; i < n; i++)
    if (!toml_is_digit(toml_peek_at(p, off + (size_t)i))) return false;
  return true;
}

bool toml_looks_like_datetime(const toml_parser *p) {
  return (digits_at(p, 0, 4) && toml_peek_at(p, 4) == '-') ||
         (digits_at(p, 0, 2) && toml_peek_at(p, 2) == ':');
}

static int fixed(toml_parser *p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (p->src[p->pos++] - '0');
  return v;
}

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in(int y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static bool date(toml_parser *p, pe_toml_datetime *dt, size_t start) {
  if (!(digits_at(p, 0, 4) && toml_peek_at(p, 4) == '-' && digits_at(p, 5, 2) &&
        toml_peek_at(p, 7) == '-' && digits_at(p, 8, 2)))
    return toml_fail(p, start, "invalid date: expected YYYY-MM-DD");
  dt->year = fixed(p, 4);
  p->pos++;
  dt->month = fixed(p, 2);
  p->pos++;
  dt->day = fixed(p, 2);
  if (dt->month < 1 || dt->month > 12)
    return toml_fail(p, start, "invalid date: month %02d is out of range", dt->month);
  if (dt->day < 1 || dt->day > days_in(dt->year, dt->month))
    return toml_fail(p, start, "invalid date: day %02d is out of range for %04d-%02d", dt->day,
                     dt->year, dt->month);
  return true;
}

static bool time_of_day(toml_parser *p, pe_toml_datetime *dt) {
  size_t start = p->pos;
  if (!(digits_at(p, 0, 2) && toml_peek_at(p, 2) == ':' && digits_at(p, 3, 2) &&
        toml_peek_at(p, 5) == ':' && digits_at(p, 6, 2)))
    return toml_fail(p, start, "invalid time: expected HH:MM:SS");
  dt->hour = fixed(p, 2);
  p->pos++;
  dt->minute = fixed(p, 2);
  p->pos++;
  dt->second = fixed(p, 2);
  if (dt->hour > 23)
    return toml_fail(p, start, "invalid time: hour %02d is out of range", dt->hour);
  if (dt->minute > 59)
    return toml_fail(p, start, "invalid time: minute %02d is out of range", dt->minute);
  if (dt->second > 60)
    return toml_fail(p, start, "invalid time: second %02d is out of range", dt->second);
  if (toml_peek(p) == '.') {
    p->pos++;
    if (!toml_is_digit(toml_peek(p)))
      return toml_fail(p, p->pos, "invalid time: a decimal point must be followed by digits");
    uint32_t ns = 0;
    int n = 0;
    for (; toml_is_digit(toml_peek(p)); p->pos++, n++)
      if (n < 9) ns = ns * 10 + (uint32_t)(p->src[p->pos] - '0');
    for (; n < 9; n++) ns *= 10;
    dt->nanosecond = ns;
  }
  return true;
}

static bool offset(toml_parser *p, pe_toml_datetime *dt) {
  int c = toml_peek(p);
  if (c == 'Z' || c == 'z') {
    p->pos++;
    return true;
  }
  size_t start = p->pos;
  if (!(digits_at(p, 1, 2) && toml_peek_at(p, 3) == ':' && digits_at(p, 4, 2)))
    return toml_fail(p, start, "invalid time offset: expected Z or +HH:MM");
  p->pos++;
  int h = fixed(p, 2);
  p->pos++;
  int m = fixed(p, 2);
  if (h > 23 || m > 59)
    return toml_fail(p, start, "invalid time offset: %02d:%02d is out of range", h, m);
  dt->offset_minutes = (c == '-' ? -1 : 1) * (h * 60 + m);
  return true;
}

bool toml_parse_datetime(toml_parser *p, pe_toml_value *v) {
  size_t start = p->pos;
  pe_toml_datetime dt = {0};
  bool has_date = false, has_time = false, has_offset = false;
  if (toml_peek_at(p, 2) != ':') {
    if (!date(p, &dt, start)) return false;
    has_date = true;
    int c = toml_peek(p);
    if (c == 'T' || c == 't') {
      p->pos++;
      has_time = true;
    } else if (c == ' ' && digits_at(p, 1, 2) && toml_peek_at(p, 3) == ':') {
      p->pos++;
      has_time = true;
    }
    if (has_time && !time_of_day(p, &dt)) return false;
    if (has_time) {
      int o = toml_peek(p);
      if (o == 'Z' || o == 'z' || o == '+' || o == '-') {
        if (!offset(p, &dt)) return false;
        has_offset = true;
      }
    }
  } else {
    if (!time_of_day(p, &dt)) return false;
    has_time = true;
  }
  int c = toml_peek(p);
  if (toml_is_bare(c) || c == '.' || c == ':' || c == '+') {
    char d[16];
    toml_describe_char(p, p->pos, d);
    return toml_fail(p, p->pos, "invalid date-time: unexpected %s", d);
  }
  v->type = has_offset             ? PE_TOML_DATETIME
            : has_date && has_time ? PE_TOML_LOCAL_DATETIME
            : has_date             ? PE_TOML_LOCAL_DATE
                                   : PE_TOML_LOCAL_TIME;
  v->u.dt = dt;
  return true;
}
