/*
 * test_mqtt.c -- the MQTT area without a broker: the address parser (what
 * it accepts, what it decodes, what it refuses), and the "mqtt.*" services
 * through the request dispatcher as the sandbox reaches them: grants,
 * malformed and hostile payloads, forged handles, a broker that is not
 * there, a deadline already passed. tests/platform/test_mqtt.py covers a
 * real broker. Runs under ASan/UBSan too.
 */
#include "pe_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "services/mqtt/mqtt_addr.h"
#include "services/mqtt/svc_mqtt.h"
#include "svc_fixture.h"

static const char *const manifest =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"t\"\n"
    "[[trigger.http]]\nroute = \"/a/...\"\ncomponent = \"a\"\n"
    "[[trigger.http]]\nroute = \"/b/...\"\ncomponent = \"b\"\n"
    "[component.a]\nsource = \"app.wasm\"\n"
    "allowed_outbound_hosts = [\"mqtt://127.0.0.1:*\"]\n"
    "[component.b]\nsource = \"app.wasm\"\n"
    "allowed_outbound_hosts = [\"http://127.0.0.1:*\"]\n";

/* --- the address parser ------------------------------------------------------ */

static bool parse(const char *s, pe_mqtt_addr *a, char *err, size_t errlen) {
  return pe_mqtt_addr_parse(s, strlen(s), a, err, errlen);
}

static void test_addr_accepts(void **state) {
  (void)state;
  pe_mqtt_addr a;
  char err[256];
  assert_true(parse("mqtt://127.0.0.1:1884?client_id=abc", &a, err, sizeof err));
  assert_string_equal(a.scheme, "mqtt");
  assert_string_equal(a.host, "127.0.0.1");
  assert_int_equal(a.port, 1884);
  assert_string_equal(a.client_id, "abc");
  assert_true(a.clean_session);

  assert_true(parse("TCP://Broker.example-1.org/?client_id=a%2Fb+c&clean_session=false", &a, err,
                    sizeof err));
  assert_string_equal(a.scheme, "tcp");
  assert_string_equal(a.host, "Broker.example-1.org");
  assert_int_equal(a.port, 1883);
  assert_string_equal(a.client_id, "a/b c");
  assert_false(a.clean_session);

  assert_true(
      parse("mqtt://[::1]:65535?keep_alive_secs=30&client_id=%C3%A9&inflight_num=7&"
            "max_incoming_packet_size_bytes=10240&conn_timeout_secs=5&&",
            &a, err, sizeof err));
  assert_string_equal(a.host, "[::1]");
  assert_int_equal(a.port, 65535);
  assert_string_equal(a.client_id, "\xc3\xa9");

  char id[PE_MQTT_CLIENT_ID_MAX + 64];
  snprintf(id, sizeof id, "mqtt://h?client_id=");
  size_t k = strlen(id);
  memset(id + k, 'x', PE_MQTT_CLIENT_ID_MAX);
  id[k + PE_MQTT_CLIENT_ID_MAX] = 0;
  assert_true(parse(id, &a, err, sizeof err));
  assert_int_equal(strlen(a.client_id), PE_MQTT_CLIENT_ID_MAX);
  id[k + PE_MQTT_CLIENT_ID_MAX] = 'x';
  id[k + PE_MQTT_CLIENT_ID_MAX + 1] = 0;
  assert_false(parse(id, &a, err, sizeof err));
}

static void test_addr_refuses(void **state) {
  (void)state;
  static const struct {
    const char *addr, *why;
  } bad[] = {
      {"", "empty"},
      {"127.0.0.1:1883", "expected mqtt://"},
      {"http://h?client_id=x", "mqtt:// or tcp://"},
      {"mqtts://h?client_id=x", "plain TCP only"},
      {"ssl://h?client_id=x", "plain TCP only"},
      {"ws://h?client_id=x", "plain TCP only"},
      {"wss://h?client_id=x", "plain TCP only"},
      {"mqtt://h", "client id"},
      {"mqtt://h?", "client id"},
      {"mqtt://h?client_id", "must not be empty"},
      {"mqtt://h?client_id=", "must not be empty"},
      {"mqtt://h?client_id=+x", "start with a space"},
      {"mqtt://h?client_id=%00", "without NUL"},
      {"mqtt://h?client_id=%ff", "UTF-8"},
      {"mqtt://h?client_id=%f", "malformed"},
      {"mqtt://h?client_id=%zz", "malformed"},
      {"mqtt://h?client_id=a&client_id=b", "twice"},
      {"mqtt://h?client_id=a&other=1", "unknown query parameter 'other'"},
      {"mqtt://h?client_id=a&clean_session=1", "true or false"},
      {"mqtt://h?client_id=a&keep_alive_secs=", "a number"},
      {"mqtt://h?client_id=a&inflight_num=-1", "a number"},
      {"mqtt://h?client_id=a&inflight_num=999999999999999999999", "a number"},
      {"mqtt://h?client_id=a#frag", "no fragment"},
      {"mqtt://h#frag", "no fragment"},
      {"mqtt://h/path?client_id=a", "no path"},
      {"mqtt://u:p@h?client_id=a", "open()'s arguments"},
      {"mqtt://h@evil?client_id=a", "open()'s arguments"},
      {"mqtt://:1883?client_id=a", "no host"},
      {"mqtt://[]?client_id=a", "no host"},
      {"mqtt://[::1?client_id=a", "closing ']'"},
      {"mqtt://[::g]?client_id=a", "IPv6"},
      {"mqtt://h:0?client_id=a", "1 to 65535"},
      {"mqtt://h:65536?client_id=a", "1 to 65535"},
      {"mqtt://h:?client_id=a", "port is empty"},
      {"mqtt://h:1x?client_id=a", "1 to 65535"},
      {"mqtt://h%41?client_id=a", "host name"},
      {"mqtt://h h?client_id=a", "percent-encoded"},
      {"mqtt://h\n?client_id=a", "percent-encoded"},
      {"mqtt://h\xc3\xa9?client_id=a", "percent-encoded"},
      {"mqtt://h?client_id=a\"", "bad character"},
      {"mqtt://[::1]x?client_id=a", "after the host"},
  };
  pe_mqtt_addr a;
  char err[256];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (parse(bad[i].addr, &a, err, sizeof err)) fail_msg("accepted '%s'", bad[i].addr);
    if (!strstr(err, bad[i].why)) fail_msg("'%s': '%s' lacks '%s'", bad[i].addr, err, bad[i].why);
  }
  /* NUL inside the given length */
  assert_false(pe_mqtt_addr_parse("mqtt://h\0?client_id=a", 21, &a, err, sizeof err));
  /* too long, and the message quotes no more than 64 bytes */
  char big[PE_MQTT_ADDR_MAX + 2];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  assert_false(parse(big, &a, err, sizeof err));
  assert_true(strlen(err) < 200);
}

/* --- the services ---------------------------------------------------------------- */

static pe_buf open_payload(const char *addr, const char *user, const char *pw, uint64_t ka) {
  uint8_t k[8];
  fx_le64(k, ka);
  return fx_payload(S(addr), S(user), S(pw), k, (size_t)8, NULL);
}

static uint16_t closed_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof sa;
  assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
  close(s);
  return ntohs(sa.sin_port);
}

static void test_services_refusals(void **state) {
  (void)state;
  fx f;
  assert_non_null(fx_open(&f, manifest, NULL, NULL));
  char addr[128];
  snprintf(addr, sizeof addr, "mqtt://127.0.0.1:%u?client_id=t", (unsigned)closed_port());

  /* b may not reach an MQTT broker at all */
  fx_request(&f, "b");
  assert_int_equal(fx_call(&f, "mqtt.open", open_payload(addr, "", "", 30)), PE_HC_DENIED);
  pe_svc_request_finish(&f.rq);

  fx_request(&f, "a");
  /* not allowed: another address, another scheme */
  assert_int_equal(fx_call(&f, "mqtt.open",
                           open_payload("mqtt://127.0.0.2:1883?client_id=t", "", "", 30)),
                   PE_HC_DENIED);
  assert_int_equal(fx_call(&f, "mqtt.open",
                           open_payload("tcp://127.0.0.1:1883?client_id=t", "", "", 30)),
                   PE_HC_DENIED);
  /* a malformed address is INVALID before any policy or connection */
  assert_int_equal(fx_call(&f, "mqtt.open", open_payload("mqtt://127.0.0.1", "", "", 30)),
                   PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "client_id"));
  /* nothing listens: a clear, quick BACKEND; and libmosquitto's connect
   * leaves SIGPIPE's disposition as it was */
  struct sigaction before, after;
  assert_int_equal(sigaction(SIGPIPE, NULL, &before), 0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(fx_call(&f, "mqtt.open", open_payload(addr, "u", "p", 30)), PE_HC_BACKEND);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_non_null(strstr(fx_msg(&f), "refused"));
  assert_true(t1.tv_sec - t0.tv_sec < 3);
  assert_int_equal(sigaction(SIGPIPE, NULL, &after), 0);
  assert_ptr_equal((void *)before.sa_handler, (void *)after.sa_handler);
  /* the deadline already passed: TIMEOUT, without connecting */
  f.rq.deadline_ns = 1;
  assert_int_equal(fx_call(&f, "mqtt.open", open_payload(addr, "", "", 30)), PE_HC_TIMEOUT);
  f.rq.deadline_ns = 0;
  fx_close(&f);
}

static void test_services_hostile_payloads(void **state) {
  (void)state;
  fx f;
  assert_non_null(fx_open(&f, manifest, NULL, NULL));
  fx_request(&f, "a");
  const char *addr = "mqtt://127.0.0.1:1?client_id=t";
  uint8_t k[8], big_id[8];
  fx_le64(k, 30);
  fx_le64(big_id, 123456789);
  /* wrong blob counts and shapes */
  assert_int_equal(fx_call(&f, "mqtt.open", fx_payload(S(addr), S(""), S(""), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mqtt.open",
                           fx_payload(S(addr), S(""), S(""), k, (size_t)8, k, (size_t)8, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mqtt.open",
                           fx_payload(S(addr), S(""), S(""), "abc", (size_t)3, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mqtt.open", fx_payload(NULL)), PE_HC_INVALID);
  /* a length prefix claiming more than was sent */
  static const uint8_t overrun[] = {0xff, 0xff, 0xff, 0x7f, 'm'};
  assert_int_equal(fx_call_raw(&f, "mqtt.open", overrun, sizeof overrun), PE_HC_INVALID);
  /* credentials: NUL, not UTF-8, too long */
  assert_int_equal(fx_call(&f, "mqtt.open",
                           fx_payload(S(addr), "u\0x", (size_t)3, S(""), k, (size_t)8, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mqtt.open",
                           fx_payload(S(addr), S(""), "\xff", (size_t)1, k, (size_t)8, NULL)),
                   PE_HC_INVALID);
  char *huge = malloc(PE_MQTT_MAX_CREDENTIAL + 1);
  assert_non_null(huge);
  memset(huge, 'u', PE_MQTT_MAX_CREDENTIAL + 1);
  assert_int_equal(fx_call(&f, "mqtt.open",
                           fx_payload(S(addr), huge, (size_t)PE_MQTT_MAX_CREDENTIAL + 1, S(""), k,
                                      (size_t)8, NULL)),
                   PE_HC_INVALID);
  free(huge);
  /* publish and close on handles never opened, or malformed */
  assert_int_equal(fx_call(&f, "mqtt.publish",
                           fx_payload(big_id, (size_t)8, S("t"), S("p"), k, (size_t)8, NULL)),
                   PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "no open mqtt connection"));
  assert_int_equal(fx_call(&f, "mqtt.publish", fx_payload(S("x"), NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mqtt.publish", fx_payload(NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mqtt.close", fx_payload(big_id, (size_t)8, NULL)), PE_HC_OK);
  assert_int_equal(fx_call(&f, "mqtt.close", fx_payload(S("x"), NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mqtt.close", fx_payload(big_id, (size_t)8, k, (size_t)8, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "mqtt.subscribe", fx_payload(NULL)), PE_HC_NO_SERVICE);
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_addr_accepts),
      cmocka_unit_test(test_addr_refuses),
      cmocka_unit_test(test_services_refusals),
      cmocka_unit_test(test_services_hostile_payloads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
