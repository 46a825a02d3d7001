"""Elastic GPU inference on ACK with ECI: see README.md."""

from program import main

main()
