"""The command line, ``nnviz`` (or ``python -m nnviz``): one module per subcommand.

    main.py     dispatches: nnviz train | sweep | bench
    options.py  the options train and sweep share, their checks and the one-line UsageError
    train.py    train one network, or the runs of --config (config.py reads that file)
    sweep.py    a grid of runs varying one or two settings
    output.py   the summary and the JSON record of a training
    progress.py a progress bar on stderr for long work

Imports run one way: main -> train, sweep -> config -> options, output, progress -> the engine.
"""
