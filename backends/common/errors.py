"""The error of every code generator: IR that a backend cannot print."""


class CodegenError(Exception):
    """IR that a backend's code generator cannot print; the backend that calls the
    generator reports it as an internal error, naming what it was printing."""
