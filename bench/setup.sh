#!/usr/bin/env bash
# What `make bench` uses, installed where this machine allows: wrk and the libev headers that
# bjoern builds against (Debian packages, when run as root), then bjoern itself (the `bench`
# extra). Nothing here is required: without wrk the HTTP load comes from a Python driver, and
# without bjoern the SOAP baseline runs on wsgiref; the results say which was used.
set -u
python="${1:-.venv/bin/python}"

if ! command -v wrk >/dev/null || [ ! -e /usr/include/ev.h ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq wrk libev-dev >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq wrk libev-dev >/dev/null; } \
      || echo "bench: could not install wrk and libev-dev with apt-get"
  else
    echo "bench: for the full benchmark install wrk and libev headers (Debian: apt-get install wrk libev-dev)"
  fi
fi

"$python" -m pip install --quiet -e '.[bench]' \
  || echo "bench: bjoern could not be installed; the SOAP baseline falls back to wsgiref"
