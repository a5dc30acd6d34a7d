"""Commands of this area (being written)."""

import click

commands: list[click.Command] = []
