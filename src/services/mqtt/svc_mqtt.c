/*
 * svc_mqtt.c -- outbound MQTT (svc_mqtt.h): opening a broker connection
 * and publishing on it, for spin_sdk.mqtt.
 *
 * libmosquitto runs without its own thread: the socket is non-blocking
 * (mosquitto_connect_async) and this file's pump() polls it and calls
 * mosquitto_loop_read / _write / _misc. pump() never waits past the
 * request's deadline or its own cap; once the deadline has passed the
 * runtime interrupts the thread every millisecond, poll returns EINTR and
 * pump() sees pe_rt_should_stop(), so nothing here can hang a worker.
 *
 * The address is parsed here (mqtt_addr.c), allowed or not by the
 * component's allowed_outbound_hosts (pe_svc_outbound_check, which also
 * resolves a name once), and the connection made to the numeric address
 * that was checked.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mqtt_addr.h"
#include "mqtt_lazy.h"
#include "runtime/pe_rt.h"
#include "services/http/svc_http.h"
#include "services/svc_conns.h"
#include "services/svc_utf8.h"
#include "svc_mqtt.h"

#define RECENT_ACKS 16

typedef struct mqtt_conn {
  struct mosquitto *m;
  char where[PE_MQTT_HOST_MAX + 32]; /* "mqtt://host:port", for messages */
  int connack;                       /* -1 until the broker answered CONNECT */
  bool lost;                         /* the connection closed */
  int lost_rc;
  int acked[RECENT_ACKS]; /* mids whose publish completed, most recent last */
  unsigned nacked;
} mqtt_conn;

static _Atomic uint64_t last_id;

static void conn_close(void *p) {
  mqtt_conn *c = p;
  if (c->m) {
    /* DISCONNECT, written now if the socket takes it; then the socket closes */
    if (c->connack == 0 && !c->lost) (void)pe_mosq.disconnect(c->m);
    pe_mosq.destroy(c->m);
  }
  free(c);
}

static const pe_svc_conn_kind kind = {"mqtt", PE_MQTT_MAX_CONNS, conn_close, &last_id};

/* ---- libmosquitto's callbacks (run inside its loop calls, on this thread) */

static void on_connect(struct mosquitto *m, void *obj, int rc) {
  (void)m;
  ((mqtt_conn *)obj)->connack = rc;
}

static void on_publish(struct mosquitto *m, void *obj, int mid) {
  (void)m;
  mqtt_conn *c = obj;
  c->acked[c->nacked++ % RECENT_ACKS] = mid;
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
  (void)m;
  mqtt_conn *c = obj;
  c->lost = true;
  c->lost_rc = rc;
}

static bool acked(const mqtt_conn *c, int mid) {
  unsigned n = c->nacked < RECENT_ACKS ? c->nacked : RECENT_ACKS;
  for (unsigned i = 0; i < n; i++)
    if (c->acked[i] == mid) return true;
  return false;
}

/* ---- waiting ---------------------------------------------------------------- */

typedef enum { WAIT_CONNACK, WAIT_MID } wait_for;

static bool reached(const mqtt_conn *c, wait_for w, int mid) {
  return w == WAIT_CONNACK ? c->connack >= 0 : acked(c, mid);
}

static void lost_reply(const mqtt_conn *c, int rc, const char *doing, pe_buf *out) {
  const char *why = rc == MOSQ_ERR_ERRNO ? strerror(errno) : pe_mosq.strerror(rc);
  if (rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_NO_CONN) why = "the broker closed the connection";
  pe_hc_error(out, PE_HC_BACKEND, "%s: %s: %s", c->where, doing, why);
}

/* Drives the connection until w is reached; false with the reply written
 * (BACKEND: the connection failed or closed; TIMEOUT: the deadline or
 * cap_ms passed). */
static bool pump(pe_svc_request *rq, mqtt_conn *c, wait_for w, int mid, unsigned cap_ms,
                 const char *doing, pe_buf *out) {
  uint64_t until = pe_svc_now_ms() + cap_ms;
  for (;;) {
    if (reached(c, w, mid)) return true;
    if (c->lost) {
      lost_reply(c, c->lost_rc ? c->lost_rc : MOSQ_ERR_CONN_LOST, doing, out);
      return false;
    }
    uint64_t t = pe_svc_now_ms();
    unsigned left = pe_svc_ms_left(rq, t < until ? (unsigned)(until - t) : 0);
    if (left == 0 || pe_rt_should_stop()) {
      pe_hc_error(out, PE_HC_TIMEOUT, "%s: %s: no answer from the broker in time", c->where, doing);
      return false;
    }
    int fd = pe_mosq.socket(c->m);
    if (fd < 0) {
      lost_reply(c, MOSQ_ERR_NO_CONN, doing, out);
      return false;
    }
    struct pollfd pfd = {fd, (short)(POLLIN | (pe_mosq.want_write(c->m) ? POLLOUT : 0)), 0};
    /* wake at least every 100 ms for keep-alive (loop_misc) */
    int n = poll(&pfd, 1, (int)(left < 100 ? left : 100));
    if (n < 0 && errno != EINTR) {
      pe_hc_error(out, PE_HC_BACKEND, "%s: poll: %s", c->where, strerror(errno));
      return false;
    }
    if (n > 0 && (pfd.revents & (POLLERR | POLLHUP)) && c->connack < 0) {
      /* a failed TCP connect: say why (refused, unreachable) */
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr != 0) {
        pe_hc_error(out, PE_HC_BACKEND, "%s: cannot connect: %s", c->where, strerror(soerr));
        return false;
      }
    }
    int rc = MOSQ_ERR_SUCCESS;
    if (n > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP))) rc = pe_mosq.loop_read(c->m, 1);
    if (rc == MOSQ_ERR_SUCCESS && n > 0 && (pfd.revents & POLLOUT) && pe_mosq.socket(c->m) >= 0)
      rc = pe_mosq.loop_write(c->m, 1);
    if (rc == MOSQ_ERR_SUCCESS && pe_mosq.socket(c->m) >= 0) rc = pe_mosq.loop_misc(c->m);
    if (reached(c, w, mid)) return true; /* a refused CONNACK too: the caller says why */
    if (rc != MOSQ_ERR_SUCCESS) {
      lost_reply(c, rc, doing, out);
      return false;
    }
  }
}

/* Reads what the broker sent since the last call, without waiting: a
 * connection the broker closed meanwhile (an idle one past its keep-alive,
 * a broker restart) is then known lost before a QoS 0 publish would be
 * written into a dead socket and reported as sent. */
static void settle(mqtt_conn *c) {
  int fd = pe_mosq.socket(c->m);
  if (c->lost || fd < 0) {
    c->lost = true;
    return;
  }
  struct pollfd pfd = {fd, POLLIN, 0};
  if (poll(&pfd, 1, 0) > 0) {
    int rc = pe_mosq.loop_read(c->m, 1);
    if (rc != MOSQ_ERR_SUCCESS || pe_mosq.socket(c->m) < 0) {
      c->lost = true;
      if (!c->lost_rc) c->lost_rc = rc ? rc : MOSQ_ERR_CONN_LOST;
    }
  }
}

/* libmosquitto sets SIGPIPE to SIG_IGN for the whole process (in
 * mosquitto_new); pyedge never changes that disposition (the threads that
 * write to sockets block SIGPIPE instead: http_server.c, http_workers.c),
 * so it is put back. The mutex keeps two threads from saving each other's
 * change. */
static pthread_mutex_t sigpipe_mu = PTHREAD_MUTEX_INITIALIZER;

static struct mosquitto *new_keeping_sigpipe(const pe_mqtt_addr *a, mqtt_conn *c) {
  pthread_mutex_lock(&sigpipe_mu);
  struct sigaction old;
  bool saved = sigaction(SIGPIPE, NULL, &old) == 0;
  struct mosquitto *m = pe_mosq.new_(a->client_id, a->clean_session, c);
  int e = errno;
  if (saved) (void)sigaction(SIGPIPE, &old, NULL);
  pthread_mutex_unlock(&sigpipe_mu);
  errno = e;
  return m;
}

/* ---- ops ---------------------------------------------------------------------- */

static bool blob_text(pe_hc_reader *r, const char *what, size_t max, char **text, pe_buf *out) {
  const uint8_t *p;
  size_t n;
  if (!pe_hc_blob(r, &p, &n)) {
    pe_hc_error(out, PE_HC_INVALID, "mqtt: expected %s", what);
    return false;
  }
  if (n > max) {
    pe_hc_error(out, PE_HC_INVALID, "mqtt: the %s is longer than %zu bytes", what, max);
    return false;
  }
  if (memchr(p, 0, n) || !pe_svc_utf8_valid(p, n)) {
    pe_hc_error(out, PE_HC_INVALID, "mqtt: the %s must be UTF-8 text without NUL", what);
    return false;
  }
  *text = malloc(n + 1);
  if (!*text) {
    pe_hc_error(out, PE_HC_BACKEND, "mqtt: out of memory");
    return false;
  }
  memcpy(*text, p, n);
  (*text)[n] = 0;
  return true;
}

static void op_open(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out) {
  const uint8_t *ap;
  size_t an;
  char *user = NULL, *pass = NULL;
  uint64_t keep_alive;
  if (!pe_hc_blob(r, &ap, &an)) {
    pe_hc_error(out, PE_HC_INVALID, "mqtt.open: expected an address");
    return;
  }
  if (!blob_text(r, "user name", PE_MQTT_MAX_CREDENTIAL, &user, out)) return;
  if (!blob_text(r, "password", PE_MQTT_MAX_CREDENTIAL, &pass, out)) goto done;
  if (!pe_hc_u64(r, &keep_alive) || !pe_hc_done(r)) {
    pe_hc_error(out, PE_HC_INVALID,
                "mqtt.open: expected address, user name, password and keep-alive seconds");
    goto done;
  }
  pe_mqtt_addr a;
  char err[256];
  if (!pe_mqtt_addr_parse((const char *)ap, an, &a, err, sizeof err)) {
    pe_hc_error(out, PE_HC_INVALID, "%s", err);
    goto done;
  }
  if (!pe_svc_conn_room(&kind, &rq->mqtt, out)) goto done;
  if (pe_svc_ms_left(rq, 1) == 0) {
    pe_hc_error(out, PE_HC_TIMEOUT, "mqtt.open: the request's deadline has passed");
    goto done;
  }
  char addr[PE_OB_ADDR_TEXT];
  if (!pe_svc_outbound_check(rq, a.scheme, a.host, a.port, addr, out)) goto done;
  if (!pe_mqtt_load(err, sizeof err)) {
    pe_hc_error(out, PE_HC_BACKEND, "mqtt: %s", err);
    goto done;
  }

  mqtt_conn *c = calloc(1, sizeof *c);
  if (!c) {
    pe_hc_error(out, PE_HC_BACKEND, "mqtt: out of memory");
    goto done;
  }
  c->connack = -1;
  snprintf(c->where, sizeof c->where, "%s://%s:%u", a.scheme, a.host, (unsigned)a.port);
  c->m = new_keeping_sigpipe(&a, c);
  if (!c->m) {
    pe_hc_error(out, PE_HC_BACKEND, "%s: cannot make an MQTT client: %s", c->where,
                strerror(errno));
    conn_close(c);
    goto done;
  }
  pe_mosq.connect_callback_set(c->m, on_connect);
  pe_mosq.publish_callback_set(c->m, on_publish);
  pe_mosq.disconnect_callback_set(c->m, on_disconnect);
  (void)pe_mosq.int_option(c->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  /* each packet goes out at once: with Nagle, a publish written right after
   * an unacknowledged QoS 0 one waited for the broker's delayed ACK (40 ms) */
  (void)pe_mosq.int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
  /* Spin sends the credentials it is given; an empty user name means none */
  if (user[0] && pe_mosq.username_pw_set(c->m, user, pass) != MOSQ_ERR_SUCCESS) {
    pe_hc_error(out, PE_HC_BACKEND, "%s: cannot set the credentials", c->where);
    conn_close(c);
    goto done;
  }
  /* MQTT's keep-alive is 16 bits; libmosquitto wants 0 (none) or >= 5 */
  int ka = keep_alive == 0 ? 0 : keep_alive < 5 ? 5 : keep_alive > 65535 ? 65535 : (int)keep_alive;
  int rc = pe_mosq.connect_async(c->m, addr, a.port, ka);
  if (rc != MOSQ_ERR_SUCCESS) {
    const char *why = rc == MOSQ_ERR_ERRNO ? strerror(errno) : pe_mosq.strerror(rc);
    pe_hc_error(out, PE_HC_BACKEND, "%s: cannot connect: %s", c->where, why);
    conn_close(c);
    goto done;
  }
  if (!pump(rq, c, WAIT_CONNACK, 0, PE_MQTT_CONNECT_MS, "connecting", out)) {
    conn_close(c);
    goto done;
  }
  if (c->connack != 0) {
    pe_hc_error(out, PE_HC_BACKEND, "%s: the broker refused the connection: %s", c->where,
                pe_mosq.connack_string(c->connack));
    conn_close(c);
    goto done;
  }
  pe_svc_conn_add(&kind, &rq->mqtt, c, out);
done:
  free(user);
  free(pass);
}

/* A topic to publish to: 1 to 65535 bytes of UTF-8, no NUL, no wildcard. */
static bool topic_ok(const uint8_t *p, size_t n, pe_buf *out) {
  if (n == 0 || n > PE_MQTT_MAX_TOPIC) {
    pe_hc_error(out, PE_HC_INVALID, "mqtt.publish: a topic is 1 to %u bytes, not %zu",
                PE_MQTT_MAX_TOPIC, n);
    return false;
  }
  if (memchr(p, 0, n) || !pe_svc_utf8_valid(p, n)) {
    pe_hc_error(out, PE_HC_INVALID, "mqtt.publish: the topic must be UTF-8 text without NUL");
    return false;
  }
  if (memchr(p, '+', n) || memchr(p, '#', n)) {
    pe_hc_error(out, PE_HC_INVALID,
                "mqtt.publish: a topic to publish to has no wildcards ('+', '#')");
    return false;
  }
  return true;
}

static void op_publish(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out) {
  mqtt_conn *c = pe_svc_conn_find(&kind, rq->mqtt, r, out);
  if (!c) return;
  const uint8_t *tp, *pp;
  size_t tn, pn;
  uint64_t qos;
  if (!pe_hc_blob(r, &tp, &tn) || !pe_hc_blob(r, &pp, &pn) || !pe_hc_u64(r, &qos) ||
      !pe_hc_done(r)) {
    pe_hc_error(out, PE_HC_INVALID, "mqtt.publish: expected handle, topic, payload and qos");
    return;
  }
  if (qos > 2) {
    pe_hc_error(out, PE_HC_INVALID, "mqtt.publish: qos is 0, 1 or 2, not %llu",
                (unsigned long long)qos);
    return;
  }
  if (!topic_ok(tp, tn, out)) return;
  if (pn > PE_MQTT_MAX_PAYLOAD) {
    pe_hc_error(out, PE_HC_LIMIT,
                "mqtt.publish: the payload is %zu bytes, more than the %u "
                "allowed",
                pn, PE_MQTT_MAX_PAYLOAD);
    return;
  }
  settle(c);
  if (c->lost) {
    lost_reply(c, c->lost_rc ? c->lost_rc : MOSQ_ERR_CONN_LOST, "publishing", out);
    return;
  }
  char *topic = malloc(tn + 1);
  if (!topic) {
    pe_hc_error(out, PE_HC_BACKEND, "mqtt: out of memory");
    return;
  }
  memcpy(topic, tp, tn);
  topic[tn] = 0;
  int mid = 0;
  int rc = pe_mosq.publish(c->m, &mid, topic, (int)pn, pn ? pp : NULL, (int)qos, false);
  free(topic);
  if (rc != MOSQ_ERR_SUCCESS) {
    if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO)
      lost_reply(c, rc, "publishing", out);
    else
      pe_hc_error(out, rc == MOSQ_ERR_PAYLOAD_SIZE ? PE_HC_LIMIT : PE_HC_BACKEND,
                  "%s: publishing: %s", c->where, pe_mosq.strerror(rc));
    return;
  }
  if (!pump(rq, c, WAIT_MID, mid, PE_MQTT_PUBLISH_MS, "publishing", out)) return;
  if (!pe_hc_ok(out)) pe_hc_error(out, PE_HC_BACKEND, "mqtt: out of memory");
}

static void op_close(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out) {
  uint64_t id;
  if (!pe_hc_u64(r, &id) || !pe_hc_done(r)) {
    pe_hc_error(out, PE_HC_INVALID, "mqtt.close: expected a connection handle");
    return;
  }
  /* closing what is not open (twice, or another request's) is harmless */
  if (rq->mqtt) (void)pe_svc_conn_close(&kind, rq->mqtt, id);
  if (!pe_hc_ok(out)) pe_hc_error(out, PE_HC_BACKEND, "mqtt: out of memory");
}

void pe_svc_mqtt_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                      pe_buf *out) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  if (!strcmp(op, "open"))
    op_open(rq, &r, out);
  else if (!strcmp(op, "publish"))
    op_publish(rq, &r, out);
  else if (!strcmp(op, "close"))
    op_close(rq, &r, out);
  else
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'mqtt.%.64s'", op);
}

void pe_svc_mqtt_request_end(pe_svc_request *rq) { pe_svc_conns_end(&kind, &rq->mqtt); }

bool pe_svc_mqtt_open(pe_services *s, char *err, size_t errlen) {
  (void)s, (void)err, (void)errlen;
  return true; /* nothing app-wide: the library loads on the first open */
}

void pe_svc_mqtt_close(pe_services *s) { (void)s; }

bool pe_svc_mqtt_preload(char *err, size_t errlen) { return pe_mqtt_load(err, errlen); }
