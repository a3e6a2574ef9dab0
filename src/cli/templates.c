/*
 * templates.c -- the texts of the `pyedge new` templates.
 *
 *   http-py        spin-sdk 4.0: class HttpHandler(Handler), async
 *   http-py-p2     spin-sdk 3.x: class IncomingHandler, sync handle_request
 *   (the names are Spin's: spin-python-sdk 4.0 made http-py its async
 *   template and kept the WASI preview 2 one as http-py-p2)
 *   static         a manifest whose only route is a static_response
 *
 * The Python templates lay an app out the way `spin new -t http-py` does
 * (spin.toml v2 with a build command for componentize-py, app.py,
 * requirements.txt, README.md, .gitignore), so the same directory works
 * with Spin and with `pyedge up`, which runs app.py directly and never
 * needs app.wasm.
 */
#include <string.h>

#include "templates.h"

#define NAME PE_TEMPLATE_PLACEHOLDER

/* --- shared pieces ----------------------------------------------------- */

static const char gitignore_py[] =
    "__pycache__/\n"
    "*.pyc\n"
    ".venv/\n"
    "venv/\n"
    "app.wasm\n"
    ".spin/\n";

static const char requirements_v3[] =
    "spin-sdk == 3.4.1\n"
    "componentize-py == 0.17.2\n";

static const char requirements_v4[] =
    "spin-sdk == 4.0.0\n"
    "componentize-py == 0.23.0\n";

#define MANIFEST_HEAD(what)     \
  "spin_manifest_version = 2\n" \
  "\n"                          \
  "[application]\n"             \
  "name = \"" NAME              \
  "\"\n"                        \
  "version = \"0.1.0\"\n"       \
  "authors = []\n"              \
  "description = \"" what       \
  "\"\n"                        \
  "\n"

#define PY_MANIFEST(what, world)          \
  MANIFEST_HEAD(what)                     \
  "[[trigger.http]]\n"                    \
  "route = \"/...\"\n"                    \
  "component = \"" NAME                   \
  "\"\n"                                  \
  "\n"                                    \
  "[component." NAME                      \
  "]\n"                                   \
  "source = \"app.wasm\"\n"               \
  "[component." NAME                      \
  ".build]\n"                             \
  "command = \"componentize-py -w " world \
  " componentize app -o app.wasm\"\n"     \
  "watch = [\"*.py\", \"requirements.txt\"]\n"

#define PY_README(title, style)                                          \
  "# " NAME                                                              \
  "\n"                                                                   \
  "\n" title                                                             \
  "\n"                                                                   \
  "\n"                                                                   \
  "## Run it with pyedge\n"                                              \
  "\n"                                                                   \
  "    pyedge up -f " NAME                                               \
  "            # serves http://127.0.0.1:3000\n"                         \
  "    curl http://127.0.0.1:3000/\n"                                    \
  "\n"                                                                   \
  "pyedge runs `app.py` directly, each request in a fresh WebAssembly\n" \
  "sandbox: no build step is needed. `pyedge watch -f " NAME             \
  "` restarts\n"                                                         \
  "the server whenever a `.py` or `.toml` file changes.\n"               \
  "\n"                                                                   \
  "## Run it with Spin\n"                                                \
  "\n"                                                                   \
  "The layout is the usual one for Spin's Python SDK (" style            \
  "):\n"                                                                 \
  "\n"                                                                   \
  "    python3 -m venv .venv && . .venv/bin/activate\n"                  \
  "    pip install -r requirements.txt\n"                                \
  "    spin build --up\n"

/* --- http-py-p2 (spin-sdk 3.x) ---------------------------------------- */

static const pe_template_file http_py_p2[] = {
    {"spin.toml", PY_MANIFEST("An HTTP app in Python", "spin-http")},
    {"app.py",
     "from spin_sdk import http\n"
     "from spin_sdk.http import Request, Response\n"
     "\n"
     "\n"
     "class IncomingHandler(http.IncomingHandler):\n"
     "    def handle_request(self, request: Request) -> Response:\n"
     "        return Response(\n"
     "            200,\n"
     "            {\"content-type\": \"text/plain\"},\n"
     "            b\"Hello from Python!\",\n"
     "        )\n"},
    {"requirements.txt", requirements_v3},
    {"README.md", PY_README("An HTTP app in Python.", "spin-sdk 3.x, synchronous handler")},
    {".gitignore", gitignore_py},
    {NULL, NULL},
};

/* --- http-py (spin-sdk 4.0) -------------------------------------------- */

static const pe_template_file http_py[] = {
    {"spin.toml", PY_MANIFEST("An asynchronous HTTP app in Python", "spin:up/http-trigger@4.0.0")},
    {"app.py",
     "from spin_sdk.http import Handler, Request, Response\n"
     "\n"
     "\n"
     "class HttpHandler(Handler):\n"
     "    async def handle_request(self, request: Request) -> Response:\n"
     "        return Response(\n"
     "            200,\n"
     "            {\"content-type\": \"text/plain\"},\n"
     "            b\"Hello from Python!\",\n"
     "        )\n"},
    {"requirements.txt", requirements_v4},
    {"README.md", PY_README("An asynchronous HTTP app in Python.", "spin-sdk 4.0, async handler")},
    {".gitignore", gitignore_py},
    {NULL, NULL},
};

/* --- static -------------------------------------------------------------- */

static const pe_template_file static_app[] = {
    {"spin.toml",
     MANIFEST_HEAD(
         "A static HTTP response") "[[trigger.http]]\n"
                                   "route = \"/...\"\n"
                                   "static_response = { status_code = 200, headers = { content-type = \"text/plain\" }, "
                                   "body = \"Hello from " NAME "!\\n\" }\n"},
    {"README.md", "# " NAME "\n"
                  "\n"
                  "Answers every request with the fixed response in `spin.toml`\n"
                  "(`static_response`); there is no code to run.\n"
                  "\n"
                  "    pyedge up -f " NAME "\n"
                  "    curl http://127.0.0.1:3000/\n"},
    {NULL, NULL},
};

const pe_template pe_templates[] = {
    {"http-py", "HTTP handler in Python (spin-sdk 4.0, async HttpHandler)", http_py},
    {"http-py-p2", "HTTP handler in Python (spin-sdk 3.x, sync IncomingHandler)", http_py_p2},
    {"static", "a fixed HTTP response from spin.toml, no code", static_app},
    {NULL, NULL, NULL},
};

/* Earlier names: before following Spin's, pyedge called the 4.0 template
 * http-py-async (and http-py was the 3.x one). */
static const struct {
  const char *alias, *name;
} template_aliases[] = {
    {"http-py-async", "http-py"},
};

const pe_template *pe_template_find(const char *name) {
  for (size_t i = 0; i < sizeof template_aliases / sizeof *template_aliases; i++)
    if (!strcmp(template_aliases[i].alias, name)) name = template_aliases[i].name;
  for (const pe_template *t = pe_templates; t->name; t++)
    if (!strcmp(t->name, name)) return t;
  return NULL;
}
