"""Speed: the engine benchmark (``python -m nnviz bench``) and the seed-style reference it beats."""
