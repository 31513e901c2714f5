"""`python -m mlang.run PROGRAM.m [mrun options]`: `mrun`, as a module that `torchrun` can
start on every machine (`torchrun --nnodes 2 ... -m mlang.run PROGRAM.m`)."""

from mlang.tools.mrun import main

if __name__ == "__main__":
    main()
