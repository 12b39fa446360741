#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netdb.h>
#include <microhttpd.h>

/* MHD_start_daemon is variadic, which Swift cannot call: one fixed-arity wrapper with every option we use.
   TLS is enabled when key and cert are both non-NULL. */
static inline struct MHD_Daemon *cmhd_start(unsigned int flags, const struct sockaddr *bindAddr,
    MHD_AccessHandlerCallback handler, void *handlerCls,
    MHD_RequestCompletedCallback completed, void *completedCls,
    unsigned int threadPool, unsigned int connectionLimit, unsigned int perIPLimit,
    unsigned int timeoutSeconds, size_t memoryLimit, const char *tlsKeyPem, const char *tlsCertPem) {
  if (tlsKeyPem != NULL && tlsCertPem != NULL) {
    return MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handler, handlerCls,
        MHD_OPTION_SOCK_ADDR, bindAddr,
        MHD_OPTION_NOTIFY_COMPLETED, completed, completedCls,
        MHD_OPTION_THREAD_POOL_SIZE, threadPool,
        MHD_OPTION_CONNECTION_LIMIT, connectionLimit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, perIPLimit,
        MHD_OPTION_CONNECTION_TIMEOUT, timeoutSeconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, memoryLimit,
        MHD_OPTION_HTTPS_MEM_KEY, tlsKeyPem,
        MHD_OPTION_HTTPS_MEM_CERT, tlsCertPem,
        MHD_OPTION_END);
  }
  return MHD_start_daemon(flags, 0, NULL, NULL, handler, handlerCls,
      MHD_OPTION_SOCK_ADDR, bindAddr,
      MHD_OPTION_NOTIFY_COMPLETED, completed, completedCls,
      MHD_OPTION_THREAD_POOL_SIZE, threadPool,
      MHD_OPTION_CONNECTION_LIMIT, connectionLimit,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, perIPLimit,
      MHD_OPTION_CONNECTION_TIMEOUT, timeoutSeconds,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, memoryLimit,
      MHD_OPTION_END);
}

/* The listening port actually bound (for port 0). */
static inline uint16_t cmhd_bound_port(struct MHD_Daemon *d) {
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  return info ? info->port : 0;
}

/* Number of open connections. */
static inline unsigned int cmhd_connection_count(struct MHD_Daemon *d) {
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
  return info ? info->num_connections : 0;
}

/* The peer address of a connection, formatted into buf (IPv4 or IPv6 text). Returns 0 on success. */
static inline int cmhd_client_address(struct MHD_Connection *c, char *buf, size_t len) {
  const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == NULL || info->client_addr == NULL) return -1;
  return getnameinfo(info->client_addr,
      info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
      buf, (socklen_t)len, NULL, 0, 1 /* NI_NUMERICHOST */);
}
