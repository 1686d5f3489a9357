#!/bin/sh
# Install Debian's chromium for the tests marked `browser` (tests/test_digest_browser.py), which render
# the digest headless at 1200 and 390 px. Run as root (CI: from .ci/run before the tests). Idempotent:
# does nothing when chromium is already there. Without it those tests are skipped, not failed.
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium
chromium --version
