/*
 * cmd_watch.c -- `pyedge watch [UP OPTIONS]`: serve an app with `pyedge up`
 * and restart it whenever one of its source files changes.
 *
 * Design: `pyedge up` runs as a child process (fork, then exec of
 * /proc/self/exe with "up" and watch's own arguments), so a crash or a
 * broken app never takes the watcher down. Every 500 ms the watcher walks
 * the app directory (the manifest's directory, recursively; hidden
 * directories such as .spin/ and .venv/, and __pycache__, are skipped) and
 * takes a snapshot of (path, mtime, size) of every *.py, *.toml and
 * requirements.txt, sorted by path. A snapshot that differs from the last
 * one names the first changed file and restarts the child: SIGTERM, wait
 * (SIGKILL after 10 s), start again. If the child exits by itself (e.g. a
 * broken spin.toml) the watcher says so and starts it again on the next
 * change. SIGINT/SIGTERM stop the child the same way and exit 0. The child
 * gets PR_SET_PDEATHSIG so it never outlives a killed watcher.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define POLL_MS 500
#define STOP_GRACE_MS 10000
#define MAX_FILES 20000
#define MAX_DEPTH 32

static const char watch_usage[] =
    "Usage: pyedge watch [UP OPTIONS]\n"
    "\n"
    "Runs `pyedge up` with the same options and restarts it whenever a *.py,\n"
    "*.toml or requirements.txt file under the app's directory changes (checked\n"
    "every 500 ms; hidden directories such as .spin/ are not watched).\n"
    "Stop with Ctrl-C (SIGINT) or SIGTERM; the server is stopped too.\n";

typedef struct entry {
  char *path;
  long long mtime_ns;
  long long size;
} entry;

typedef struct snapshot {
  entry *e;
  int n, cap;
  bool truncated;
} snapshot;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) { stop_requested = sig; }

static void snap_free(snapshot *s) {
  for (int i = 0; i < s->n; i++) free(s->e[i].path);
  free(s->e);
  memset(s, 0, sizeof *s);
}

static bool watched_name(const char *n) {
  size_t len = strlen(n);
  if (!strcmp(n, "requirements.txt")) return true;
  return (len > 3 && !strcmp(n + len - 3, ".py")) || (len > 5 && !strcmp(n + len - 5, ".toml"));
}

static void snap_add(snapshot *s, const char *path, const struct stat *st) {
  if (s->n == MAX_FILES) {
    s->truncated = true;
    return;
  }
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 64;
    entry *e = realloc(s->e, (size_t)cap * sizeof *e);
    if (!e) return;
    s->e = e;
    s->cap = cap;
  }
  char *p = strdup(path);
  if (!p) return;
  s->e[s->n++] = (entry){p, (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec,
                         (long long)st->st_size};
}

static void walk(snapshot *s, const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  char path[PATH_MAX];
  while ((de = readdir(d))) {
    const char *n = de->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    if (snprintf(path, sizeof path, "%s/%s", dir, n) >= (int)sizeof path) continue;
    struct stat st;
    if (lstat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (n[0] != '.' && strcmp(n, "__pycache__") && depth < MAX_DEPTH) walk(s, path, depth + 1);
    } else if (S_ISREG(st.st_mode) && watched_name(n)) {
      snap_add(s, path, &st);
    }
  }
  closedir(d);
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

static void snap_take(snapshot *s, const char *dir) {
  snap_free(s);
  walk(s, dir, 0);
  qsort(s->e, (size_t)s->n, sizeof *s->e, by_path);
}

/* The first path that differs between two sorted snapshots (added, removed
 * or modified), or NULL if they are the same. */
static const char *snap_diff(const snapshot *a, const snapshot *b) {
  int i = 0, j = 0;
  while (i < a->n || j < b->n) {
    if (i == a->n) return b->e[j].path;
    if (j == b->n) return a->e[i].path;
    int c = strcmp(a->e[i].path, b->e[j].path);
    if (c < 0) return a->e[i].path;
    if (c > 0) return b->e[j].path;
    if (a->e[i].mtime_ns != b->e[j].mtime_ns || a->e[i].size != b->e[j].size) return b->e[j].path;
    i++, j++;
  }
  return NULL;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL); /* a signal cuts it short; callers check stop_requested */
}

static pid_t start_up(int argc, char **argv) {
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (!args) return -1;
  args[0] = "pyedge";
  args[1] = "up";
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv("/proc/self/exe", args);
    fprintf(stderr, "pyedge watch: cannot run pyedge up: %s\n", strerror(errno));
    _exit(PE_EXIT_HOST_ERROR);
  }
  if (pid < 0) fprintf(stderr, "pyedge watch: fork: %s\n", strerror(errno));
  free(args);
  return pid;
}

static void report_exit(int status) {
  if (WIFEXITED(status))
    fprintf(stderr, "pyedge watch: pyedge up exited with status %d; waiting for a change\n",
            WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    fprintf(stderr, "pyedge watch: pyedge up was killed by signal %d; waiting for a change\n",
            WTERMSIG(status));
}

/* SIGTERM, then SIGKILL if it is still there after the grace period. */
static void stop_up(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int waited = 0;; waited += 20) {
    pid_t r = waitpid(pid, NULL, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return;
    if (waited == STOP_GRACE_MS) kill(pid, SIGKILL);
    if (waited > STOP_GRACE_MS) {
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
      }
      return;
    }
    sleep_ms(20);
  }
}

int cmd_watch(int argc, char **argv) {
  /* Only -f/--from matters here (it names the directory to watch); every
   * argument, including that one, is checked by `pyedge up` itself. */
  const char *from = "spin.toml";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(watch_usage, stdout);
      cmd_up_print_options(stdout);
      return 0;
    }
    if (!strcmp(a, "-f") || cli_is_option(a, "--from") || cli_is_option(a, "--file")) {
      const char *v = cli_option_value(argc, argv, &i, NULL);
      if (v) from = v;
    }
  }
  char dir[PATH_MAX];
  struct stat st;
  if (stat(from, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(dir, sizeof dir, "%s", from);
  } else {
    const char *slash = strrchr(from, '/');
    if (!slash)
      snprintf(dir, sizeof dir, ".");
    else if (slash == from)
      snprintf(dir, sizeof dir, "/");
    else
      snprintf(dir, sizeof dir, "%.*s", (int)(slash - from), from);
  }
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "pyedge watch: no app directory at %s (use -f MANIFEST|DIR)\n", dir);
    return PE_EXIT_USAGE;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  snapshot cur = {0}, next = {0};
  snap_take(&cur, dir);
  if (cur.truncated)
    fprintf(stderr, "pyedge watch: more than %d files under %s; watching the first ones\n",
            MAX_FILES, dir);
  fprintf(stderr, "pyedge watch: watching %s (%d files)\n", dir, cur.n);
  pid_t child = start_up(argc, argv);

  while (!stop_requested) {
    sleep_ms(POLL_MS);
    if (stop_requested) break;
    int status;
    if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
      report_exit(status);
      child = 0;
    }
    snap_take(&next, dir);
    const char *changed = snap_diff(&cur, &next);
    if (changed) {
      fprintf(stderr, "pyedge watch: %s changed, restarting\n", changed);
      snapshot t = cur;
      cur = next;
      next = t;
      stop_up(child);
      child = stop_requested ? 0 : start_up(argc, argv);
    }
  }
  stop_up(child);
  snap_free(&cur);
  snap_free(&next);
  return 0;
}
