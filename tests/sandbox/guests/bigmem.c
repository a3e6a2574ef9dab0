/*
 * bigmem.c -- a module whose initial memory (64 MiB, set at link time by
 * run.sh with -Wl,--initial-memory) exceeds --max-memory 32M: pyedge must
 * refuse to instantiate it, cleanly, before any guest code runs.
 */
#include <stdio.h>

int main(void) {
  printf("main ran: %lu pages\n", (unsigned long)__builtin_wasm_memory_size(0));
  return 0;
}
