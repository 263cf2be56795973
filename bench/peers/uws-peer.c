/*
 * A minimal chat server on uWebSockets (through its C API), written the way that library's
 * users write one: rooms are uWS topics, a message is serialised once and published once
 * to its room's topic (uWS skips the sender), the sender gets its ack with ws->send.
 * It speaks the subset of PROTOCOL.md that chat-load uses (join -> joined, leave -> left,
 * send -> ack to the sender and msg to the other members), accepts any token (the user id
 * is the JWT's `sub` when it is a decimal number, unverified), keeps no history and stores
 * nothing. A yardstick for the node and for chat-load, not a product.
 *
 * uWebSockets + uSockets come prebuilt in PyPI's socketify (libsocketify_linux_amd64.so,
 * which exports uWS's C API, `uws_*`); bench/peers/build-uws-peer links this file against
 * it. The declarations below are the subset of that C API this file calls, written out here
 * because the package ships the library without its header.
 *
 *   uws-peer [port] [host]        (default 8092 on 127.0.0.1; port 0: any free port)
 *
 * Prints {"listening":PORT} on stdout once it accepts connections; ends on SIGTERM/SIGINT.
 * Bad input gets an `error` event, never a crash: every read of the client's bytes is
 * bounded by the frame's length.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the subset of uWebSockets' C API (capi/libuwebsockets.h) that this peer uses ---- */

struct us_socket_context_options_t {
    const char *key_file_name;
    const char *cert_file_name;
    const char *passphrase;
    const char *dh_params_file_name;
    const char *ca_file_name;
    const char *ssl_ciphers;
    int ssl_prefer_low_memory_usage;
};

typedef enum { UWS_DISABLED = 0 } uws_compress_options_t;
typedef enum { UWS_TEXT = 1, UWS_BINARY = 2 } uws_opcode_t;
typedef enum { UWS_BACKPRESSURE, UWS_SUCCESS, UWS_DROPPED } uws_sendstatus_t;
typedef struct {
    int port;
    const char *host;
    int options;
} uws_app_listen_config_t;

typedef struct uws_app_s uws_app_t;
typedef struct uws_req_s uws_req_t;
typedef struct uws_res_s uws_res_t;
typedef struct uws_socket_context_s uws_socket_context_t;
typedef struct uws_websocket_s uws_websocket_t;
struct us_listen_socket_t;

typedef void (*uws_websocket_handler)(uws_websocket_t *ws, void *user_data);
typedef void (*uws_websocket_message_handler)(uws_websocket_t *ws, const char *message, size_t length,
                                              uws_opcode_t opcode, void *user_data);
typedef void (*uws_websocket_ping_pong_handler)(uws_websocket_t *ws, const char *message, size_t length,
                                                void *user_data);
typedef void (*uws_websocket_close_handler)(uws_websocket_t *ws, int code, const char *message, size_t length,
                                            void *user_data);
typedef void (*uws_websocket_upgrade_handler)(uws_res_t *response, uws_req_t *request,
                                              uws_socket_context_t *context, void *user_data);
typedef void (*uws_websocket_subscription_handler)(uws_websocket_t *ws, const char *topic, size_t topic_length,
                                                   int new_count, int old_count, void *user_data);

typedef struct {
    uws_compress_options_t compression;
    unsigned int maxPayloadLength;
    unsigned short idleTimeout;
    unsigned int maxBackpressure;
    bool closeOnBackpressureLimit;
    bool resetIdleTimeoutOnSend;
    bool sendPingsAutomatically;
    unsigned short maxLifetime;
    uws_websocket_upgrade_handler upgrade;
    uws_websocket_handler open;
    uws_websocket_message_handler message;
    uws_websocket_handler drain;
    uws_websocket_ping_pong_handler ping;
    uws_websocket_ping_pong_handler pong;
    uws_websocket_close_handler close;
    uws_websocket_subscription_handler subscription;
} uws_socket_behavior_t;

typedef void (*uws_listen_handler)(struct us_listen_socket_t *listen_socket, uws_app_listen_config_t config,
                                   void *user_data);
typedef void (*uws_method_handler)(uws_res_t *response, uws_req_t *request, void *user_data);

uws_app_t *uws_create_app(int ssl, struct us_socket_context_options_t options);
void uws_app_get(int ssl, uws_app_t *app, const char *pattern, uws_method_handler handler, void *user_data);
void uws_app_any(int ssl, uws_app_t *app, const char *pattern, uws_method_handler handler, void *user_data);
void uws_app_run(int ssl, uws_app_t *app);
void uws_app_listen_with_config(int ssl, uws_app_t *app, uws_app_listen_config_t config, uws_listen_handler handler,
                                void *user_data);
int us_socket_local_port(int ssl, struct us_listen_socket_t *ls);

void uws_res_end(int ssl, uws_res_t *res, const char *data, size_t length, bool close_connection);
void uws_res_write_status(int ssl, uws_res_t *res, const char *status, size_t length);
void uws_res_write_header(int ssl, uws_res_t *res, const char *key, size_t key_length, const char *value,
                          size_t value_length);
void uws_res_upgrade(int ssl, uws_res_t *res, void *data, const char *key, size_t key_length, const char *protocol,
                     size_t protocol_length, const char *extensions, size_t extensions_length,
                     uws_socket_context_t *context);
size_t uws_req_get_header(uws_req_t *req, const char *lower_case_header, size_t header_length, const char **dest);
size_t uws_req_get_query(uws_req_t *req, const char *key, size_t key_length, const char **dest);

void uws_ws(int ssl, uws_app_t *app, const char *pattern, uws_socket_behavior_t behavior, void *user_data);
void *uws_ws_get_user_data(int ssl, uws_websocket_t *ws);
uws_sendstatus_t uws_ws_send(int ssl, uws_websocket_t *ws, const char *message, size_t length, uws_opcode_t opcode);
unsigned int uws_num_subscribers(int ssl, uws_app_t *app, const char *topic, size_t topic_length);
bool uws_ws_subscribe(int ssl, uws_websocket_t *ws, const char *topic, size_t length);
bool uws_ws_unsubscribe(int ssl, uws_websocket_t *ws, const char *topic, size_t length);
bool uws_ws_is_subscribed(int ssl, uws_websocket_t *ws, const char *topic, size_t length);
bool uws_ws_publish_with_options(int ssl, uws_websocket_t *ws, const char *topic, size_t topic_length,
                                 const char *message, size_t message_length, uws_opcode_t opcode, bool compress);

/* ---- the peer ---- */

enum { MAX_PAYLOAD = 64 * 1024, MAX_CID = 66 /* 64 characters and the quotes */ };

static uws_app_t *app;
static uint64_t last_id;
static uint32_t anonymous;
/* One event at a time is built here: the loop is single-threaded. */
static char out[MAX_PAYLOAD + 512];

/* A span of the client's frame: a JSON value exactly as the client wrote it. */
typedef struct {
    const char *at;
    size_t length;
} span_t;

/* The fields of a command this peer reads; empty spans when absent. */
typedef struct {
    span_t type, room, text, cid;
} command_t;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *skip_space(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A JSON string starting at p (the opening quote); returns the byte after the closing
 * quote, or NULL if it is not a valid string (bad escape, control character, no end).
 * Valid UTF-8 is uWS's job: it checks text frames before they reach the handler. */
static const char *scan_string(const char *p, const char *end) {
    if (p >= end || *p != '"') return NULL;
    p++;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL;
        if (c == '\\') {
            if (end - p < 2) return NULL;
            char e = p[1];
            if (e == 'u') {
                if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5])) return NULL;
                p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == 0) return NULL;
            p += 2;
            continue;
        }
        p++;
    }
    return NULL;
}

/* Any JSON value starting at p; returns the byte after it or NULL. Nested arrays and
 * objects are skipped by depth (their strings scanned as strings), up to 64 levels. */
static const char *scan_value(const char *p, const char *end) {
    if (p >= end) return NULL;
    if (*p == '"') return scan_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            char c = *p;
            if (c == '"') {
                p = scan_string(p, end);
                if (!p) return NULL;
                continue;
            }
            if (c == '{' || c == '[') {
                if (++depth > 64) return NULL;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return p + 1;
            }
            p++;
        }
        return NULL;
    }
    const char *start = p;
    /* numbers, true, false, null: checked for their characters only (this peer echoes
     * no such value it has not checked itself) */
    while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || *p == '+' || *p == '-' || *p == '.' || *p == 'E'))
        p++;
    return p > start ? p : NULL;
}

static bool span_is(span_t s, const char *literal) {
    size_t n = strlen(literal);
    return s.length == n && memcmp(s.at, literal, n) == 0;
}

/* Reads a flat JSON object's fields `t`, `room`, `text`, `cid`; false if it is not one
 * JSON object. Keys are compared as written (this peer's clients do not escape them). */
static bool parse_command(const char *p, size_t length, command_t *command) {
    const char *end = p + length;
    memset(command, 0, sizeof *command);
    p = skip_space(p, end);
    if (p >= end || *p != '{') return false;
    p = skip_space(p + 1, end);
    if (p < end && *p == '}') return skip_space(p + 1, end) == end;
    while (p < end) {
        const char *key = p;
        const char *key_end = scan_string(p, end);
        if (!key_end) return false;
        p = skip_space(key_end, end);
        if (p >= end || *p != ':') return false;
        p = skip_space(p + 1, end);
        const char *value_end = scan_value(p, end);
        if (!value_end) return false;
        span_t value = {p, (size_t)(value_end - p)};
        span_t name = {key, (size_t)(key_end - key)};
        if (span_is(name, "\"t\"")) command->type = value;
        else if (span_is(name, "\"room\"")) command->room = value;
        else if (span_is(name, "\"text\"")) command->text = value;
        else if (span_is(name, "\"cid\"")) command->cid = value;
        p = skip_space(value_end, end);
        if (p < end && *p == ',') {
            p = skip_space(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') return skip_space(p + 1, end) == end;
        return false;
    }
    return false;
}

/* A room id: an unsigned 32-bit decimal; its topic is that decimal. */
static bool valid_room(span_t room) {
    if (room.length == 0 || room.length > 10) return false;
    uint64_t value = 0;
    for (size_t i = 0; i < room.length; i++) {
        char c = room.at[i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (uint64_t)(c - '0');
    }
    return value <= UINT32_MAX && !(room.length > 1 && room.at[0] == '0');
}

static void send_text(uws_websocket_t *ws, const char *text, int length) {
    if (length > 0 && (size_t)length < sizeof out) uws_ws_send(0, ws, text, (size_t)length, UWS_TEXT);
}

static void send_error(uws_websocket_t *ws, const char *code, const char *message, span_t cid) {
    int n;
    if (cid.length > 0 && cid.length <= MAX_CID)
        n = snprintf(out, sizeof out, "{\"t\":\"error\",\"code\":\"%s\",\"msg\":\"%s\",\"cid\":%.*s}", code, message,
                     (int)cid.length, cid.at);
    else
        n = snprintf(out, sizeof out, "{\"t\":\"error\",\"code\":\"%s\",\"msg\":\"%s\"}", code, message);
    send_text(ws, out, n);
}

static void on_message(uws_websocket_t *ws, const char *message, size_t length, uws_opcode_t opcode,
                       void *unused) {
    (void)unused;
    span_t none = {NULL, 0};
    if (opcode != UWS_TEXT) { send_error(ws, "bad_request", "binary frames are not supported by this peer", none); return; }
    command_t command;
    if (!parse_command(message, length, &command)) { send_error(ws, "bad_request", "not JSON", none); return; }
    if (span_is(command.type, "\"join\"") || span_is(command.type, "\"leave\"")) {
        if (!valid_room(command.room)) { send_error(ws, "bad_request", "room must be a 32-bit unsigned integer", none); return; }
        int n;
        if (command.type.length == 6) {
            uws_ws_subscribe(0, ws, command.room.at, command.room.length);
            n = snprintf(out, sizeof out, "{\"t\":\"joined\",\"room\":%.*s,\"epoch\":\"peer\",\"members\":%u,\"history\":[]}",
                         (int)command.room.length, command.room.at,
                         uws_num_subscribers(0, app, command.room.at, command.room.length));
        } else {
            uws_ws_unsubscribe(0, ws, command.room.at, command.room.length);
            n = snprintf(out, sizeof out, "{\"t\":\"left\",\"room\":%.*s}", (int)command.room.length, command.room.at);
        }
        { send_text(ws, out, n); return; }
    }
    if (span_is(command.type, "\"send\"")) {
        span_t cid = command.cid.length <= MAX_CID ? command.cid : none;
        if (!valid_room(command.room)) { send_error(ws, "bad_request", "room must be a 32-bit unsigned integer", cid); return; }
        if (command.text.length < 2 || command.text.at[0] != '"')
            { send_error(ws, "bad_request", "text must be a string", cid); return; }
        if (command.cid.length == 0 || command.cid.length > MAX_CID)
            { send_error(ws, "bad_request", "cid must be at most 64 characters", none); return; }
        if (!uws_ws_is_subscribed(0, ws, command.room.at, command.room.length))
            { send_error(ws, "not_member", "join first", cid); return; }
        uint64_t id = ++last_id;
        int64_t ts = now_ms();
        uint32_t from = (uint32_t)(uintptr_t)uws_ws_get_user_data(0, ws);
        /* One serialisation, one publish: uWS writes the same bytes to every subscriber. */
        int n = snprintf(out, sizeof out, "{\"t\":\"msg\",\"room\":%.*s,\"id\":\"%llu\",\"from\":%u,\"ts\":%lld,\"text\":%.*s}",
                         (int)command.room.length, command.room.at, (unsigned long long)id, from, (long long)ts,
                         (int)command.text.length, command.text.at);
        if (n > 0 && (size_t)n < sizeof out)
            uws_ws_publish_with_options(0, ws, command.room.at, command.room.length, out, (size_t)n, UWS_TEXT, false);
        n = snprintf(out, sizeof out, "{\"t\":\"ack\",\"cid\":%.*s,\"id\":\"%llu\",\"ts\":%lld}", (int)cid.length, cid.at,
                     (unsigned long long)id, (long long)ts);
        { send_text(ws, out, n); return; }
    }
    send_error(ws, "bad_request", "unknown type", none);
}

/* The user id of a token: a JWT's `sub` when it is a decimal that fits 32 bits, unverified;
 * else a counter. Reads at most the token's bytes. */
static uint32_t user_of(const char *token, size_t length) {
    const char *dot = memchr(token, '.', length);
    if (dot) {
        const char *payload = dot + 1;
        const char *end = memchr(payload, '.', length - (size_t)(payload - token));
        if (!end) end = token + length;
        /* base64url decode into a small buffer */
        char json[1024];
        size_t n = 0;
        uint32_t bits = 0;
        int count = 0;
        for (const char *p = payload; p < end && n < sizeof json - 1; p++) {
            int v;
            char c = *p;
            if (c >= 'A' && c <= 'Z') v = c - 'A';
            else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
            else if (c >= '0' && c <= '9') v = c - '0' + 52;
            else if (c == '-') v = 62;
            else if (c == '_') v = 63;
            else break;
            bits = (bits << 6) | (uint32_t)v;
            count += 6;
            if (count >= 8) {
                count -= 8;
                json[n++] = (char)((bits >> count) & 0xFF);
            }
        }
        json[n] = 0;
        const char *sub = strstr(json, "\"sub\":");
        if (sub) {
            sub += 6;
            while (*sub == ' ') sub++;
            if (*sub == '"') sub++;
            uint64_t value = 0;
            int digits = 0;
            while (*sub >= '0' && *sub <= '9' && digits < 11) value = value * 10 + (uint64_t)(*sub++ - '0'), digits++;
            if (digits > 0 && (*sub == '"' || *sub == ',' || *sub == '}') && value <= UINT32_MAX) return (uint32_t)value;
        }
    }
    return ++anonymous;
}

static void on_upgrade(uws_res_t *res, uws_req_t *req, uws_socket_context_t *context, void *unused) {
    (void)unused;
    const char *token, *key, *protocol, *extensions;
    size_t token_length = uws_req_get_query(req, "token", 5, &token);
    size_t key_length = uws_req_get_header(req, "sec-websocket-key", 17, &key);
    size_t protocol_length = uws_req_get_header(req, "sec-websocket-protocol", 22, &protocol);
    size_t extensions_length = uws_req_get_header(req, "sec-websocket-extensions", 24, &extensions);
    if (token_length == 0) {
        uws_res_write_status(0, res, "401 Unauthorized", 16);
        uws_res_end(0, res, "", 0, true);
        return;
    }
    /* The user id travels as the connection's user data itself: no allocation. */
    void *user = (void *)(uintptr_t)user_of(token, token_length);
    uws_res_upgrade(0, res, user, key, key_length, protocol, protocol_length, extensions, extensions_length, context);
}

static void on_health(uws_res_t *res, uws_req_t *req, void *unused) {
    (void)req, (void)unused;
    uws_res_write_header(0, res, "content-type", 12, "application/json", 16);
    uws_res_end(0, res, "{\"status\":\"ok\"}", 15, false);
}

static void on_other(uws_res_t *res, uws_req_t *req, void *unused) {
    (void)req, (void)unused;
    uws_res_write_status(0, res, "404 Not Found", 13);
    uws_res_end(0, res, "", 0, false);
}

static void on_listen(struct us_listen_socket_t *listen_socket, uws_app_listen_config_t config, void *unused) {
    (void)unused;
    if (!listen_socket) {
        fprintf(stderr, "uws-peer: cannot listen on %s:%d\n", config.host, config.port);
        exit(1);
    }
    printf("{\"listening\":%d}\n", us_socket_local_port(0, listen_socket));
    fflush(stdout);
}

static void on_signal(int signal_number) {
    (void)signal_number;
    _exit(0);
}

int main(int argc, char **argv) {
    const char *port_text = argc > 1 ? argv[1] : getenv("PORT");
    const char *host = argc > 2 ? argv[2] : (getenv("HOST") ? getenv("HOST") : "127.0.0.1");
    long port = port_text ? strtol(port_text, NULL, 10) : 8092;
    if (port < 0 || port > 65535) {
        fprintf(stderr, "uws-peer: bad port %s\n", port_text);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    struct us_socket_context_options_t options;
    memset(&options, 0, sizeof options);
    app = uws_create_app(0, options);
    if (!app) {
        fprintf(stderr, "uws-peer: uws_create_app failed\n");
        return 1;
    }
    uws_socket_behavior_t behavior;
    memset(&behavior, 0, sizeof behavior);
    /* The settings of uWS's own examples: 1 MiB of backpressure per socket, pings when
     * idle; no compression, 64 KiB frames at most (as the node). */
    behavior.compression = UWS_DISABLED;
    behavior.maxPayloadLength = MAX_PAYLOAD;
    behavior.idleTimeout = 120;
    behavior.maxBackpressure = 1024 * 1024;
    behavior.closeOnBackpressureLimit = false;
    behavior.resetIdleTimeoutOnSend = false;
    behavior.sendPingsAutomatically = true;
    behavior.upgrade = on_upgrade;
    behavior.message = on_message;
    uws_ws(0, app, "/ws", behavior, NULL);
    uws_app_get(0, app, "/health", on_health, NULL);
    uws_app_any(0, app, "/*", on_other, NULL);
    uws_app_listen_config_t config = {(int)port, host, 0};
    uws_app_listen_with_config(0, app, config, on_listen, NULL);
    uws_app_run(0, app);
    return 0;
}
