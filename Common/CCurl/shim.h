#include <curl/curl.h>
/* curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: typed wrappers. */
static inline CURLcode ccurl_setopt_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ccurl_setopt_str(CURL *c, CURLoption o, const char *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ccurl_setopt_ptr(CURL *c, CURLoption o, void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ccurl_setopt_slist(CURL *c, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(c, o, v); }
typedef size_t (*ccurl_data_cb)(char *, size_t, size_t, void *);
static inline CURLcode ccurl_setopt_datafn(CURL *c, CURLoption o, ccurl_data_cb f) { return curl_easy_setopt(c, o, f); }
static inline CURLcode ccurl_getinfo_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
static inline CURLcode ccurl_getinfo_double(CURL *c, CURLINFO i, double *v) { return curl_easy_getinfo(c, i, v); }
static inline CURLcode ccurl_getinfo_str(CURL *c, CURLINFO i, char **v) { return curl_easy_getinfo(c, i, v); }
typedef CURLcode (*ccurl_sslctx_cb)(CURL *, void *, void *);
static inline CURLcode ccurl_setopt_sslctxfn(CURL *c, CURLoption o, ccurl_sslctx_cb f) { return curl_easy_setopt(c, o, f); }
/* In-memory PEM (kubeconfig *-data fields): curl copies the bytes, so the caller's buffer may go. */
static inline CURLcode ccurl_setopt_blob(CURL *c, CURLoption o, const void *data, size_t length) {
    struct curl_blob blob = { (void *)data, length, CURL_BLOB_COPY };
    return curl_easy_setopt(c, o, &blob);
}
static inline CURLMcode ccurl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
/* CURLMsg.data is a union: read the result of a finished transfer. */
static inline CURLcode ccurl_msg_result(CURLMsg *msg) { return msg->data.result; }
