"""Commands of the CLI that have a module of their own."""
