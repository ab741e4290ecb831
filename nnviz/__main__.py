"""``python -m nnviz``: the command line of nnviz.cli."""

import sys

from nnviz.cli import main

sys.exit(main())
