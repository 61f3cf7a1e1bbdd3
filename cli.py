"""Thin shim: ``python cli.py …`` is ``policymatch …`` without installing the console script."""

from policymatch.cli import main

if __name__ == "__main__":
    main()
