"""``python -m nnviz``: the command line of nnviz/cli/main.py."""

import sys

from nnviz.cli.main import main

sys.exit(main())
