#!/bin/sh
# Runs in the new release before it goes live.
set -e
test -f "$RELEASE_PATH/index.html"
echo "installed release at $RELEASE_PATH"
