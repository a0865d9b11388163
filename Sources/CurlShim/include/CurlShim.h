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

/// A way to stop a waiting transfer from another thread (a long poll, when there is something to
/// send or the program stops). Only a transfer made while armed is stopped: `fire` shuts its
/// socket down, so libcurl's wait ends at once, and the progress callback aborts it. A fire while
/// disarmed is kept until `reset`, so an armed transfer that starts after it stops at once. The
/// socket is known between its creation and its close, under a lock, so `fire` never touches a
/// descriptor that has been closed and reused.
typedef struct archive_sync_interrupt archive_sync_interrupt;

archive_sync_interrupt *archive_sync_interrupt_new(void);
/// Frees it; only after curl_easy_cleanup of every handle it was attached to.
void archive_sync_interrupt_free(archive_sync_interrupt *interrupt);
/// Sets the handle's socket, close and progress callbacks to watch `interrupt` (again after each
/// curl_easy_reset).
void archive_sync_interrupt_attach(CURL *handle, archive_sync_interrupt *interrupt);
void archive_sync_interrupt_fire(archive_sync_interrupt *interrupt);
/// Clears a fire, for the next transfer; returns whether it had fired.
int archive_sync_interrupt_reset(archive_sync_interrupt *interrupt);
int archive_sync_interrupt_fired(archive_sync_interrupt *interrupt);
void archive_sync_interrupt_arm(archive_sync_interrupt *interrupt, int armed);
/// Stops the transfer in progress whatever it is, and every later one (the program is stopping).
void archive_sync_interrupt_force(archive_sync_interrupt *interrupt);

#endif
