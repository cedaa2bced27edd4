#!/bin/sh
# Prints a greeting and today's date. No network, no file access.
name="${1:-world}"
printf 'Hello, %s! Today is %s.\n' "$name" "$(date +%Y-%m-%d)"
