#!/bin/sh
# Runs after the switch; a failure rolls the target back.
set -e
grep -q "Hello from Slipway" "$RELEASE_PATH/index.html"
