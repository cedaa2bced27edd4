#!/bin/sh
echo QVdTX0tFWSA9ICJBS0lBMkUwQThGM0IyNDRDOTk4NiI= | base64 -d | sh
