#ifndef DATAFLOW_CCURL_H
#define DATAFLOW_CCURL_H
#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call.
// These typed wrappers are the whole binding.
CURLcode dataflow_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode dataflow_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode dataflow_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode dataflow_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode dataflow_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode dataflow_curl_setopt_write_function(CURL *handle, size_t (*fn)(char *, size_t, size_t, void *));
CURLcode dataflow_curl_setopt_header_function(CURL *handle, size_t (*fn)(char *, size_t, size_t, void *));
// Counts in `*counter` every request libcurl sends on `handle` (each header block it sends, which
// starts with the method), a request it sends again by itself on a fresh connection too (after a
// reused connection died before any answer came). Turns CURLOPT_VERBOSE on; nothing is printed.
CURLcode dataflow_curl_count_requests(CURL *handle, long *counter);
CURLcode dataflow_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode dataflow_curl_getinfo_double(CURL *handle, CURLINFO info, double *value);

// Performs one transfer of `easy` through `multi` (whose connection cache keeps the keep-alive
// connections between transfers) and returns its result, as curl_easy_perform would. Once the
// request has gone out (libcurl counts its bytes in CURLINFO_REQUEST_SIZE) and before the
// response is read, `work(context)` runs once on the calling thread, so the caller can do other
// work while the server answers; a transfer that ends before its request is out leaves it to the
// caller (who knows whether it ran). When `abandoned` is given it is asked at least every 100 ms
// while the transfer runs; once it returns non-zero the transfer stops with
// CURLE_ABORTED_BY_CALLBACK. Both get `context`. A multi-interface failure is returned as
// CURLE_FAILED_INIT (adding the handle) or CURLE_OUT_OF_MEMORY, with the CURLMcode in
// `*multi_code`.
CURLcode dataflow_curl_perform(CURLM *multi, CURL *easy, void (*work)(void *), int (*abandoned)(void *), void *context, int *multi_code);

// CURL_GLOBAL_ALL is a compound macro that Swift does not import.
CURLcode dataflow_curl_global_init_all(void);
#endif
