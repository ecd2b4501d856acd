#include "CCurl.h"

CURLcode dataflow_curl_setopt_long(CURL *handle, CURLoption option, long value) { return curl_easy_setopt(handle, option, value); }
CURLcode dataflow_curl_setopt_string(CURL *handle, CURLoption option, const char *value) { return curl_easy_setopt(handle, option, value); }
CURLcode dataflow_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) { return curl_easy_setopt(handle, option, value); }
CURLcode dataflow_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) { return curl_easy_setopt(handle, option, value); }
CURLcode dataflow_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) { return curl_easy_setopt(handle, option, value); }
CURLcode dataflow_curl_setopt_write_function(CURL *handle, size_t (*fn)(char *, size_t, size_t, void *)) { return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, fn); }
CURLcode dataflow_curl_setopt_header_function(CURL *handle, size_t (*fn)(char *, size_t, size_t, void *)) { return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, fn); }
CURLcode dataflow_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) { return curl_easy_getinfo(handle, info, value); }
CURLcode dataflow_curl_getinfo_double(CURL *handle, CURLINFO info, double *value) { return curl_easy_getinfo(handle, info, value); }
CURLcode dataflow_curl_global_init_all(void) { return curl_global_init(CURL_GLOBAL_ALL); }

static int dataflow_count_request(CURL *handle, curl_infotype type, char *data, size_t size, void *counter) {
    (void)handle;
    if (type != CURLINFO_HEADER_OUT || counter == NULL) return 0;
    // A request's header block starts with its method (a token of capitals) and a space; a block
    // handed over in more than one piece counts once.
    size_t i = 0;
    while (i < size && data[i] >= 'A' && data[i] <= 'Z') i++;
    if (i > 0 && i < size && data[i] == ' ') (*(long *)counter)++;
    return 0;
}

CURLcode dataflow_curl_count_requests(CURL *handle, long *counter) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, dataflow_count_request);
    if (rc == CURLE_OK) rc = curl_easy_setopt(handle, CURLOPT_DEBUGDATA, (void *)counter);
    if (rc == CURLE_OK) rc = curl_easy_setopt(handle, CURLOPT_VERBOSE, 1L);
    return rc;
}

CURLcode dataflow_curl_perform(CURLM *multi, CURL *easy, void (*work)(void *), int (*abandoned)(void *), void *context, int *multi_code) {
    int work_ran = 0;
    *multi_code = CURLM_OK;
    CURLMcode mc = curl_multi_add_handle(multi, easy);
    if (mc != CURLM_OK) { *multi_code = mc; return CURLE_FAILED_INIT; }
    CURLcode result = CURLE_OK;
    for (;;) {
        int running = 0;
        mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) { *multi_code = mc; result = CURLE_OUT_OF_MEMORY; break; }
        int done = 0, left = 0;
        CURLMsg *message;
        while ((message = curl_multi_info_read(multi, &left)) != NULL) {
            if (message->msg == CURLMSG_DONE && message->easy_handle == easy) { result = message->data.result; done = 1; }
        }
        if (done) break;
        if (work != NULL && !work_ran) {
            long sent = 0;
            if (curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent > 0) {
                work_ran = 1;
                work(context);
                continue;  // read what arrived meanwhile before waiting
            }
        }
        if (abandoned != NULL && abandoned(context)) { result = CURLE_ABORTED_BY_CALLBACK; break; }
        // Waits for the socket or libcurl's own next timeout (connect, overall), whichever is first.
        mc = curl_multi_poll(multi, NULL, 0, abandoned != NULL ? 100 : 1000, NULL);
        if (mc != CURLM_OK) { *multi_code = mc; result = CURLE_OUT_OF_MEMORY; break; }
    }
    curl_multi_remove_handle(multi, easy);
    return result;
}
