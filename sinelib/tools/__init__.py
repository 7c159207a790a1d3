"""The tools: the command line, live training, the explorer and the benchmarks."""
