"""Prints the guest's environment and argv exactly."""
import os
import sys

print("environ:", sorted(os.environ.items()))
print("argv:", sys.argv)
