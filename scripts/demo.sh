#!/bin/bash
# The demo of `make demo`.  Until the dispatcher, device and client programs
# exist it shows the protocol core (tests/demo/demo_protocol.c) at work.
#   scripts/demo.sh BUILD_DIR
set -eu
BUILD=$1
work=$BUILD/demo
rm -rf "$work"
mkdir -p "$work"
"$BUILD"/tests/demo/demo_protocol "$work"
