/*
 * mqtt_lazy.c -- loads libmosquitto on first use (mqtt_lazy.h).
 */
#include <pthread.h>
#include <stdio.h>

#include "mqtt_lazy.h"
#include "util/pe_dl.h"

pe_mosq_api pe_mosq;

static const pe_dl_sym mosq_syms[] = {
    {"mosquitto_lib_init", (void *)&pe_mosq.lib_init},
    {"mosquitto_new", (void *)&pe_mosq.new_},
    {"mosquitto_destroy", (void *)&pe_mosq.destroy},
    {"mosquitto_username_pw_set", (void *)&pe_mosq.username_pw_set},
    {"mosquitto_int_option", (void *)&pe_mosq.int_option},
    {"mosquitto_connect_async", (void *)&pe_mosq.connect_async},
    {"mosquitto_disconnect", (void *)&pe_mosq.disconnect},
    {"mosquitto_publish", (void *)&pe_mosq.publish},
    {"mosquitto_loop_read", (void *)&pe_mosq.loop_read},
    {"mosquitto_loop_write", (void *)&pe_mosq.loop_write},
    {"mosquitto_loop_misc", (void *)&pe_mosq.loop_misc},
    {"mosquitto_socket", (void *)&pe_mosq.socket},
    {"mosquitto_want_write", (void *)&pe_mosq.want_write},
    {"mosquitto_connect_callback_set", (void *)&pe_mosq.connect_callback_set},
    {"mosquitto_publish_callback_set", (void *)&pe_mosq.publish_callback_set},
    {"mosquitto_disconnect_callback_set", (void *)&pe_mosq.disconnect_callback_set},
    {"mosquitto_strerror", (void *)&pe_mosq.strerror},
    {"mosquitto_connack_string", (void *)&pe_mosq.connack_string},
};

static pe_dl_lib libmosq = PE_DL_LIB("libmosquitto.so.1", mosq_syms);

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;

/* mosquitto_lib_init is not thread-safe: run it once, after the load */
static void lib_init(void) { init_rc = pe_mosq.lib_init(); }

bool pe_mqtt_load(char *err, size_t errlen) {
  if (!pe_dl_load(&libmosq, err, errlen)) return false;
  pthread_once(&init_once, lib_init);
  if (init_rc != MOSQ_ERR_SUCCESS) {
    snprintf(err, errlen, "libmosquitto.so.1: mosquitto_lib_init failed (%d)", init_rc);
    return false;
  }
  return true;
}
