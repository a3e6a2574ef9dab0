/*
 * svc_utf8.h -- UTF-8 validation for guest strings (store keys, SQL text,
 * labels). The guest's Python always sends well-formed UTF-8; a hostile
 * guest may not, and a key or statement that is not valid text must be
 * refused before it reaches a backend that assumes text.
 */
#ifndef PE_SVC_UTF8_H
#define PE_SVC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if s[0..n) is well-formed UTF-8: shortest forms only, no UTF-16
 * surrogates, nothing above U+10FFFF. NUL is a valid character. */
bool pe_svc_utf8_valid(const uint8_t *s, size_t n);

#endif /* PE_SVC_UTF8_H */
