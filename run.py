"""`python -m mlang.run PROGRAM.m`: `mrun` as a module, for launchers such as `torchrun`."""

from mlang.tools.mrun import main

if __name__ == "__main__":
    main()
