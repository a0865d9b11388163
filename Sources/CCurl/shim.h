#ifndef ARCHIVE_SYNC_CCURL_SHIM_H
#define ARCHIVE_SYNC_CCURL_SHIM_H
#include <curl/curl.h>
#endif
