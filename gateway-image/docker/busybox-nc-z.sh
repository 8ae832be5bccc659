#!/bin/sh
# `nc -z HOST PORT` for busybox netcat builds without -z (Debian's busybox-static, which the local base image
# ships). The stack's healthcheck runs `nc -z 127.0.0.1 <port>`: connect with stdin at EOF, so busybox nc closes
# at once, and exit 0 only when the connection was accepted. Anything else goes to busybox nc unchanged.
if [ "$1" = "-z" ]; then
  shift
  exec busybox nc -w 5 "$@" </dev/null
fi
exec busybox nc "$@"
