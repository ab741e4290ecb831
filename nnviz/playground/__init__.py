"""The 2-D optimizer playground: test surfaces, optimizer paths over them, the page's settings.

The paths are stepped by the same update rules (nnviz.engine.optim) that train the networks.
"""
