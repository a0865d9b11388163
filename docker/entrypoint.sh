#!/bin/sh
# Entry point of the archive-sync image (docker/Dockerfile).
#
#   serve      make the replica if missing, make the tokens listed in $ARCHIVE_SYNC_CREATE_TOKENS
#              ("NAME:SCOPE ...", secrets written to $ARCHIVE_SYNC_TOKENS_DIR/NAME.token, /tokens by
#              default), then serve on 0.0.0.0
#   sync-loop  make the replica if missing, add the hub as a peer ($ARCHIVE_SYNC_HUB_URL, token
#              in $ARCHIVE_SYNC_TOKEN_FILE) and sync with it every $ARCHIVE_SYNC_INTERVAL seconds
#   anything else is passed to archive-sync
set -eu
: "${ARCHIVE_SYNC_DB:=/data/replica.db}"
export ARCHIVE_SYNC_DB

ensure_replica() {
    if [ ! -f "$ARCHIVE_SYNC_DB" ]; then
        archive-sync init --name "${ARCHIVE_SYNC_NAME:-$(hostname)}"
    fi
}

command="${1:-serve}"
case "$command" in
serve)
    shift || true
    ensure_replica
    for spec in ${ARCHIVE_SYNC_CREATE_TOKENS:-}; do
        name="${spec%%:*}"
        scope="${spec##*:}"
        file="${ARCHIVE_SYNC_TOKENS_DIR:-/tokens}/$name.token"
        if [ ! -s "$file" ]; then
            umask 077
            if archive-sync token create "$name" --scope "$scope" > "$file.new"; then
                mv "$file.new" "$file"
                echo "made token $name ($scope) in $file" >&2
            else
                rm -f "$file.new"
                echo "token $name exists but $file is missing: revoke it and remove it from the list to make it again" >&2
            fi
        fi
    done
    exec archive-sync serve --bind 0.0.0.0 --port "${ARCHIVE_SYNC_PORT:-8080}" "$@"
    ;;
sync-loop)
    ensure_replica
    : "${ARCHIVE_SYNC_HUB_URL:?set ARCHIVE_SYNC_HUB_URL to the hub, e.g. http://hub:8080}"
    : "${ARCHIVE_SYNC_TOKEN_FILE:?set ARCHIVE_SYNC_TOKEN_FILE to the file holding this replica's token}"
    interval="${ARCHIVE_SYNC_INTERVAL:-60}"
    archive-sync peer add hub "$ARCHIVE_SYNC_HUB_URL" --token-file "$ARCHIVE_SYNC_TOKEN_FILE"
    while true; do
        if [ -s "$ARCHIVE_SYNC_TOKEN_FILE" ]; then
            archive-sync sync hub || echo "sync failed; trying again in ${interval}s" >&2
        else
            echo "waiting for the token in $ARCHIVE_SYNC_TOKEN_FILE" >&2
        fi
        sleep "$interval"
    done
    ;;
*)
    exec archive-sync "$@"
    ;;
esac
