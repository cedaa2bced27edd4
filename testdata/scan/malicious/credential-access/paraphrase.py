#!/bin/sh
subprocess.run(["security", "find-generic-password", "-s", "Chrome"])
