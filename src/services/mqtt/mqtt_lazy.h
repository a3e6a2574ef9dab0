/*
 * mqtt_lazy.h -- libmosquitto, loaded when a component first opens an MQTT
 * connection (util/pe_dl.h says why libraries are not linked), or before
 * the serving process locks itself down (serve_lockdown.c), since nothing
 * may be mapped executable after that.
 *
 * The types come from <mosquitto.h> (libmosquitto-dev); the functions are
 * called through pe_mosq, which pe_mqtt_load fills.
 */
#ifndef PE_MQTT_LAZY_H
#define PE_MQTT_LAZY_H

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/pe_assert.h"

typedef struct pe_mosq_api {
  int (*lib_init)(void);
  struct mosquitto *(*new_)(const char *id, bool clean_session, void *obj);
  void (*destroy)(struct mosquitto *m);
  int (*username_pw_set)(struct mosquitto *m, const char *user, const char *pw);
  int (*int_option)(struct mosquitto *m, enum mosq_opt_t opt, int value);
  int (*connect_async)(struct mosquitto *m, const char *host, int port, int keepalive);
  int (*disconnect)(struct mosquitto *m);
  int (*publish)(struct mosquitto *m, int *mid, const char *topic, int len, const void *payload,
                 int qos, bool retain);
  int (*loop_read)(struct mosquitto *m, int max_packets);
  int (*loop_write)(struct mosquitto *m, int max_packets);
  int (*loop_misc)(struct mosquitto *m);
  int (*socket)(struct mosquitto *m);
  bool (*want_write)(struct mosquitto *m);
  void (*connect_callback_set)(struct mosquitto *m, void (*cb)(struct mosquitto *, void *, int));
  void (*publish_callback_set)(struct mosquitto *m, void (*cb)(struct mosquitto *, void *, int));
  void (*disconnect_callback_set)(struct mosquitto *m, void (*cb)(struct mosquitto *, void *, int));
  const char *(*strerror)(int rc);
  const char *(*connack_string)(int code);
} pe_mosq_api;

/* Loads libmosquitto.so.1 and runs mosquitto_lib_init, once per process
 * (thread-safe); false with the loader's message. */
PE_MUST_CHECK bool pe_mqtt_load(char *err, size_t errlen);
/* Valid after pe_mqtt_load returned true. */
extern pe_mosq_api pe_mosq;

#endif /* PE_MQTT_LAZY_H */
