#!/bin/sh
sudo -s
