#!/bin/sh
# Entry point of the archive-sync image (docker/Dockerfile), run under tini (the image's init).
#
#   serve      make the replica if missing, make the tokens listed in $ARCHIVE_SYNC_CREATE_TOKENS
#              ("NAME:SCOPE ...", secrets written to $ARCHIVE_SYNC_TOKENS_DIR/NAME.token, /tokens by
#              default), then serve on 0.0.0.0
#   watch      make the replica if missing, add the hub as a peer ($ARCHIVE_SYNC_HUB_URL, token in
#              $ARCHIVE_SYNC_TOKEN_FILE), wait for the token, then `archive-sync watch`: changes
#              travel both ways as they happen, and the folders in $ARCHIVE_SYNC_FOLDERS
#              (space-separated; made if missing) are kept in step with the replica
#   sync-loop  the same replica and peer without watching: `archive-sync sync hub` every
#              $ARCHIVE_SYNC_INTERVAL seconds (no folders)
#   anything else is passed to archive-sync
# Further arguments after serve and watch are passed to that command.
# -f: the word lists from the environment are split on spaces, never expanded as file patterns.
set -euf
: "${ARCHIVE_SYNC_DB:=/data/replica.db}"
export ARCHIVE_SYNC_DB

ensure_replica() {
    if [ ! -f "$ARCHIVE_SYNC_DB" ]; then
        archive-sync init --name "${ARCHIVE_SYNC_NAME:-$(hostname)}"
    fi
}

# Adds the hub as the peer "hub" unless it is already there with this URL and token file: adding a
# peer again clears the origin its first sync pinned, and a restart must keep that pin.
ensure_hub_peer() {
    : "${ARCHIVE_SYNC_HUB_URL:?set ARCHIVE_SYNC_HUB_URL to the hub, e.g. http://hub:8080}"
    : "${ARCHIVE_SYNC_TOKEN_FILE:?set ARCHIVE_SYNC_TOKEN_FILE to the file holding the token of this replica}"
    expected="hub  $ARCHIVE_SYNC_HUB_URL  (token: $ARCHIVE_SYNC_TOKEN_FILE)"
    if ! archive-sync peer list | cut -c "1-${#expected}" | grep -qxF "$expected"; then
        archive-sync peer add hub "$ARCHIVE_SYNC_HUB_URL" --token-file "$ARCHIVE_SYNC_TOKEN_FILE"
    fi
}

command="${1:-serve}"
if [ $# -gt 0 ]; then shift; fi
case "$command" in
serve)
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
watch)
    ensure_replica
    ensure_hub_peer
    # The hub writes the token before it serves; wait for it rather than fail the first pulls.
    while [ ! -s "$ARCHIVE_SYNC_TOKEN_FILE" ]; do
        echo "waiting for the token in $ARCHIVE_SYNC_TOKEN_FILE" >&2
        sleep 2
    done
    for folder in ${ARCHIVE_SYNC_FOLDERS:-}; do
        mkdir -p "$folder"
        set -- "$@" --folder "$folder"
    done
    exec archive-sync watch --peer hub "$@"
    ;;
sync-loop)
    ensure_replica
    ensure_hub_peer
    interval="${ARCHIVE_SYNC_INTERVAL:-60}"
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
    exec archive-sync "$command" "$@"
    ;;
esac
