// Non-variadic wrappers around curl_easy_setopt and curl_easy_getinfo, which Swift cannot call
// because they are variadic. One function per argument type; everything else in libcurl is
// called from Swift directly.
#ifndef ARCHIVE_SYNC_CURL_SHIM_H
#define ARCHIVE_SYNC_CURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*archive_sync_write_callback)(char *data, size_t size, size_t count, void *context);

CURLcode archive_sync_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode archive_sync_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode archive_sync_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode archive_sync_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode archive_sync_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode archive_sync_setopt_write_callback(CURL *handle, archive_sync_write_callback callback);
CURLcode archive_sync_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode archive_sync_getinfo_offset(CURL *handle, CURLINFO info, curl_off_t *value);

#endif
