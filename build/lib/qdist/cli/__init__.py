"""The ``qdist`` command line: one module per sub-command, registered in `COMMANDS`."""
