#!/bin/sh
tar czf "backup-$(date +%F).tgz" ./notes
