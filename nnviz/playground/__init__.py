"""The 2-D optimizer playground's mathematics: test surfaces and optimizer paths over them.

The paths are stepped by the same update rules (nnviz.engine.optim) that train the networks; the
page's settings are nnviz/models/playground_settings.py.
"""
