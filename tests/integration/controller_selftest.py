#!/usr/bin/python3
"""Runs the test controller's self-test (tests/controller/selftest.py) under tests/run.sh."""
import os
import runpy
import sys

here = os.path.dirname(os.path.abspath(__file__))
selftest = os.path.join(here, "..", "controller", "selftest.py")
sys.argv = [selftest] + sys.argv[1:]
runpy.run_path(selftest, run_name="__main__")
