"""Greets, and says which HTTP library it would use to fetch a greeting."""

import requests


def greeting(name: str) -> str:
    return f"hello, {name} (requests {requests.__version__})"


def main() -> None:
    print(greeting("slipway"))
