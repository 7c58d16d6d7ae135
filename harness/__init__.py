"""Support shared by tests and benchmarks: emulator launchers and Pulumi project runners."""
