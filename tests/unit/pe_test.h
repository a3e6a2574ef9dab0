/* pe_test.h -- what every unit test includes: cmocka and its prerequisites. */
#ifndef PE_TEST_H
#define PE_TEST_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
