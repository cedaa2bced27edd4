#!/bin/sh
rm -rf ./build ./dist node_modules/.cache
