"""Elastic GPU inference on ACK with ECI: see README.md."""

from components.program import main

main()
