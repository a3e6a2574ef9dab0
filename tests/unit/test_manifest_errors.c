/*
 * test_manifest_errors.c -- every refusal of the manifest loader, with the
 * exact "test.toml:<line>: ..." prefix and the words the user will read.
 *
 * Documents are built from a valid header (H, three lines) plus the lines
 * under test, so expected line numbers count from 4 after it. T and C add a
 * valid trigger (three lines) and component (two lines) where a case needs
 * them. Each case is its own cmocka test.
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/pe_manifest.h"

#define H "spin_manifest_version = 2\n[application]\nname = \"x\"\n"
#define T "[[trigger.http]]\nroute = \"/\"\ncomponent = \"c\"\n"
#define C "[component.c]\nsource = \"c.wasm\"\n"

typedef struct {
  const char *name;
  const char *doc;
  int line; /* 0: the message has no line */
  const char *msg;
  size_t len; /* 0: strlen(doc) */
} error_case;

static const error_case cases[] = {
    /* --- the document and the top level --- */
    {"TOML syntax errors carry line and column", H "a = 1\na = 2\n", 5,
     "test.toml:5:1: duplicate key 'a'", 0},
    {"missing spin_manifest_version", "[application]\nname = 'x'\n", 0,
     "test.toml: missing 'spin_manifest_version' (expected spin_manifest_version = 2)", 0},
    {"version 1 manifest", "spin_manifest_version = \"1\"\n", 1,
     "spin_manifest_version \"1\" is not supported", 0},
    {"old spin_version key", "spin_version = \"1\"\n", 1, "version 1 manifests are not supported",
     0},
    {"manifest version 3", "spin_manifest_version = 3\n", 1,
     "unsupported spin_manifest_version 3 (expected 2)", 0},
    {"manifest version as a string", "spin_manifest_version = \"2\"\n", 1,
     "expected the integer 2 for 'spin_manifest_version' in the manifest (found a string)", 0},
    {"unknown top-level key", "spin_manifest_version = 2\nfoo = 1\n[application]\nname = 'x'\n" T C,
     2, "test.toml:2: unknown key 'foo' in the top-level table", 0},
    {"missing application", "spin_manifest_version = 2\n" T C, 0, "missing [application]", 0},
    {"application is not a table", "spin_manifest_version = 2\napplication = 'x'\n", 2,
     "expected a table for 'application'", 0},
    {"NUL in a string", "spin_manifest_version = 2\n[application]\nname = \"a\\u0000b\"\n", 3,
     "'name' in [application] contains a NUL character", 0},
    /* --- [application] --- */
    {"missing application name", "spin_manifest_version = 2\n[application]\nversion = '1'\n" T C, 2,
     "missing 'name' in [application]", 0},
    {"application name not a string", "spin_manifest_version = 2\n[application]\nname = 5\n", 3,
     "expected a string for 'name' in [application] (found an integer)", 0},
    {"unknown key in application", H "nmae = 'y'\n" T C, 4, "unknown key 'nmae' in [application]",
     0},
    {"authors not an array", H "authors = 'me'\n" T C, 4,
     "expected an array of strings for 'authors' in [application] (found a string)", 0},
    {"authors with a number", H "authors = [\n 'me',\n 7,\n]\n" T C, 6,
     "expected an array of strings for 'authors' in [application] (item 2 is an integer)", 0},
    {"trigger settings not a table", H "trigger = { http = 1 }\n" T C, 4,
     "expected a table for 'trigger.http' in [application] (found an integer)", 0},
    {"tool not a table", H "tool = 'x'\n" T C, 4, "expected a table for 'tool' in [application]",
     0},
    /* --- [variables] --- */
    {"upper-case variable name", H "[variables]\nAPI_KEY = { required = true }\n" T C, 5,
     "invalid variable name 'API_KEY' in [variables]: it must be all lowercase", 0},
    {"dashed variable name", H "[variables]\napi-key = { required = true }\n" T C, 5,
     "words must be separated with '_', not '-'", 0},
    {"variable name starting with a digit", H "[variables]\n1st = { required = true }\n" T C, 5,
     "must start with an ASCII letter", 0},
    {"variable neither required nor defaulted", H "[variables]\nx = { secret = true }\n" T C, 5,
     "variable 'x' must be `required` OR have a `default`", 0},
    {"variable both required and defaulted",
     H "[variables]\nx = { required = true, default = 'd' }\n" T C, 5,
     "variable 'x' must be `required` OR have a `default`", 0},
    {"unknown key in a variable", H "[variables.x]\ndefault = 'd'\nvalue = 'v'\n" T C, 6,
     "unknown key 'value' in [variables.x]", 0},
    {"variable default not a string", H "[variables]\nx = { default = 1 }\n" T C, 5,
     "expected a string for 'default' in [variables.x] (found an integer)", 0},
    {"variable required not a boolean", H "[variables]\nx = { required = 'yes' }\n" T C, 5,
     "expected a boolean for 'required' in [variables.x] (found a string)", 0},
    {"variable not a table", H "[variables]\nx = 'y'\n" T C, 5,
     "expected a table for 'x' in [variables]", 0},
    {"variables not a table", H "variables = 1\n" T C, 4,
     "unknown key 'variables' in [application]", 0},
    /* --- [[trigger.http]] --- */
    {"no trigger", H C, 0,
     "missing 'trigger': the manifest needs at least one [[trigger.http]] or [[trigger.redis]]", 0},
    {"other trigger type", H "[[trigger.mqtt]]\nchannel = 'c'\ncomponent = 'c'\n" C, 4,
     "unsupported trigger type 'mqtt': only [[trigger.http]] and [[trigger.redis]] are served", 0},
    /* --- [[trigger.redis]] and [application.trigger.redis] --- */
    {"redis trigger without channel",
     H "[[trigger.redis]]\naddress = 'redis://h'\ncomponent = 'c'\n" C, 4,
     "missing 'channel' in [[trigger.redis]]", 0},
    {"redis trigger with an empty channel",
     H "[[trigger.redis]]\naddress = 'redis://h'\nchannel = ''\ncomponent = 'c'\n" C, 6,
     "'channel' in [[trigger.redis]] must not be empty", 0},
    {"redis trigger channel not a string",
     H "[[trigger.redis]]\naddress = 'redis://h'\nchannel = 1\ncomponent = 'c'\n" C, 6,
     "expected a string for 'channel' in [[trigger.redis]] (found an integer)", 0},
    {"redis trigger without component",
     H "[[trigger.redis]]\naddress = 'redis://h'\nchannel = 'c'\n" C, 4,
     "missing 'component' in [[trigger.redis]]", 0},
    {"redis trigger naming an unknown component",
     H "[[trigger.redis]]\naddress = 'redis://h'\nchannel = 'c'\ncomponent = 'nope'\n" C, 4,
     "[[trigger.redis]] 'nope-redis-trigger' refers to component 'nope', which is not defined", 0},
    {"redis trigger with an inline component",
     H "[[trigger.redis]]\naddress = 'redis://h'\nchannel = 'c'\ncomponent = { source = "
       "'x.wasm' }\n",
     7, "an inline component in [[trigger.redis]] is not supported", 0},
    {"redis trigger with an unknown key",
     H "[[trigger.redis]]\naddress = 'redis://h'\nchannel = 'c'\ncomponent = 'c'\nroute = "
       "'/'\n" C,
     8, "unknown key 'route' in [[trigger.redis]]", 0},
    {"redis trigger components", H "[[trigger.redis]]\nchannel = 'c'\ncomponents = {}\n" C, 6,
     "trigger 'components' in [[trigger.redis]] is not supported", 0},
    {"redis trigger without any address", H "[[trigger.redis]]\nchannel = 'c'\ncomponent = 'c'\n" C,
     4, "[[trigger.redis]] has no 'address', and [application.trigger.redis] sets none", 0},
    {"redis trigger address not a string",
     H "[[trigger.redis]]\naddress = ['redis://h']\nchannel = 'c'\ncomponent = 'c'\n" C, 5,
     "expected a string for 'address' in [[trigger.redis]] (found an array)", 0},
    {"redis trigger with an empty address",
     H "[[trigger.redis]]\naddress = ''\nchannel = 'c'\ncomponent = 'c'\n" C, 5,
     "the address of [[trigger.redis]] is empty", 0},
    {"app-wide redis settings without address",
     H "[application.trigger.redis]\n[[trigger.redis]]\nchannel = 'c'\ncomponent = 'c'\n" C, 4,
     "missing 'address' in [application.trigger.redis]", 0},
    {"app-wide redis settings with an unknown key",
     H "[application.trigger.redis]\naddress = 'redis://h'\nport = 1\n" T C, 6,
     "unknown key 'port' in [application.trigger.redis]", 0},
    {"redis address naming an undefined variable",
     H "[[trigger.redis]]\naddress = 'redis://{{ host }}'\nchannel = 'c'\ncomponent = 'c'\n" C, 5,
     "the address of [[trigger.redis]] 'c-redis-trigger' uses '{{ host }}', but [variables] "
     "defines no 'host'",
     0},
    {"redis channel with an unmatched template",
     H "[[trigger.redis]]\naddress = 'redis://h'\nchannel = '{{ c'\ncomponent = 'c'\n" C, 4,
     "unmatched '{{' in the channel of [[trigger.redis]] 'c-redis-trigger'", 0},
    {"duplicate ids across trigger types",
     H T "id = 'same'\n[[trigger.redis]]\nid = 'same'\naddress = 'redis://h'\nchannel = "
         "'c'\ncomponent = 'c'\n" C,
     8, "duplicate trigger id 'same' (also used on line 4)", 0},
    {"trigger.http as a table", H "[trigger.http]\nroute = '/'\n" C, 4,
     "expected an array of tables for 'trigger.http' in the manifest (found a table)", 0},
    {"trigger.http item not a table",
     "spin_manifest_version = 2\ntrigger = { http = [1] }\n[application]\nname = 'x'\n" C, 2,
     "expected a table in 'trigger.http' (found integer)", 0},
    {"trigger not a table", "spin_manifest_version = 2\ntrigger = 1\n[application]\nname = 'x'\n" C,
     2, "expected a table for 'trigger' in the manifest", 0},
    {"missing route", H "[[trigger.http]]\ncomponent = 'c'\n" C, 4,
     "missing 'route' in [[trigger.http]]", 0},
    {"route not a string", H "[[trigger.http]]\nroute = 8080\ncomponent = 'c'\n" C, 5,
     "expected a string or { private = true } for 'route' in [[trigger.http]] (found an integer)",
     0},
    {"private = false", H "[[trigger.http]]\nroute = { private = false }\ncomponent = 'c'\n" C, 5,
     "route must be a string pattern or { private = true }, not { private = false }", 0},
    {"route table without private", H "[[trigger.http]]\nroute = {}\ncomponent = 'c'\n" C, 5,
     "route must be a string pattern or { private = true }", 0},
    {"route table with another key",
     H "[[trigger.http]]\nroute = { public = true }\ncomponent = 'c'\n" C, 5,
     "unknown key 'public' in 'route' of [[trigger.http]]", 0},
    {"private not a boolean",
     H "[[trigger.http]]\nroute = { private = 'yes' }\ncomponent = 'c'\n" C, 5,
     "expected a boolean for 'private' in 'route' of [[trigger.http]]", 0},
    {"unknown key in a trigger",
     H "[[trigger.http]]\nroute = '/'\nroutes = ['/a']\ncomponent = 'c'\n" C, 6,
     "test.toml:6: unknown key 'routes' in [[trigger.http]]", 0},
    {"trigger without component or response", H "[[trigger.http]]\nroute = '/'\n" C, 4,
     "[[trigger.http]] must have either 'component' or 'static_response' (it has neither)", 0},
    {"trigger with component and response",
     H "[[trigger.http]]\nroute = '/'\ncomponent = 'c'\nstatic_response = {}\n" C, 4,
     "(it has both)", 0},
    {"component not a string or table", H "[[trigger.http]]\nroute = '/'\ncomponent = 1\n" C, 6,
     "expected a component id or an inline component table for 'component' in [[trigger.http]]", 0},
    {"component reference not kebab-case",
     H "[[trigger.http]]\nroute = '/'\ncomponent = 'my_comp'\n" C, 6,
     "invalid component id 'my_comp' in [[trigger.http]]: words must be separated with '-', not '_'",
     0},
    {"component reference undefined", H "[[trigger.http]]\nroute = '/'\ncomponent = 'nope'\n" C, 4,
     "[[trigger.http]] 'nope-http-trigger' refers to component 'nope', which is not defined", 0},
    {"trigger components key",
     H "[[trigger.http]]\nroute = '/'\ncomponent = 'c'\ncomponents = {}\n" C, 7,
     "trigger 'components' in [[trigger.http]] is not supported", 0},
    {"trigger dependencies key",
     H "[[trigger.http]]\nroute = '/'\ncomponent = 'c'\ndependencies = {}\n" C, 7,
     "trigger 'dependencies' in [[trigger.http]] is not supported", 0},
    {"trigger id not a string", H "[[trigger.http]]\nid = 1\nroute = '/'\ncomponent = 'c'\n" C, 5,
     "expected a string for 'id' in [[trigger.http]]", 0},
    {"duplicate trigger ids",
     H
     "[[trigger.http]]\nid = 'a'\nroute = '/'\ncomponent = 'c'\n[[trigger.http]]\nid = 'a'\nroute = '/b'\ncomponent = 'c'\n" C,
     8, "duplicate trigger id 'a' (also used on line 4)", 0},
    {"unknown key in a static response",
     H "[[trigger.http]]\nroute = '/'\nstatic_response = { status = 404 }\n", 6,
     "unknown key 'status' in 'static_response' of [[trigger.http]]", 0},
    {"status code as a string",
     H "[[trigger.http]]\nroute = '/'\n[trigger.http.static_response]\nstatus_code = '404'\n", 7,
     "expected an integer for 'status_code' in 'static_response' of [[trigger.http]] (found a string)",
     0},
    {"status code out of range",
     H "[[trigger.http]]\nroute = '/'\nstatic_response = { status_code = 42 }\n", 6,
     "'status_code' in 'static_response' of [[trigger.http]] must be between 100 and 999, not 42",
     0},
    {"static header not a string",
     H "[[trigger.http]]\nroute = '/'\nstatic_response = { headers = { x-a = 1 } }\n", 6,
     "expected a string for 'headers.x-a' in 'static_response' of [[trigger.http]]", 0},
    {"static headers not a table",
     H "[[trigger.http]]\nroute = '/'\nstatic_response = { headers = ['a'] }\n", 6,
     "expected a table of strings for 'headers'", 0},
    {"static body not a string",
     H "[[trigger.http]]\nroute = '/'\nstatic_response = { body = 1 }\n", 6,
     "expected a string for 'body' in 'static_response' of [[trigger.http]]", 0},
    {"static response not a table", H "[[trigger.http]]\nroute = '/'\nstatic_response = 'hi'\n", 6,
     "expected a table for 'static_response' in [[trigger.http]]", 0},
    {"unknown executor type", H T "executor = { type = 'cgi' }\n" C, 7,
     "unknown executor type 'cgi' in 'executor' of [[trigger.http]] (expected \"http\", \"spin\" or \"wagi\")",
     0},
    {"executor without type", H T "executor = {}\n" C, 7,
     "missing 'type' in 'executor' of [[trigger.http]]", 0},
    {"argv on the http executor", H T "executor = { type = 'http', argv = 'x' }\n" C, 7,
     "unknown key 'argv' in 'executor' of [[trigger.http]]", 0},
    {"unknown key on the wagi executor", H T "executor = { type = 'wagi', args = 'x' }\n" C, 7,
     "unknown key 'args' in 'executor' of [[trigger.http]]", 0},
    {"executor not a table", H T "executor = 'wagi'\n" C, 7,
     "expected a table for 'executor' in [[trigger.http]]", 0},
    {"unknown key in an inline component",
     H "[[trigger.http]]\nroute = '/'\ncomponent = { source = 'a.wasm', sauce = 1 }\n", 6,
     "unknown key 'sauce' in the inline component of [[trigger.http]]", 0},
    {"inline component without source",
     H "[[trigger.http]]\nroute = '/'\n[trigger.http.component]\ndescription = 'd'\n", 6,
     "missing 'source' in the inline component of [[trigger.http]]", 0},
    {"inline component build error",
     H
     "[[trigger.http]]\nroute = '/'\n[trigger.http.component]\nsource = 'a.wasm'\nbuild = { cmd = 'make' }\n",
     8, "unknown key 'cmd' in 'build' of the inline component of [[trigger.http]]", 0},
    /* --- [component.<id>] --- */
    {"snake_case component id", H T "[component.my_comp]\nsource = 'a'\n", 7,
     "invalid component id 'my_comp': words must be separated with '-', not '_'", 0},
    {"component id starting with a digit", H T "[component.1st]\nsource = 'a'\n", 7,
     "invalid component id '1st': '-'-separated words must start with an ASCII letter", 0},
    {"mixed-case component id", H T "[component.myComp]\nsource = 'a'\n", 7,
     "'-'-separated words must be all lowercase or all UPPERCASE", 0},
    {"component id with an empty word", H T "[component.a--b]\nsource = 'a'\n", 7,
     "words must not be empty", 0},
    {"component id with a dot", H T "[component.\"a.b\"]\nsource = 'a'\n", 7,
     "may only contain alphanumeric ASCII", 0},
    {"unknown key in a component", H T C "sources = ['b']\n", 9,
     "test.toml:9: unknown key 'sources' in [component.c]", 0},
    {"component without source", H T "[component.c]\ndescription = 'd'\n", 7,
     "missing 'source' in [component.c]", 0},
    {"component not a table", H T "[component]\nc = 1\n", 8,
     "expected a table for 'c' in [component.c]", 0},
    {"components not a table",
     "spin_manifest_version = 2\ncomponent = 1\n[application]\nname = 'x'\n" T, 2,
     "expected a table for 'component' in the manifest", 0},
    {"source not a string or table", H T "[component.c]\nsource = 1\n", 8,
     "expected a path string or a table for 'source' in [component.c]", 0},
    {"source table of no known shape", H T "[component.c]\nsource = { path = 'a' }\n", 8,
     "expected a path, { url, digest } or { package, version } for 'source' in [component.c]", 0},
    {"url source without digest", H T "[component.c]\nsource = { url = 'https://x/a.wasm' }\n", 8,
     "missing 'digest' in 'source' of [component.c]", 0},
    {"url source with an extra key",
     H T "[component.c]\nsource = { url = 'u', digest = 'd', sha = 's' }\n", 8,
     "unknown key 'sha' in 'source' of [component.c]", 0},
    {"registry source without version", H T "[component.c]\nsource = { package = 'a:b' }\n", 8,
     "missing 'version' in 'source' of [component.c]", 0},
    {"description not a string", H T C "description = 1\n", 9,
     "expected a string for 'description' in [component.c]", 0},
    {"environment not a table", H T C "environment = ['A=1']\n", 9,
     "expected a table of strings for 'environment' in [component.c] (found an array)", 0},
    {"environment value not a string", H T C "environment = { PORT = 80 }\n", 9,
     "expected a string for 'environment.PORT' in [component.c] (found an integer)", 0},
    {"component variable name in mixed case", H T C "variables = { Token = 'x' }\n", 9,
     "invalid variable name 'Token' in [component.c]: '_'-separated words must be all lowercase or all UPPERCASE",
     0},
    {"component variable name in upper case", H T C "variables = { TOKEN = 'x' }\n", 9,
     "invalid variable name 'TOKEN' in [component.c]: it must be all lowercase", 0},
    {"component variable value not a string", H T C "variables = { token = 1 }\n", 9,
     "expected a string for 'variables.token' in [component.c]", 0},
    {"files not an array", H T C "files = 'static'\n", 9,
     "expected an array for 'files' in [component.c]", 0},
    {"files entry not a string or table", H T C "files = [\n  'a',\n  1,\n]\n", 11,
     "expected a pattern string or { source, destination } in 'files' of [component.c]", 0},
    {"files placement without destination", H T C "files = [{ source = 'a' }]\n", 9,
     "missing 'destination' in 'files' of [component.c]", 0},
    {"files placement with an extra key", H T C "files = [{ source = 'a', dest = '/a' }]\n", 9,
     "unknown key 'dest' in 'files' of [component.c]", 0},
    {"files pattern ending in ..", H T C "files = ['../shared/..']\n", 9,
     "can't end in '.' or '..'", 0},
    {"files pattern ending in .", H T C "files = ['assets/.']\n", 9,
     "file pattern 'assets/.' in [component.c] can't end in '.' or '..'", 0},
    {"exclude_files not strings", H T C "exclude_files = [1]\n", 9,
     "expected an array of strings for 'exclude_files'", 0},
    {"allowed_outbound_hosts not an array", H T C "allowed_outbound_hosts = 'https://a'\n", 9,
     "expected an array of strings for 'allowed_outbound_hosts' in [component.c] (found a string)",
     0},
    {"key-value store label with a space", H T C "key_value_stores = ['my store']\n", 9,
     "invalid label 'my store' in 'key_value_stores' of [component.c]: expected kebab-case or snake_case",
     0},
    {"database label starting with a digit", H T C "sqlite_databases = ['1db']\n", 9,
     "invalid label '1db' in 'sqlite_databases' of [component.c]", 0},
    {"ai_models not strings", H T C "ai_models = [true]\n", 9,
     "expected an array of strings for 'ai_models'", 0},
    {"build not a table", H T C "build = 'make'\n", 9,
     "expected a table for 'build' in [component.c]", 0},
    {"build without command", H T C "[component.c.build]\nworkdir = 'x'\n", 9,
     "missing 'command' in [component.c.build]", 0},
    {"build command not a string", H T C "[component.c.build]\ncommand = 1\n", 10,
     "expected a string or an array of strings for 'command' in [component.c.build] (found an integer)",
     0},
    {"build command list with a number", H T C "[component.c.build]\ncommand = ['a', 2]\n", 10,
     "expected an array of strings for 'command' in [component.c.build] (item 2 is an integer)", 0},
    {"unknown key in build", H T C "[component.c.build]\ncommand = 'make'\ncmd = 'x'\n", 11,
     "unknown key 'cmd' in [component.c.build]", 0},
    {"absolute build workdir", H T C "[component.c.build]\ncommand = 'make'\nworkdir = '/src'\n",
     11, "'workdir' in [component.c.build] must be a relative path", 0},
    {"component dependencies", H T C "[component.c.dependencies]\n\"a:b/c\" = '1.0'\n", 9,
     "component dependencies ('dependencies' in [component.c]) are not supported", 0},
    {"dependencies_inherit_configuration not a boolean",
     H T C "dependencies_inherit_configuration = 'yes'\n", 9,
     "expected a boolean for 'dependencies_inherit_configuration'", 0},
    {"component tool not a table", H T C "tool = 1\n", 9,
     "expected a table for 'tool' in [component.c]", 0},
    {"unknown key in a profile", H T C "[component.c.profile.dev]\nfiles = []\n", 10,
     "unknown key 'files' in [component.c.profile.dev]", 0},
    {"profile dependencies", H T C "[component.c.profile.dev]\ndependencies = {}\n", 10,
     "component dependencies ('dependencies' in [component.c.profile.dev]) are not supported", 0},
    {"unknown key in a profile build",
     H T C "[component.c.profile.dev.build]\ncommand = 'x'\nworkdir = 'y'\n", 11,
     "unknown key 'workdir' in [component.c.profile.dev.build]", 0},
    {"profile not a table", H T C "profile = { dev = 1 }\n", 9,
     "expected a table for 'dev' in [component.c]", 0},
    /* --- templates --- */
    {"template naming an undefined variable",
     H "[variables]\nname = { default = 'n' }\n" T C "variables = { a = 'hi {{ nope }}' }\n", 11,
     "variable 'a' of component 'c' uses '{{ nope }}', but [variables] defines no 'nope'", 0},
    {"unmatched template braces",
     H "[variables]\nname = { default = 'n' }\n" T C "variables = { a = '{{ name }} {{ name' }\n",
     11, "unmatched '{{' in variable 'a' of component 'c'", 0},
};

static void run_case(void **state) {
  const error_case *c = *state;
  size_t len = c->len ? c->len : strlen(c->doc);
  pe_manifest_error err;
  pe_manifest *m = pe_manifest_parse(c->doc, len, "test.toml", &err);
  if (m) {
    pe_manifest_free(m);
    fail_msg("%s: accepted", c->name);
  }
  char prefix[32];
  if (c->line)
    snprintf(prefix, sizeof prefix, "test.toml:%d:", c->line);
  else
    snprintf(prefix, sizeof prefix, "test.toml: ");
  if (err.line != c->line || strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
      !strstr(err.msg, c->msg))
    fail_msg("%s\n  got:  [line %d] %s\n  want: [line %d] ...%s...", c->name, err.line, err.msg,
             c->line, c->msg);
}

int main(void) {
  size_t n = sizeof cases / sizeof cases[0];
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  if (!tests) return 1;
  for (size_t i = 0; i < n; i++) {
    tests[i].name = cases[i].name;
    tests[i].test_func = run_case;
    tests[i].initial_state = (void *)&cases[i];
  }
  int rc = _cmocka_run_group_tests("manifest_errors", tests, n, NULL, NULL);
  free(tests);
  return rc;
}
