"""``python -m releasekit`` runs the command line."""

from releasekit.cli import main

if __name__ == "__main__":
    main()
