#include "CurlShim.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

CURLcode archive_sync_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode archive_sync_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode archive_sync_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode archive_sync_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode archive_sync_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode archive_sync_setopt_write_callback(CURL *handle, archive_sync_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

CURLcode archive_sync_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode archive_sync_getinfo_offset(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

struct archive_sync_interrupt {
    pthread_mutex_t lock;
    curl_socket_t socket;
    int fired;
    int armed;
    int forced;
};

archive_sync_interrupt *archive_sync_interrupt_new(void) {
    archive_sync_interrupt *interrupt = calloc(1, sizeof(archive_sync_interrupt));
    if (interrupt == NULL) return NULL;
    pthread_mutex_init(&interrupt->lock, NULL);
    interrupt->socket = CURL_SOCKET_BAD;
    return interrupt;
}

void archive_sync_interrupt_free(archive_sync_interrupt *interrupt) {
    if (interrupt == NULL) return;
    pthread_mutex_destroy(&interrupt->lock);
    free(interrupt);
}

static int archive_sync_on_socket(void *context, curl_socket_t socket, curlsocktype purpose) {
    archive_sync_interrupt *interrupt = context;
    (void)purpose;
    pthread_mutex_lock(&interrupt->lock);
    interrupt->socket = socket;
    int stop = interrupt->forced || (interrupt->fired && interrupt->armed);
    pthread_mutex_unlock(&interrupt->lock);
    return stop ? CURL_SOCKOPT_ERROR : CURL_SOCKOPT_OK;
}

static int archive_sync_on_close(void *context, curl_socket_t socket) {
    archive_sync_interrupt *interrupt = context;
    pthread_mutex_lock(&interrupt->lock);
    if (interrupt->socket == socket) interrupt->socket = CURL_SOCKET_BAD;
    int result = close(socket);
    pthread_mutex_unlock(&interrupt->lock);
    return result;
}

static int archive_sync_on_progress(
    void *context, curl_off_t download_total, curl_off_t downloaded, curl_off_t upload_total, curl_off_t uploaded) {
    archive_sync_interrupt *interrupt = context;
    (void)download_total; (void)downloaded; (void)upload_total; (void)uploaded;
    pthread_mutex_lock(&interrupt->lock);
    int stop = interrupt->forced || (interrupt->fired && interrupt->armed);
    pthread_mutex_unlock(&interrupt->lock);
    return stop;
}

void archive_sync_interrupt_attach(CURL *handle, archive_sync_interrupt *interrupt) {
    curl_easy_setopt(handle, CURLOPT_SOCKOPTFUNCTION, archive_sync_on_socket);
    curl_easy_setopt(handle, CURLOPT_SOCKOPTDATA, interrupt);
    curl_easy_setopt(handle, CURLOPT_CLOSESOCKETFUNCTION, archive_sync_on_close);
    curl_easy_setopt(handle, CURLOPT_CLOSESOCKETDATA, interrupt);
    curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, archive_sync_on_progress);
    curl_easy_setopt(handle, CURLOPT_XFERINFODATA, interrupt);
    curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
}

void archive_sync_interrupt_fire(archive_sync_interrupt *interrupt) {
    pthread_mutex_lock(&interrupt->lock);
    interrupt->fired = 1;
    if (interrupt->armed && interrupt->socket != CURL_SOCKET_BAD) shutdown(interrupt->socket, SHUT_RDWR);
    pthread_mutex_unlock(&interrupt->lock);
}

int archive_sync_interrupt_reset(archive_sync_interrupt *interrupt) {
    pthread_mutex_lock(&interrupt->lock);
    int fired = interrupt->fired;
    interrupt->fired = 0;
    pthread_mutex_unlock(&interrupt->lock);
    return fired;
}

void archive_sync_interrupt_force(archive_sync_interrupt *interrupt) {
    pthread_mutex_lock(&interrupt->lock);
    interrupt->fired = 1;
    interrupt->forced = 1;
    if (interrupt->socket != CURL_SOCKET_BAD) shutdown(interrupt->socket, SHUT_RDWR);
    pthread_mutex_unlock(&interrupt->lock);
}

int archive_sync_interrupt_fired(archive_sync_interrupt *interrupt) {
    pthread_mutex_lock(&interrupt->lock);
    int fired = interrupt->forced || interrupt->fired;
    pthread_mutex_unlock(&interrupt->lock);
    return fired;
}

void archive_sync_interrupt_arm(archive_sync_interrupt *interrupt, int armed) {
    pthread_mutex_lock(&interrupt->lock);
    interrupt->armed = armed;
    pthread_mutex_unlock(&interrupt->lock);
}
