/*
 * build_note.c -- formatting a note for the build's pe_build_note_fn.
 *
 * The bundle step and the plan report informational and warning lines
 * through the same callback (pe_build.h); this is the one printf-style way
 * to send one, so the message size and the "no callback, no note" rule are
 * the same everywhere. A longer message is cut at PE_BUILD_NOTE_MAX - 1
 * bytes.
 */
#include <stdarg.h>
#include <stdio.h>

#include "pe_build.h"

void pe_build_notef(pe_build_note_fn note, void *ctx, bool warning, const char *fmt, ...) {
  if (!note) return;
  char msg[PE_BUILD_NOTE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  note(ctx, warning, msg);
}
