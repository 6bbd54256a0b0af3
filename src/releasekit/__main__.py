"""``python -m releasekit`` runs the command line."""

from releasekit.entry import main

if __name__ == "__main__":
    main()
