/*
 * env.c -- prints its arguments and environment exactly, one per line, in
 * brackets, so that run.sh can check that nothing was added, lost or split.
 */
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d]=[%s]\n", i, argv[i]);
  int n = 0;
  for (char **e = environ; *e; e++, n++) printf("env[%d]=[%s]\n", n, *e);
  printf("envc=%d\n", n);
  return 0;
}
